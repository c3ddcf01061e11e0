//! Importing a Fasten dashboard file: each widget's queries become views over
//! the profile's records, every point and row keeps the record it came from,
//! and what cannot be translated is reported with its place in the file.

mod common;

use common::{Host, blood_pressure as bp, observation as obs};
use hearth_host::config::PluginLimits;
use serde_json::{Value, json};

fn records() -> Vec<Value> {
    vec![
        json!({"resource": {"resourceType": "Patient", "id": "p", "name": [{"family": "Fen"}]}}),
        obs("w1", "29463-7", "2026-01-05", "71.50", "kg"),
        obs("w2", "29463-7", "2026-06-05", "70.2", "kg"),
        obs("w3", "3141-9", "2026-09-05", "69.80", "kg"),
        obs("g1", "2345-7", "2026-09-05", "101", "mg/dL"),
        bp("bp1", "2026-02-01", "131", "84"),
        bp("bp2", "2026-08-01", "124", "79"),
        json!({"resource": {"resourceType": "Immunization", "id": "i1", "status": "completed",
            "patient": {"reference": "Patient/p"}, "occurrenceDateTime": "2025-10-01",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}}}),
        json!({"resource": {"resourceType": "Encounter", "id": "e1", "status": "finished",
            "class": {"code": "AMB"}, "subject": {"reference": "Patient/p"},
            "period": {"start": "2026-06-05T09:00:00Z"},
            "serviceProvider": {"display": "Lakeside Clinic"},
            "reasonCode": [{"coding": [{"display": "Check-up"}]}]}}),
    ]
}

/// A file in Fasten's current format, with the parts Hearth cannot translate.
fn fasten_file() -> Value {
    json!({
        "id": "custom", "schema_version": "1.0", "title": "My tracking",
        "widgets": [
            {"title_text": "Diabetes Tracking", "x": 0, "y": 0, "width": 8, "height": 5,
             "item_type": "complex-line-widget"},
            {"title_text": "Weight", "x": 0, "y": 5, "width": 4, "height": 2,
             "item_type": "simple-line-chart-widget",
             "queries": [{"q": {
                "select": ["valueQuantity.value as data", "valueQuantity.unit as unit",
                           "(effectiveDateTime | issued).first() as label", "*"],
                "from": "Observation",
                "where": {"code": "http://loinc.org|29463-7,http://loinc.org|3141-9,http://snomed.info/sct|27113001"}}}],
             "parsing": {"xAxisKey": "label", "yAxisKey": "data"}},
            {"title_text": "Blood Pressure", "x": 4, "y": 5, "width": 4, "height": 2,
             "item_type": "grouped-bar-chart-widget",
             "queries": [
                {"q": {"select": ["component.where(code.coding.system = 'http://loinc.org' and code.coding.code = '8480-6').valueQuantity.value as data",
                                  "effectiveDateTime as label"],
                       "from": "Observation", "where": {"componentCode": "http://loinc.org|8480-6"}},
                 "dataset_options": {"label": "Systolic"}},
                {"q": {"select": ["component.where(code.coding.system = 'http://loinc.org' and code.coding.code = '8462-4').valueQuantity.value as data",
                                  "effectiveDateTime as label"],
                       "from": "Observation", "where": {"componentCode": "http://loinc.org|8462-4"}},
                 "dataset_options": {"label": "Diastolic"}}
             ],
             "parsing": {"xAxisKey": "id", "yAxisKey": "data"}},
            {"title_text": "Observations by Type", "item_type": "donut-chart-widget",
             "queries": [{"q": {"select": [], "from": "Observation", "where": {},
                                "aggregations": {"count_by": {"field": "code:code"}}}}],
             "parsing": {"label": "label", "key": "value"}},
            {"title_text": "Compliance", "item_type": "dual-gauges-widget",
             "queries": [
                {"q": {"select": [], "from": "Immunization", "where": {}, "aggregations": {"count_by": "*"}},
                 "dataset_options": {"label": "Vaccines"}},
                {"q": {"select": [], "from": "Encounter", "where": {}, "aggregations": {"count_by": {"field": "*"}}},
                 "dataset_options": {"label": "Visits"}}
             ]},
            {"title_text": "Recent Encounters", "item_type": "table-widget",
             "queries": [{"q": {"select": ["serviceProvider.display as institution", "period.start as date",
                                           "reasonCode.coding.display.first() as reason"],
                                "from": "Encounter", "where": {}, "limit": 50}}],
             "parsing": {"Id": "id", "Institution": "institution", "Date": "date", "Reason": "reason"}},
            {"title_text": "My doctor's results", "item_type": "table-widget",
             "queries": [{"q": {"select": ["code.text as test"], "from": "Observation",
                                "where": {"performer": "Practitioner/1"}}}],
             "parsing": {"Test": "test"}},
            {"title_text": "Summary", "item_type": "records-summary-widget"}
        ]
    })
}

