//! Converts the shared Synthea DSTU3 bundles (when present) and checks every resource, and
//! checks every resource of the shared Synthea R4 bundles as it is (real data guards the
//! strict check against false positives).

mod common;

use std::path::PathBuf;

use serde_json::Value;

const CORE: &[&str] = &[
    "Patient",
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "AllergyIntolerance",
    "Immunization",
    "Procedure",
    "Encounter",
    "DiagnosticReport",
    "DocumentReference",
];

#[test]
fn every_synthea_dstu3_resource_converts_to_valid_r4() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/synthea");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        eprintln!(
            "skipping: {} not found (CI clones do not have it)",
            root.display()
        );
        return;
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in dirs.flatten() {
        let Ok(entries) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json")),
        );
    }
    files.sort();
    let mut bundles = 0;
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable bundle");
        let bundle: Value = serde_json::from_str(&text).expect("bundle is JSON");
        // DSTU3 bundles are recognised by content (R4 Conditions carry CodeableConcept statuses).
        if !is_dstu3(&bundle) {
            continue;
        }
        bundles += 1;
        // Whole bundles, as an upload converts them: some entries need the others (Synthea's
        // DSTU3 goals have no subject; R4 requires one, found through the bundle).
        let r4 = match hearth_dstu3::to_r4(bundle) {
            Ok(r4) => r4,
            Err(e) => {
                failures.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        for issue in hearth_dstu3::check_r4_issues(&r4) {
            failures.push(format!("{} bundle: {issue}", file.display()));
        }
        for (i, entry) in r4["entry"].as_array().into_iter().flatten().enumerate() {
            let res = &entry["resource"];
            let rt = res["resourceType"].as_str().unwrap_or_default();
            checked += 1;
            if let Err(errs) = hearth_dstu3::check_r4(res) {
                failures.push(format!("{}#{i} {rt}: {errs:?}", file.display()));
            }
        }
    }
    eprintln!("synthea: {bundles} DSTU3 bundles, {checked} converted resources checked");
    assert!(
        bundles > 0,
        "no DSTU3 bundle found under {}",
        root.display()
    );
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

fn is_dstu3(bundle: &Value) -> bool {
    bundle["entry"].as_array().into_iter().flatten().any(|e| {
        let r = &e["resource"];
        matches!(
            r["resourceType"].as_str(),
            Some("Condition" | "AllergyIntolerance")
        ) && r["clinicalStatus"].is_string()
            || r["resourceType"] == "Immunization" && r.get("notGiven").is_some()
            || r.get("context").is_some_and(|c| c.is_object())
                && matches!(
                    r["resourceType"].as_str(),
                    Some("Observation" | "Condition" | "Procedure")
                )
    })
}

#[test]
fn synthea_r4_bundles_pass_check_r4_and_survive_a_dstu3_round_trip() {
    // Real R4 data guards the checker against false positives, and the round trip must be exact.
    let Some(files) = common::shared_json_files("synthea/r4") else {
        return;
    };
    let mut checked = 0;
    let mut round_trips = 0;
    let mut failures = Vec::new();
    for file in &files {
        let bundle: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("readable")).expect("JSON");
        // The bundle as a whole (its own elements and each entry) ...
        for issue in hearth_dstu3::check_r4_issues(&bundle) {
            failures.push(format!("{} bundle: {issue}", file.display()));
        }
        for (i, entry) in bundle["entry"].as_array().into_iter().flatten().enumerate() {
            // ... and every resource on its own, whatever its type (Claim and
            // ExplanationOfBenefit have no table but still get the JSON rules).
            let res = &entry["resource"];
            let rt = res["resourceType"].as_str().unwrap_or_default();
            checked += 1;
            if let Err(errs) = hearth_dstu3::check_r4(res) {
                failures.push(format!("{}#{i} {rt} original: {errs:?}", file.display()));
                continue;
            }
            if !CORE.contains(&rt) {
                continue;
            }
            round_trips += 1;
            let back = hearth_dstu3::to_dstu3(res.clone()).and_then(hearth_dstu3::to_r4);
            match back {
                Ok(r4) => {
                    if let Err(errs) = hearth_dstu3::check_r4(&r4) {
                        failures.push(format!("{}#{i} {rt} round trip: {errs:?}", file.display()));
                    }
                    let changed: Vec<&String> = res
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, v)| r4.get(k.as_str()) != Some(*v))
                        .map(|(k, _)| k)
                        .collect();
                    if !changed.is_empty() {
                        failures.push(format!(
                            "{}#{i} {rt} round trip changed {changed:?}",
                            file.display()
                        ));
                    }
                }
                Err(e) => failures.push(format!("{}#{i} {rt}: {e}", file.display())),
            }
        }
    }
    eprintln!("synthea r4: {checked} resources checked, {round_trips} core ones round-tripped");
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(8)]
    );
}
