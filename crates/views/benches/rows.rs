//! Cost of a view per resource: parsing the stored JSON, then evaluating a
//! dashboard-style view (date, value, unit, codes; components included).
//! `cargo bench -p hearth-views --bench rows` prints µs per resource.

use hearth_views::View;
use serde_json::{Value, json};
use std::time::Instant;

fn observation(i: usize) -> String {
    json!({
        "resourceType": "Observation", "id": format!("o{i}"), "status": "final",
        "meta": {"lastUpdated": "2024-01-02T03:04:05Z", "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory", "display": "Laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7", "display": "Glucose [Mass/volume] in Serum or Plasma"}], "text": "Glucose"},
        "subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"},
        "effectiveDateTime": "2021-03-04T09:30:00+01:00", "issued": "2021-03-04T10:30:00.000+01:00",
        "valueQuantity": {"value": 95.5 + i as f64, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"},
        "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "N"}]}],
        "referenceRange": [{"low": {"value": 70, "unit": "mg/dL"}, "high": {"value": 100, "unit": "mg/dL"}, "text": "70-100"}]
    })
    .to_string()
}

fn main() {
    let n = if std::env::args().any(|a| a == "--bench") {
        20_000
    } else {
        200
    };
    let texts: Vec<String> = (0..n).map(observation).collect();
    let date = "(effective.ofType(dateTime) | effective.ofType(instant) | effective.ofType(Period).start | issued).first()";
    let columns = json!([
        {"name": "codes", "path": "code.coding.select(system + '|' + code)", "collection": true},
        {"name": "value", "path": "value.ofType(Quantity).value"},
        {"name": "unit", "path": "(value.ofType(Quantity).code | value.ofType(Quantity).unit).first()"}
    ]);
    let view = View::parse(&json!({
        "resource": "Observation",
        "where": [{"path": "status.empty() or (status != 'entered-in-error' and status != 'cancelled')"}],
        "select": [
            {"column": [{"name": "key", "path": "getResourceKey()"}, {"name": "date", "path": date}]},
            {"unionAll": [{"column": columns}, {"forEach": "component", "column": columns}]}
        ]
    }))
    .unwrap();
    let t = Instant::now();
    let parsed: Vec<Value> = texts
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
    let parse = t.elapsed();
    let t = Instant::now();
    let mut rows = Vec::new();
    for r in &parsed {
        view.rows(r, &mut rows).unwrap();
    }
    let eval = t.elapsed();
    let t = Instant::now();
    let text: usize = rows
        .iter()
        .map(|r| Value::Array(r.clone()).to_string().len())
        .sum();
    let out = t.elapsed();
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "{n} observations of {} bytes: parse {:.1} µs, view {:.1} µs, rows to text {:.1} µs per resource ({} rows, {text} bytes)",
        texts[0].len(),
        per(parse),
        per(eval),
        per(out),
        rows.len()
    );
}
