//! The built-in condition dashboards over crafted patients, compared with golden
//! view-models (`tests/golden/*.json`): values as the records wrote them, units,
//! targets with their sources, overdue flags and the ids of the records behind
//! every point. A patient with nothing relevant gets empty cards, nothing
//! invented; one with HbA1c in two units gets two series and no trend.
//!
//! `HEARTH_UPDATE_GOLDEN=1` rewrites the golden files (review the diff).

mod common;

use common::Host;
use hearth_host::config::PluginLimits;
use hearth_host::records::reader::ProfileReader;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

const AS_OF: &str = "2026-12-05";

async fn new_profile(host: &Host, name: &str) -> String {
    let (status, p) = host.post("/api/profiles", &json!({"name": name})).await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().expect("id").to_string()
}

/// An Observation whose value is spliced in as written (`7.20` stays `7.20`).
fn obs(id: &str, code: &str, date: &str, value: &str, unit: &str) -> Value {
    serde_json::from_str(&format!(
        r#"{{"resource": {{"resourceType": "Observation", "id": "{id}", "status": "final",
            "code": {{"coding": [{{"system": "http://loinc.org", "code": "{code}"}}]}},
            "subject": {{"reference": "Patient/p"}}, "effectiveDateTime": "{date}",
            "valueQuantity": {{"value": {value}, "unit": "{unit}", "system": "http://unitsofmeasure.org", "code": "{unit}"}}}}}}"#
    ))
    .unwrap()
}

fn bp(id: &str, date: &str, systolic: &str, diastolic: &str) -> Value {
    let component = |code: &str, value: &str| -> Value {
        serde_json::from_str(&format!(
            r#"{{"code": {{"coding": [{{"system": "http://loinc.org", "code": "{code}"}}]}},
                "valueQuantity": {{"value": {value}, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}}}"#
        ))
        .unwrap()
    };
    json!({"resource": {"resourceType": "Observation", "id": id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "subject": {"reference": "Patient/p"}, "effectiveDateTime": date,
        "component": [component("8480-6", systolic), component("8462-4", diastolic)]}})
}

fn patient(name: &str) -> Value {
    json!({"resource": {"resourceType": "Patient", "id": "p", "name": [{"family": name}], "birthDate": "1961-04-02"}})
}

