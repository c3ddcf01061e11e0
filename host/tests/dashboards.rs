//! The built-in condition dashboards over crafted patients, compared with golden
//! view-models (`tests/golden/*.json`): values as the records wrote them, units,
//! targets with their sources, overdue flags and the ids of the records behind
//! every point. A patient with nothing relevant gets empty cards, nothing
//! invented; one with HbA1c in two units gets two series and no trend.
//!
//! `HEARTH_UPDATE_GOLDEN=1` rewrites the golden files (review the diff).

mod common;

use common::{Host, blood_pressure as bp, observation as obs};
use hearth_host::config::PluginLimits;
use hearth_host::records::reader::ProfileReader;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

const AS_OF: &str = "2026-12-05";

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

    let board = draw_with(&host, "Dee", "diabetes", well_recorded(), vec![]).await;
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

    let empty = draw_with(&host, "Eve", "diabetes", nothing_relevant(), vec![]).await;
    golden("diabetes-nothing-relevant", &empty);
    let a1c = card(&empty, "a1c-latest");
    assert_eq!(a1c["latest"], Value::Null, "nothing invented");
    assert_eq!(a1c["trend"], "indeterminate");
    assert_eq!(a1c["overdue"], true);
    assert_eq!(a1c["note"], "No HbA1c on record; due every 6 months");
    assert_eq!(card(&empty, "a1c-trend")["series"], json!([]));
    assert_eq!(card(&empty, "vaccines")["events"], json!([]));

    let mixed = draw_with(&host, "Fay", "diabetes", mixed_units(), vec![]).await;
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
    let profile = host.new_profile(name).await;
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
    let profile = host.new_profile("Gus the third").await;
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

    // A home monitor in kPa beside the clinic's mmHg: two series each, and
    // only mmHg readings are judged against a goal written in mmHg.
    let mixed = draw_with(
        &host,
        "Hob",
        "hypertension",
        vec![
            patient("Hob"),
            bp("c1", "2026-05-01T09:00:00Z", "136", "86"),
            obs("s2", "8480-6", "2026-09-01T08:00:00Z", "16.4", "kPa"),
            obs("d2", "8462-4", "2026-09-01T08:00:00Z", "10.1", "kPa"),
        ],
        vec![],
    )
    .await;
    golden("hypertension-mixed-units", &mixed);
    assert_eq!(
        card(&mixed, "bp-trend")["series"].as_array().map(Vec::len),
        Some(4),
        "systolic and diastolic, each in mmHg and in kPa"
    );
    assert_eq!(card(&mixed, "systolic-latest")["trend"], "indeterminate");
    assert_eq!(
        card(&mixed, "bp-control")["items"][0]["detail"],
        "0 of 1 readings in the last 12 months under 130/80 (0%); the latest, 136/86 mmHg, is not under it"
    );
}