fn card<'b>(board: &'b Value, title: &str) -> &'b Value {
    board["cards"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["title"] == title))
        .unwrap_or_else(|| panic!("no card {title} in {board}"))
}

fn reported<'r>(report: &'r Value, path: &str) -> &'r Value {
    report
        .as_array()
        .and_then(|r| r.iter().find(|u| u["path"] == path))
        .unwrap_or_else(|| panic!("nothing reported at {path}: {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fasten_dashboard_is_translated_drawn_from_the_records_and_reported() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Fen").await;
    host.upload_entries(&profile, records()).await;

    // Sent as text with the table's headers in the file's order (a parsed
    // JSON object here would sort them).
    let sorted = r#"{"Date":"date","Id":"id","Institution":"institution","Reason":"reason"}"#;
    let text = fasten_file().to_string();
    assert!(text.contains(sorted));
    let text = text.replace(
        sorted,
        r#"{"Id":"id","Institution":"institution","Date":"date","Reason":"reason"}"#,
    );
    let r = host
        .client
        .post(format!(
            "{}/api/profiles/{profile}/dashboards/import",
            host.base
        ))
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .expect("import");
    let status = r.status().as_u16();
    let imported: Value = r.json().await.expect("json");
    assert_eq!(status, 201, "{imported}");
    let id = imported["dashboard"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(id.starts_with("fasten-"), "{id}");
    assert_eq!(imported["dashboard"]["name"], "My tracking");
    assert_eq!(imported["dashboard"]["imported"], true);

    // Precisely what was left out, and where.
    let report = &imported["report"];
    let demo = reported(report, "widgets[0]");
    assert_eq!(demo["dropped"], true);
    assert!(
        demo["reason"]
            .as_str()
            .unwrap()
            .contains("fixed demonstration data"),
        "{demo}"
    );
    assert!(
        reported(report, "widgets[1].queries[0].q.select[3]")["reason"]
            .as_str()
            .unwrap()
            .contains("whole resource")
    );
    assert_eq!(reported(report, "widgets[2].item_type")["dropped"], false);
    let performer = reported(report, "widgets[6].queries[0].q.where.performer");
    assert!(
        performer["reason"]
            .as_str()
            .unwrap()
            .contains("only coded elements"),
        "{performer}"
    );
    assert!(
        reported(report, "widgets[6]")["reason"]
            .as_str()
            .unwrap()
            .contains("none of its queries"),
        "a filter that cannot be translated is not drawn unfiltered"
    );
    assert!(
        reported(report, "widgets[7]")["reason"]
            .as_str()
            .unwrap()
            .contains("health summary")
    );

    // Listed with the profile's dashboards, shown.
    let (_, list) = host
        .get(&format!("/api/profiles/{profile}/dashboards"))
        .await;
    let entry = list["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id.as_str())
        .expect("listed");
    assert_eq!(entry["shown"], true);

    // Drawn from the records: digits as written, each point its record.
    let (status, drawn) = host
        .get(&format!("/api/profiles/{profile}/dashboards/{id}"))
        .await;
    assert_eq!(status, 200, "{drawn}");
    let board = &drawn["board"];
    assert_eq!(board["cards"].as_array().unwrap().len(), 5);
    let weight = card(board, "Weight");
    assert_eq!(weight["widget"], "line-chart");
    let points = &weight["series"][0]["points"];
    assert_eq!(
        points
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["text"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["71.50", "70.2", "69.80"]
    );
    assert_eq!(points[0]["evidence"], json!(["Observation/w1"]));
    assert_eq!(points[2]["unit"], "kg");
    let pressure = card(board, "Blood Pressure");
    assert_eq!(pressure["series"][0]["name"], "Systolic");
    assert_eq!(pressure["series"][1]["points"][1]["text"], "79");
    assert_eq!(
        pressure["series"][1]["points"][1]["evidence"],
        json!(["Observation/bp2"])
    );
    let by_type = card(board, "Observations by Type");
    let rows = by_type["rows"].as_array().unwrap();
    let weight_row = rows
        .iter()
        .find(|r| r["cells"][0] == "29463-7")
        .expect("a weight row");
    assert_eq!(weight_row["cells"][1], "2");
    assert_eq!(
        weight_row["evidence"],
        json!(["Observation/w2", "Observation/w1"])
    );
    let compliance = card(board, "Compliance");
    assert_eq!(
        compliance["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["cells"].clone())
            .collect::<Vec<_>>(),
        [
            json!(["Vaccines", "Immunization", "1"]),
            json!(["Visits", "Encounter", "1"])
        ]
    );
    let visits = card(board, "Recent Encounters");
    assert_eq!(
        visits["columns"],
        json!(["Id", "Institution", "Date", "Reason"])
    );
    assert_eq!(
        visits["rows"][0]["cells"],
        json!([
            "Encounter/e1",
            "Lakeside Clinic",
            "2026-06-05T09:00:00Z",
            "Check-up"
        ])
    );
    assert_eq!(visits["rows"][0]["evidence"], json!(["Encounter/e1"]));
    assert!(
        drawn["notes"].as_array().unwrap().len() >= 5,
        "the report stays with the dashboard"
    );
    // The file's grid places come along.
    assert_eq!(
        drawn["layout"][0],
        json!({"key": "w1", "x": 0, "y": 5, "w": 4, "h": 2, "hidden": false})
    );

    // Another profile neither lists nor draws it.
    let other = host.new_profile("Gil").await;
    let (status, _) = host
        .get(&format!("/api/profiles/{other}/dashboards/{id}"))
        .await;
    assert_eq!(status, 404);

    // Hidden, then removed; a plugin's dashboard is hidden, not removed.
    let r = host
        .client
        .put(format!(
            "{}/api/profiles/{profile}/dashboards/{id}",
            host.base
        ))
        .json(&json!({"choice": "hidden"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let delete = |path: String| {
        let host = &host;
        async move {
            host.client
                .delete(format!("{}{path}", host.base))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        delete(format!("/api/profiles/{profile}/dashboards/diabetes")).await,
        409
    );
    assert_eq!(
        delete(format!("/api/profiles/{profile}/dashboards/{id}")).await,
        204
    );
    assert_eq!(
        delete(format!("/api/profiles/{profile}/dashboards/{id}")).await,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_are_not_fasten_dashboards_are_refused_with_why() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let profile = host.new_profile("Fen").await;
    let path = format!("/api/profiles/{profile}/dashboards/import");
    for (file, says) in [
        (json!([1, 2]), "not a JSON object"),
        (json!({"title": "x"}), "no `widgets` list"),
        (
            json!({"title": "x", "widgets": [{"item_type": "complex-line-widget"}]}),
            "nothing in the file could be translated",
        ),
        (
            json!({"title": "x", "widgets": [{"item_type": "table-widget",
                "queries": [{"q": {"select": ["id as x"], "from": "Nonsense", "where": {}}}]}]}),
            "widgets[0].queries[0].q.from",
        ),
        (
            json!({"title": "x", "widgets": [{"item_type": "donut-chart-widget",
                "queries": [{"q": {"select": [], "from": "Observation", "where": {},
                    "aggregations": {"group_by": {"field": "code:code"}, "order_by": {"field": "sort_date", "fn": "max"}}}}]}]}),
            "order_by",
        ),
    ] {
        let (status, problem) = host.post(&path, &file).await;
        assert_eq!(status, 422, "{file}: {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{file}: {problem}"
        );
    }
    let (_, list) = host
        .get(&format!("/api/profiles/{profile}/dashboards"))
        .await;
    assert!(
        !list["dashboards"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["imported"] == true),
        "nothing was kept"
    );
}