/// Someone whose diabetes care is on record: three HbA1c, glucose, lipids,
/// kidney, blood pressure panels, weight, lisinopril, a flu shot this autumn.
fn well_recorded() -> Vec<Value> {
    vec![
        patient("Dee"),
        json!({"resource": {"resourceType": "Condition", "id": "dm", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes mellitus type 2"}]}}}),
        obs("a1", "4548-4", "2025-03-01", "7.20", "%"),
        obs("a2", "4548-4", "2025-09-15", "6.90", "%"),
        obs("a3", "4548-4", "2026-09-20", "7.0", "%"),
        obs("g1", "2345-7", "2026-09-20", "131", "mg/dL"),
        obs("l1", "18262-6", "2026-09-20", "96.5", "mg/dL"),
        obs("h1", "2085-9", "2026-09-20", "48", "mg/dL"),
        obs("e1", "33914-3", "2026-09-20", "74", "mL/min/{1.73_m2}"),
        obs("u1", "9318-7", "2025-01-10", "12.0", "mg/g"),
        obs("w1", "29463-7", "2026-09-20", "82.30", "kg"),
        bp("bp1", "2026-06-01T09:30:00Z", "138", "84"),
        bp("bp2", "2026-09-20T10:00:00Z", "128", "78"),
        json!({"resource": {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/p"}, "authoredOn": "2024-05-02",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "314076", "display": "lisinopril 10 MG Oral Tablet"}]}}}),
        json!({"resource": {"resourceType": "MedicationRequest", "id": "m2", "status": "stopped", "intent": "order",
            "subject": {"reference": "Patient/p"}, "authoredOn": "2020-01-02",
            "medicationCodeableConcept": {"text": "simvastatin 20 MG Oral Tablet"}}}),
        json!({"resource": {"resourceType": "Immunization", "id": "flu1", "status": "completed",
            "patient": {"reference": "Patient/p"}, "occurrenceDateTime": "2026-10-01",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}], "text": "Influenza, seasonal"}}}),
    ]
}

/// Nothing relevant: a patient and a sprained ankle.
fn nothing_relevant() -> Vec<Value> {
    vec![
        patient("Eve"),
        json!({"resource": {"resourceType": "Condition", "id": "ankle", "subject": {"reference": "Patient/p"},
            "code": {"text": "Sprained ankle"}}}),
    ]
}

/// HbA1c reported by one lab in % and by another in mmol/mol.
fn mixed_units() -> Vec<Value> {
    vec![
        patient("Fay"),
        obs("x1", "4548-4", "2026-03-01", "7.4", "%"),
        obs("x2", "59261-8", "2026-09-01", "55", "mmol/mol"),
    ]
}

async fn draw(host: &Host, name: &str, entries: Vec<Value>) -> Value {
    let profile = new_profile(host, name).await;
    host.upload_entries(&profile, entries).await;
    let plugins = &host.state.plugins;
    let reader = Arc::new(ProfileReader::new(
        host.state.records.clone(),
        host.owner_scope(&profile).await,
    ));
    let board = plugins
        .render_dashboard(
            &plugins.get("diabetes").expect("diabetes loaded"),
            AS_OF,
            vec![],
            reader,
        )
        .await
        .expect("drawn");
    serde_json::to_value(&board).expect("json")
}

fn golden(name: &str, got: &Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(got).expect("json") + "\n";
    if std::env::var_os("HEARTH_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
    assert_eq!(
        text,
        want,
        "{name}: the board differs from {}",
        path.display()
    );
}

fn card<'b>(board: &'b Value, key: &str) -> &'b Value {
    board["cards"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["key"] == key))
        .unwrap_or_else(|| panic!("no card {key} in {board}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_diabetes_dashboard_matches_its_golden_view_models() {
    let host = Host::start("plugins", PluginLimits::default()).await;

    let board = draw(&host, "Dee", well_recorded()).await;
    golden("diabetes-well-recorded", &board);
    // The golden file is the contract; these say what it must mean.
    let a1c = card(&board, "a1c-latest");
    assert_eq!(a1c["latest"]["text"], "7.0", "the record's digits");
    assert_eq!(a1c["latest"]["evidence"], json!(["Observation/a3"]));
    assert_eq!(a1c["previous"]["text"], "6.90");
    assert_eq!(a1c["trend"], "steady");
    assert_eq!(a1c["overdue"], false);
    assert_eq!(a1c["note"], "Next due by 2027-03-20");
    let serialized = board.to_string();
    assert!(serialized.contains(r#""text":"7.20""#) && serialized.contains(r#""text":"82.30""#));
    let bp = card(&board, "blood-pressure");
    assert_eq!(
        bp["series"][0]["points"][1]["evidence"],
        json!(["Observation/bp2"])
    );
    assert_eq!(bp["series"][1]["points"][1]["text"], "78");
    let checklist = card(&board, "care-checklist");
    assert_eq!(checklist["items"][0]["status"], "ok");
    assert_eq!(
        checklist["items"][0]["evidence"],
        json!(["MedicationRequest/m1"])
    );
    assert_eq!(
        checklist["items"][1]["status"], "indeterminate",
        "a stopped statin is not in use"
    );
    assert_eq!(checklist["items"][2]["status"], "ok");
    assert_eq!(checklist["items"][3]["status"], "missing");
    assert_eq!(
        card(&board, "uacr-latest")["overdue"],
        true,
        "last in 2025-01: yearly check overdue"
    );

    let empty = draw(&host, "Eve", nothing_relevant()).await;
    golden("diabetes-nothing-relevant", &empty);
    let a1c = card(&empty, "a1c-latest");
    assert_eq!(a1c["latest"], Value::Null, "nothing invented");
    assert_eq!(a1c["trend"], "indeterminate");
    assert_eq!(a1c["overdue"], true);
    assert_eq!(a1c["note"], "No HbA1c on record; due every 6 months");
    assert_eq!(card(&empty, "a1c-trend")["series"], json!([]));
    assert_eq!(card(&empty, "vaccines")["events"], json!([]));

    let mixed = draw(&host, "Fay", mixed_units()).await;
    golden("diabetes-mixed-units", &mixed);
    let series = card(&mixed, "a1c-trend")["series"].as_array().unwrap();
    assert_eq!(series.len(), 2, "one series per unit: {series:?}");
    assert_eq!(card(&mixed, "a1c-latest")["trend"], "indeterminate");
    assert_eq!(card(&mixed, "a1c-latest")["latest"]["unit"], "mmol/mol");
}

/// Someone treated for high blood pressure: readings over the last year in
/// panels and as single observations, two medicines, potassium and eGFR.
fn hypertensive() -> Vec<Value> {
    vec![
        patient("Gus"),
        json!({"resource": {"resourceType": "Condition", "id": "htn", "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "59621000", "display": "Essential hypertension"}]}}}),
        bp("r1", "2026-01-10T08:00:00Z", "142", "92"),
        bp("r2", "2026-04-12T08:00:00Z", "134", "82"),
        bp("r3", "2026-08-20T08:00:00Z", "128", "79"),
        obs("s4", "8480-6", "2026-11-02T08:00:00Z", "126", "mm[Hg]"),
        obs("d4", "8462-4", "2026-11-02T08:00:00Z", "76", "mm[Hg]"),
        bp("old", "2024-03-01T08:00:00Z", "150", "95"),
        obs("k1", "2823-3", "2026-08-20", "4.6", "mmol/L"),
        obs("e1", "33914-3", "2026-08-20", "68", "mL/min/{1.73_m2}"),
        json!({"resource": {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/p"}, "authoredOn": "2026-01-10",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "308135", "display": "amlodipine 10 MG Oral Tablet"}]}}}),
        json!({"resource": {"resourceType": "MedicationStatement", "id": "m2", "status": "active",
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2026-04-12",
            "medicationCodeableConcept": {"text": "Losartan potassium 50 mg tablet"}}}),
    ]
}

async fn draw_with(
    host: &Host,
    name: &str,
    dashboard: &str,
    entries: Vec<Value>,
    settings: Vec<(String, String)>,
) -> Value {
    let profile = new_profile(host, name).await;
    host.upload_entries(&profile, entries).await;
    let plugins = &host.state.plugins;
    let reader = Arc::new(ProfileReader::new(
        host.state.records.clone(),
        host.owner_scope(&profile).await,
    ));
    let board = plugins
        .render_dashboard(
            &plugins.get(dashboard).expect("loaded"),
            AS_OF,
            settings,
            reader,
        )
        .await
        .expect("drawn");
    serde_json::to_value(&board).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hypertension_dashboard_matches_its_golden_view_models() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let board = draw_with(&host, "Gus", "hypertension", hypertensive(), vec![]).await;
    golden("hypertension-treated", &board);
    let control = &card(&board, "bp-control")["items"][0];
    assert_eq!(control["status"], "ok", "{control}");
    assert_eq!(
        control["detail"],
        "2 of 4 readings in the last 12 months under 130/80 (50%); the latest, 126/76 mmHg, is under it"
    );
    assert_eq!(
        control["evidence"].as_array().map(Vec::len),
        Some(4),
        "the 2024 reading is outside the year"
    );
    let medicines = &card(&board, "medicines")["items"];
    assert_eq!(medicines[0]["label"], "Angiotensin receptor blocker (ARB)");
    assert_eq!(medicines[0]["evidence"], json!(["MedicationStatement/m2"]));
    assert_eq!(medicines[1]["label"], "Calcium channel blocker");
    assert_eq!(card(&board, "potassium-latest")["latest"]["text"], "4.6");
    assert_eq!(
        card(&board, "bp-readings")["rows"][0]["cells"],
        json!(["2026-11-02", "126/76 mmHg", "Yes"])
    );

    // The person's own goal changes the judgement, not the values.
    let looser = draw_with(
        &host,
        "Gus again",
        "hypertension",
        hypertensive(),
        vec![("goal".into(), "140/90".into())],
    )
    .await;
    assert_eq!(
        card(&looser, "bp-control")["items"][0]["detail"],
        "3 of 4 readings in the last 12 months under 140/90 (75%); the latest, 126/76 mmHg, is under it"
    );
    // A goal that is not systolic/diastolic is refused with what is wrong.
    let profile = new_profile(&host, "Gus the third").await;
    host.upload_entries(&profile, hypertensive()).await;
    let reader = Arc::new(ProfileReader::new(
        host.state.records.clone(),
        host.owner_scope(&profile).await,
    ));
    let plugins = &host.state.plugins;
    let refused = plugins
        .render_dashboard(
            &plugins.get("hypertension").unwrap(),
            AS_OF,
            vec![("goal".into(), "low".into())],
            reader,
        )
        .await
        .expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("\"low\" is not systolic/diastolic"),
        "{refused}"
    );

    let empty = draw_with(&host, "Eve", "hypertension", nothing_relevant(), vec![]).await;
    golden("hypertension-nothing-relevant", &empty);
    assert_eq!(card(&empty, "bp-control")["items"][0]["status"], "missing");
    assert_eq!(card(&empty, "bp-trend")["series"], json!([]));
    assert_eq!(
        card(&empty, "medicines")["items"][0]["status"],
        "indeterminate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_are_proposed_chosen_drawn_and_arranged_over_the_api() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let dee = new_profile(&host, "Dee").await;
    host.upload_entries(&dee, well_recorded()).await;
    let eve = new_profile(&host, "Eve").await;
    host.upload_entries(&eve, nothing_relevant()).await;

    // Proposed from the conditions on record, with the reason.
    let (status, list) = host.get(&format!("/api/profiles/{dee}/dashboards")).await;
    assert_eq!(status, 200, "{list}");
    let diabetes = &list["dashboards"][0];
    assert_eq!(diabetes["id"], "diabetes");
    assert_eq!(diabetes["proposed"], true);
    assert_eq!(diabetes["shown"], true);
    assert_eq!(diabetes["reason"], "Diabetes mellitus type 2 is on record");
    let (_, list) = host.get(&format!("/api/profiles/{eve}/dashboards")).await;
    assert_eq!(list["dashboards"][0]["proposed"], false);
    assert_eq!(list["dashboards"][0]["shown"], false);

    // Drawn over HTTP: the same view-model as the golden file, digits and all.
    let (status, drawn) = host
        .get(&format!(
            "/api/profiles/{dee}/dashboards/diabetes?as_of={AS_OF}"
        ))
        .await;
    assert_eq!(status, 200, "{drawn}");
    golden("diabetes-well-recorded", &drawn["board"]);
    assert_eq!(drawn["layout"], json!([]));

    // Added for Eve, hidden for Dee, then back to the proposal.
    let put = |path: String, body: Value| {
        let host = &host;
        async move {
            let r = host
                .client
                .put(format!("{}{path}", host.base))
                .json(&body)
                .send()
                .await
                .expect("request");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, entry) = put(
        format!("/api/profiles/{eve}/dashboards/diabetes"),
        json!({"choice": "shown"}),
    )
    .await;
    assert_eq!(
        (status, &entry["shown"], &entry["choice"]),
        (200, &json!(true), &json!("shown")),
        "{entry}"
    );
    let (_, entry) = put(
        format!("/api/profiles/{dee}/dashboards/diabetes"),
        json!({"choice": "hidden"}),
    )
    .await;
    assert_eq!(entry["shown"], false);
    let (_, list) = host.get(&format!("/api/profiles/{dee}/dashboards")).await;
    assert_eq!(list["dashboards"][0]["shown"], false, "the choice is kept");
    let (_, entry) = put(
        format!("/api/profiles/{dee}/dashboards/diabetes"),
        json!({"choice": "auto"}),
    )
    .await;
    assert_eq!(entry["shown"], true);

    // A layout is kept and comes back with the drawing.
    let layout = json!({"cards": [
        {"key": "a1c-trend", "x": 0, "y": 0, "w": 8, "h": 4},
        {"key": "a1c-latest", "x": 8, "y": 0, "w": 4, "h": 2},
        {"key": "weight", "x": 0, "y": 4, "w": 6, "h": 3, "hidden": true}
    ]});
    let (status, saved) = put(
        format!("/api/profiles/{dee}/dashboards/diabetes/layout"),
        layout.clone(),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (_, drawn) = host
        .get(&format!(
            "/api/profiles/{dee}/dashboards/diabetes?as_of={AS_OF}"
        ))
        .await;
    assert_eq!(
        drawn["layout"][2],
        json!({"key": "weight", "x": 0, "y": 4, "w": 6, "h": 3, "hidden": true})
    );
    assert_eq!(drawn["layout"].as_array().map(Vec::len), Some(3));

    // Bad requests get precise problems and change nothing.
    for (path, body, status, kind) in [
        (
            format!("/api/profiles/{dee}/dashboards/diabetes/layout"),
            json!({"cards": [{"key": "a", "x": 10, "y": 0, "w": 4, "h": 2}]}),
            422,
            "invalid-body",
        ),
        (
            format!("/api/profiles/{dee}/dashboards/diabetes/layout"),
            json!({"cards": [{"key": "a", "x": 0, "y": 0, "w": 4, "h": 2}, {"key": "a", "x": 4, "y": 0, "w": 4, "h": 2}]}),
            422,
            "invalid-body",
        ),
        (
            format!("/api/profiles/{dee}/dashboards/diabetes"),
            json!({"choice": "shown", "settings": {"goal": "120/70"}}),
            422,
            "invalid-body",
        ),
        (
            format!("/api/profiles/{dee}/dashboards/toaster"),
            json!({"choice": "shown"}),
            404,
            "not-found",
        ),
    ] {
        let (got, problem) = put(path.clone(), body).await;
        assert_eq!(got, status, "{path}: {problem}");
        assert_eq!(
            problem["type"],
            format!("urn:hearth:problem:{kind}"),
            "{problem}"
        );
    }
    let (_, drawn) = host
        .get(&format!(
            "/api/profiles/{dee}/dashboards/diabetes?as_of={AS_OF}"
        ))
        .await;
    assert_eq!(
        drawn["layout"].as_array().map(Vec::len),
        Some(3),
        "the bad layouts left the saved one"
    );
    let (status, problem) = host
        .get(&format!(
            "/api/profiles/{dee}/dashboards/diabetes?as_of=yesterday"
        ))
        .await;
    assert_eq!(status, 400, "{problem}");
}