fn listed<'l>(list: &'l Value, id: &str) -> &'l Value {
    list["dashboards"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["id"] == id))
        .unwrap_or_else(|| panic!("no dashboard {id} in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_are_proposed_chosen_drawn_and_arranged_over_the_api() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let dee = host.new_profile("Dee").await;
    host.upload_entries(&dee, well_recorded()).await;
    let eve = host.new_profile("Eve").await;
    host.upload_entries(&eve, nothing_relevant()).await;

    // Proposed from the conditions on record, with the reason.
    let (status, list) = host.get(&format!("/api/profiles/{dee}/dashboards")).await;
    assert_eq!(status, 200, "{list}");
    let diabetes = listed(&list, "diabetes");
    assert_eq!(diabetes["id"], "diabetes");
    assert_eq!(diabetes["proposed"], true);
    assert_eq!(diabetes["shown"], true);
    assert_eq!(diabetes["reason"], "Diabetes mellitus type 2 is on record");
    // Proposed by age: Dee is 65, in the cholesterol pack's 40 to 75.
    let lipids = listed(&list, "lipids");
    assert_eq!(
        (&lipids["shown"], &lipids["reason"]),
        (&json!(true), &json!("For ages 40 to 75"))
    );
    assert_eq!(listed(&list, "kidney")["proposed"], false);
    let (_, list) = host.get(&format!("/api/profiles/{eve}/dashboards")).await;
    assert_eq!(listed(&list, "diabetes")["proposed"], false);
    assert_eq!(listed(&list, "diabetes")["shown"], false);

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
    assert_eq!(
        listed(&list, "diabetes")["shown"],
        false,
        "the choice is kept"
    );
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

fn female_patient(name: &str, birth: &str) -> Value {
    json!({"resource": {"resourceType": "Patient", "id": "p", "name": [{"family": name}], "gender": "female", "birthDate": birth}})
}

fn medicine(id: &str, status: &str, name: &str) -> Value {
    json!({"resource": {"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
        "subject": {"reference": "Patient/p"}, "authoredOn": "2026-02-01",
        "medicationCodeableConcept": {"text": name}}})
}

fn condition(id: &str, system: &str, code: &str, display: &str) -> Value {
    json!({"resource": {"resourceType": "Condition", "id": id, "subject": {"reference": "Patient/p"},
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}]}}})
}

/// Chronic kidney disease stage 3a: eGFR below 60 since February, albuminuria,
/// high potassium, hemoglobin under the women's threshold, ibuprofen and lisinopril.
fn kidney_disease() -> Vec<Value> {
    vec![
        female_patient("Ida", "1958-07-01"),
        condition(
            "ckd",
            "http://snomed.info/sct",
            "700378005",
            "Chronic kidney disease stage 3A",
        ),
        obs("e0", "33914-3", "2025-06-01", "64", "mL/min/{1.73_m2}"),
        obs("e1", "62238-1", "2026-02-03", "58", "mL/min/{1.73_m2}"),
        obs("e2", "98979-8", "2026-08-10", "52.0", "mL/min/{1.73_m2}"),
        obs("u1", "9318-7", "2026-08-10", "45", "mg/g"),
        obs("k1", "2823-3", "2026-08-10", "5.3", "mmol/L"),
        obs("hb1", "718-7", "2026-08-10", "11.8", "g/dL"),
        obs("c1", "2160-0", "2026-08-10", "1.12", "mg/dL"),
        bp("bp1", "2026-08-10T09:00:00Z", "134", "82"),
        medicine("ibu", "active", "Ibuprofen 400 MG Oral Tablet"),
        medicine("ace", "active", "lisinopril 10 MG Oral Tablet"),
        medicine("old", "completed", "Naproxen 250 MG Oral Tablet"),
    ]
}

