//! The engine over stored records: digits kept, provider quirks tolerated, hostile input bounded.

use hearth_fhirpath::{Env, Expression};
use serde_json::Value;

fn eval(expr: &str, resource: &Value) -> Vec<String> {
    Expression::parse(expr)
        .unwrap()
        .evaluate(resource, &Env::default())
        .unwrap()
        .iter()
        .map(|i| i.to_json().to_string())
        .collect()
}

const OBSERVATION: &str = r#"{"resourceType":"Observation","id":"o1","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},
 "effectiveDateTime":"2024-03-01T08:30:00Z",
 "valueQuantity":{"value":72.50,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"},
 "extension":[{"url":"http://x.org/e","valueDecimal":0.010}],
 "component":[{"code":{"text":"a"},"valueQuantity":{"value":1234567890.1234567890123}}]}"#;

#[test]
fn decimals_keep_the_digits_they_were_written_with() {
    let obs: Value = serde_json::from_str(OBSERVATION).unwrap();
    assert_eq!(
        eval("Observation.value.ofType(Quantity).value", &obs),
        ["72.50"]
    );
    assert_eq!(eval("extension('http://x.org/e').value", &obs), ["0.010"]);
    assert_eq!(
        eval("component.value.value", &obs),
        ["1234567890.1234567890123"]
    );
    // Arithmetic is decimal, not binary floating point.
    assert_eq!(eval("value.value * 2", &obs), ["145.00"]);
    assert_eq!(eval("value.value + 0.1", &obs), ["72.60"]);
    assert_eq!(eval("value.value > 72.4", &obs), ["true"]);
    assert_eq!(eval("value.value.toString()", &obs), ["\"72.50\""]);
}

#[test]
fn choice_elements_and_dates_are_typed_by_the_model() {
    let obs: Value = serde_json::from_str(OBSERVATION).unwrap();
    assert_eq!(
        eval("effective.ofType(dateTime) > @2024-02-28", &obs),
        ["true"]
    );
    assert_eq!(eval("value is Quantity", &obs), ["true"]);
    assert_eq!(eval("value.ofType(string)", &obs), Vec::<String>::new());
    assert_eq!(
        eval("code.coding.where(system = %loinc).code", &obs),
        ["\"2345-7\""]
    );
    // Strict mode names the right way to write a choice; the default reads what is there.
    let expr = Expression::parse("Observation.valueQuantity.value").unwrap();
    let err = expr.evaluate(&obs, &Env::default().strict(true));
    assert!(err.unwrap_err().0.contains("value.ofType(Quantity)"));
    assert_eq!(eval("Observation.valueQuantity.value", &obs), ["72.50"]);
    let strict = Env::default().strict(true);
    assert!(
        Expression::parse("code.text1")
            .unwrap()
            .evaluate(&obs, &strict)
            .is_err()
    );
    assert_eq!(eval("code.text1", &obs), Vec::<String>::new());
}

#[test]
fn a_scalar_where_r4_wants_an_array_is_still_read() {
    // Some providers send one object where FHIR has a list; the record is kept as sent and read.
    let patient: Value = serde_json::from_str(
        r#"{"resourceType":"Patient","name":{"family":"Doe","given":"Ann"},"birthDate":"1980-02-29",
            "managingOrganization":{"reference":"Organization/x"},"x-vendor":{"flag":true}}"#,
    )
    .unwrap();
    assert_eq!(eval("name.family", &patient), ["\"Doe\""]);
    assert_eq!(eval("name.given.first()", &patient), ["\"Ann\""]);
    assert_eq!(eval("birthDate + 1 year", &patient), ["\"1981-02-28\""]);
    // An element R4 does not define is read as it is, not dropped.
    assert_eq!(eval("`x-vendor`.flag", &patient), ["true"]);
    assert_eq!(
        eval(
            "managingOrganization.getReferenceKey(Organization)",
            &patient
        ),
        ["\"Organization/x\""]
    );
}

#[test]
fn hostile_expressions_stop_with_an_error() {
    let patient: Value = serde_json::json!({"resourceType": "Patient", "id": "p"});
    // Each level multiplies the collection by ten: 10^7 items unless stopped.
    let ten = "(0|1|2|3|4|5|6|7|8|9)";
    let mut expr = ten.to_string();
    for _ in 0..6 {
        expr = format!("{ten}.select({expr})");
    }
    let out = Expression::parse(&expr)
        .unwrap()
        .evaluate(&patient, &Env::default());
    assert!(out.unwrap_err().0.contains("step limit"));
    let repeat = Expression::parse("(1 | 2).repeat($this + 1)")
        .unwrap()
        .evaluate(&patient, &Env::default());
    assert!(repeat.unwrap_err().0.contains("step limit"));
}
