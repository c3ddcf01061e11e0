//! The official HL7 R4 example resources kept with the FHIRPath test suite (when present)
//! pass the strict R4 check: they are valid R4 written by the spec's authors.

mod common;

use serde_json::Value;

/// Examples with known problems of their own, and why (none so far).
const KNOWN_INVALID: &[(&str, &str)] = &[];

#[test]
fn official_r4_json_examples_pass_check_r4() {
    let Some(files) = common::shared_json_files("fhirpath") else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some((_, why)) = KNOWN_INVALID.iter().find(|(n, _)| *n == name) {
            eprintln!("skipping {name}: {why}");
            continue;
        }
        let text = std::fs::read_to_string(file).expect("readable example");
        let resource: Value = serde_json::from_str(&text).expect("example is JSON");
        checked += 1;
        let issues = hearth_dstu3::check_r4_issues(&resource);
        if !issues.is_empty() {
            failures.push(format!("{name}: {issues:?}"));
        }
    }
    eprintln!("official examples: {checked} checked");
    assert!(checked > 0, "no JSON example in the shared fhirpath folder");
    assert!(failures.is_empty(), "{failures:#?}");
}