/// Units the KDIGO categories are not defined in: an eGFR in mL/min (not per
/// 1.73 m²), and a ratio in mg/mmol (whose own limits apply).
fn kidney_mixed_units() -> Vec<Value> {
    vec![
        female_patient("Jo", "1970-01-01"),
        obs("e1", "33914-3", "2026-05-01", "70", "mL/min/{1.73_m2}"),
        obs("e2", "33914-3", "2026-09-01", "48", "mL/min"),
        obs("u1", "9318-7", "2026-05-01", "20", "mg/g"),
        obs("u2", "14585-4", "2026-09-01", "4.1", "mg/mmol"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kidney_dashboard_matches_its_golden_view_models() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let board = draw_with(&host, "Ida", "kidney", kidney_disease(), vec![]).await;
    golden("kidney-stage-3a", &board);
    let stage = &card(&board, "stage")["items"];
    assert_eq!(stage[0]["status"], "attention");
    assert_eq!(
        stage[0]["detail"],
        "G3a, mildly to moderately decreased (45–59): eGFR 52.0 mL/min/{1.73_m2} on 2026-08-10"
    );
    assert_eq!(stage[0]["evidence"], json!(["Observation/e2"]));
    assert_eq!(stage[1]["evidence"], json!(["Observation/u1"]));
    assert_eq!(stage[2]["label"], "G3aA2 risk");
    assert!(
        stage[2]["detail"]
            .as_str()
            .unwrap()
            .contains("twice a year"),
        "{}",
        stage[2]
    );
    assert_eq!(
        stage[3]["evidence"],
        json!(["Observation/e1", "Observation/e2"]),
        "below 60 from February to August: chronic"
    );
    assert_eq!(stage[4]["label"], "Anemia");
    assert_eq!(stage[4]["status"], "attention");
    assert_eq!(
        stage[4]["evidence"],
        json!(["Observation/hb1", "Patient/p"])
    );
    // Twice a year: the latest eGFR (August) is due again in February.
    assert_eq!(
        card(&board, "egfr-latest")["note"],
        "Next due by 2027-02-10"
    );
    let egfr = &card(&board, "egfr")["series"][0]["points"];
    assert_eq!(
        egfr.as_array().map(Vec::len),
        Some(3),
        "every eGFR equation's code"
    );
    let medicines = &card(&board, "medicines")["items"];
    assert_eq!(medicines[0]["status"], "attention");
    assert_eq!(
        medicines[0]["evidence"],
        json!(["MedicationRequest/ibu"]),
        "the completed naproxen is not in use"
    );
    assert_eq!(medicines[1]["label"], "ACE inhibitor or ARB");
    assert_eq!(medicines[1]["status"], "ok");
    assert_eq!(medicines[2]["status"], "indeterminate");

    let mixed = draw_with(&host, "Jo", "kidney", kidney_mixed_units(), vec![]).await;
    golden("kidney-mixed-units", &mixed);
    let stage = &card(&mixed, "stage")["items"];
    assert_eq!(stage[0]["status"], "indeterminate", "{}", stage[0]);
    assert_eq!(stage[0]["evidence"], json!(["Observation/e2"]));
    assert_eq!(
        stage[1]["detail"], "A2, moderately increased (30–300 mg/g): 4.1 mg/mmol on 2026-09-01",
        "4.1 mg/mmol is A2 by the mg/mmol limits, not converted"
    );
    assert_eq!(stage[2]["status"], "indeterminate");
    assert_eq!(
        card(&mixed, "uacr")["series"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(card(&mixed, "egfr-latest")["trend"], "indeterminate");

    let empty = draw_with(&host, "Eve", "kidney", nothing_relevant(), vec![]).await;
    golden("kidney-nothing-relevant", &empty);
    let stage = &card(&empty, "stage")["items"];
    assert_eq!(stage[0]["status"], "missing");
    assert_eq!(stage[1]["status"], "missing");
    assert_eq!(stage[2]["status"], "indeterminate");
    assert_eq!(card(&empty, "egfr")["series"], json!([]));
    assert_eq!(card(&empty, "egfr-latest")["latest"], Value::Null);
}

/// A heart attack, diabetes, an LDL of 195 two years ago and a statin since;
/// never smoked.
fn after_a_heart_attack() -> Vec<Value> {
    let mut entries = vec![
        patient("Hal"),
        condition(
            "mi",
            "http://snomed.info/sct",
            "22298006",
            "Myocardial infarction",
        ),
        condition(
            "dm",
            "http://snomed.info/sct",
            "44054006",
            "Diabetes mellitus type 2",
        ),
        obs("l1", "18262-6", "2024-10-01", "195", "mg/dL"),
        obs("l2", "18262-6", "2026-06-01", "88.0", "mg/dL"),
        obs("h1", "2085-9", "2026-06-01", "41", "mg/dL"),
        obs("t1", "2093-3", "2026-06-01", "162", "mg/dL"),
        obs("tg1", "2571-8", "2026-06-01", "165", "mg/dL"),
        bp("bp1", "2026-06-01T09:00:00Z", "128", "76"),
        medicine("st", "active", "atorvastatin 80 MG Oral Tablet"),
        medicine("ez", "active", "ezetimibe 10 MG Oral Tablet"),
    ];
    entries.push(json!({"resource": {"resourceType": "Observation", "id": "smk", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
        "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2026-06-01",
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "266919005", "display": "Never smoker"}]}}}));
    entries
}

/// LDL from one lab in mg/dL and another in mmol/L.
fn lipids_mixed_units() -> Vec<Value> {
    vec![
        patient("Kit"),
        obs("l1", "18262-6", "2026-01-01", "131", "mg/dL"),
        obs("l2", "18262-6", "2026-07-01", "3.1", "mmol/L"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lipids_dashboard_matches_its_golden_view_models() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let board = draw_with(&host, "Hal", "lipids", after_a_heart_attack(), vec![]).await;
    golden("lipids-after-a-heart-attack", &board);
    let statin = &card(&board, "statin")["items"];
    assert_eq!(statin[0]["status"], "ok");
    assert_eq!(statin[0]["evidence"], json!(["MedicationRequest/st"]));
    assert_eq!(statin[1]["label"], "Advised: high-intensity statin");
    assert_eq!(statin[1]["evidence"], json!(["Condition/mi"]));
    assert_eq!(statin[2]["evidence"], json!(["Observation/l1"]), "LDL 195");
    assert_eq!(statin[3]["label"], "Advised: moderate-intensity statin");
    assert_eq!(
        statin[3]["evidence"],
        json!(["Condition/dm", "Patient/p"]),
        "diabetes at 65"
    );
    assert_eq!(statin[4]["evidence"], json!(["MedicationRequest/ez"]));
    let ldl = card(&board, "ldl-latest");
    assert_eq!(ldl["latest"]["text"], "88.0");
    assert_eq!(ldl["trend"], "falling");
    assert_eq!(ldl["note"], "Next due by 2027-06-01");
    assert_eq!(
        card(&board, "lipids")["targets"][0]["high"],
        70.0,
        "the lower goal after a heart attack"
    );
    let risks = &card(&board, "risk-factors")["items"];
    assert_eq!(risks[0]["detail"], "Never smoker (2026-06-01)");
    assert_eq!(risks[0]["evidence"], json!(["Observation/smk"]));
    assert_eq!(risks[1]["status"], "attention");

    let mixed = draw_with(&host, "Kit", "lipids", lipids_mixed_units(), vec![]).await;
    golden("lipids-mixed-units", &mixed);
    assert_eq!(
        card(&mixed, "lipids")["series"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(card(&mixed, "ldl-latest")["trend"], "indeterminate");
    assert_eq!(
        card(&mixed, "statin")["items"][0]["status"],
        "indeterminate",
        "at 65 with no benefit group on record, the answer turns on a risk estimate"
    );

    let empty = draw_with(&host, "Eve", "lipids", nothing_relevant(), vec![]).await;
    golden("lipids-nothing-relevant", &empty);
    assert_eq!(card(&empty, "lipids")["series"], json!([]));
    assert_eq!(
        card(&empty, "risk-factors")["items"][0]["status"],
        "missing"
    );
}

/// Each pack over a generated patient (the sandbox's: type 2 diabetes and
/// hypertension, decades of results): the golden files hold what it draws.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_pack_over_a_generated_patient_matches_its_golden_view_model() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let plugins = &host.state.plugins;
    // The sandbox's first patient of seed 51 (86, diabetes and hypertension)
    // for the adult packs; of seed 1 (a girl born in 2015) for growth.
    for (pack, seed) in [
        ("diabetes", 51),
        ("hypertension", 51),
        ("kidney", 51),
        ("lipids", 51),
        ("growth", 1),
    ] {
        let generated = hearth_synth::generate_patients(seed, 1, 1_200)
            .pop()
            .expect("one patient");
        let entries: Vec<Value> = generated
            .into_iter()
            .map(|resource| json!({ "resource": resource }))
            .collect();
        let profile = host.new_profile(&format!("{pack} patient")).await;
        host.upload_entries(&profile, entries).await;
        let reader = Arc::new(ProfileReader::new(
            host.state.records.clone(),
            host.owner_scope(&profile).await,
        ));
        let board = plugins
            .render_dashboard(
                &plugins.get(pack).expect("loaded"),
                AS_OF,
                vec![],
                reader.clone(),
            )
            .await
            .expect("drawn");
        let board = serde_json::to_value(&board).expect("json");
        golden(&format!("generated-{pack}"), &board);
        // Every point names a record of this profile.
        let mut evidence = std::collections::BTreeSet::new();
        for c in board["cards"].as_array().unwrap() {
            for s in c["series"].as_array().into_iter().flatten() {
                for p in s["points"].as_array().unwrap() {
                    evidence.insert(p["evidence"][0].as_str().unwrap().to_string());
                }
            }
        }
        assert!(evidence.len() > 10, "{pack} draws the patient's results");
        for e in evidence {
            let (status, _) = host
                .get(&format!("/api/profiles/{profile}/records/{e}"))
                .await;
            assert_eq!(status, 200, "{pack}: {e}");
        }
    }
}

/// A girl measured from birth: weights, lengths and head circumferences in
/// the tables' units, one weight in pounds, a BMI once she is two.
fn growing_child() -> Vec<Value> {
    vec![
        female_patient("Mia", "2023-03-10"),
        obs("w0", "29463-7", "2023-03-10", "3.40", "kg"),
        obs("l0", "8302-2", "2023-03-10", "50.5", "cm"),
        obs("h0", "9843-4", "2023-03-10", "34.0", "cm"),
        obs("w1", "29463-7", "2023-09-12", "7.60", "kg"),
        obs("l1", "8306-3", "2023-09-12", "66.0", "cm"),
        obs("h1", "9843-4", "2023-09-12", "42.1", "cm"),
        obs("w2", "29463-7", "2024-03-11", "17.6", "[lb_av]"),
        obs("w3", "29463-7", "2025-09-15", "13.10", "kg"),
        obs("l3", "8302-2", "2025-09-15", "91.2", "cm"),
        obs("b3", "39156-5", "2025-09-15", "15.7", "kg/m2"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_growth_dashboard_matches_its_golden_view_models() {
    let host = Host::start("plugins", PluginLimits::default()).await;
    let board = draw_with(&host, "Mia", "growth", growing_child(), vec![]).await;
    golden("growth-from-birth", &board);
    let status = &card(&board, "growth-status")["items"];
    assert_eq!(status[0]["label"], "Weight for age");
    assert_eq!(
        status[0]["evidence"],
        json!(["Observation/w3", "Patient/p"])
    );
    assert!(
        status[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("13.10 kg on 2025-09-15 at 2 years 6 months: "),
        "{}",
        status[0]
    );
    assert!(
        status[3]["detail"]
            .as_str()
            .unwrap()
            .contains("(healthy weight)"),
        "{}",
        status[3]
    );
    let rows = card(&board, "measurements")["rows"].as_array().unwrap();
    let pounds = rows
        .iter()
        .find(|r| r["evidence"] == json!(["Observation/w2"]))
        .expect("the weight in pounds is listed");
    assert_eq!(pounds["cells"][3], "17.6 [lb_av]");
    assert_eq!(pounds["cells"][4], "no percentile", "never converted");
    let percentiles = &card(&board, "percentiles")["series"];
    assert_eq!(percentiles[0]["name"], "Weight");
    assert_eq!(
        percentiles[0]["points"].as_array().map(Vec::len),
        Some(3),
        "the pound reading has no percentile point"
    );
    assert_eq!(
        card(&board, "weight")["series"].as_array().map(Vec::len),
        Some(2),
        "kg and pounds apart"
    );

    let empty = draw_with(&host, "Eve", "growth", nothing_relevant(), vec![]).await;
    golden("growth-nothing-relevant", &empty);
    assert_eq!(
        card(&empty, "growth-status")["items"][0]["status"],
        "missing"
    );
    assert_eq!(card(&empty, "percentiles")["series"], json!([]));
}
