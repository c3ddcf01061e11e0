//! The official SQL-on-FHIR v2 test suite (`../shared/data/sql-on-fhir/tests/*.json`), run in full.
//!
//! Prints the pass count per file. Every test passes except those in `KNOWN_FAILURES`, each
//! with its reason; a listed test that starts passing fails the run, so the list stays true.

use hearth_views::View;
use serde_json::Value;
use std::path::PathBuf;

/// `(file, title, reason)` of tests this runner is known to get wrong.
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("HEARTH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join("sql-on-fhir/tests");
    dir.is_dir().then_some(dir)
}

/// Numbers compare by value (`1.50` = `1.5`), everything else exactly.
fn normal(v: &Value) -> Value {
    match v {
        Value::Number(n) => {
            let text = n.to_string();
            let trimmed = if text.contains('.') && !text.contains(['e', 'E']) {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text
            };
            Value::String(format!("#{trimmed}"))
        }
        Value::Array(items) => Value::Array(items.iter().map(normal).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), normal(v))).collect()),
        other => other.clone(),
    }
}

fn run(test: &Value, resources: &[Value]) -> Result<(), String> {
    let expect_error = test.get("expectError").and_then(Value::as_bool) == Some(true);
    let outcome = View::parse(&test["view"])
        .map_err(|e| e.to_string())
        .and_then(|view| {
            let mut rows = Vec::new();
            for r in resources {
                view.rows(r, &mut rows).map_err(|e| e.to_string())?;
            }
            let names: Vec<String> = view.columns().iter().map(|c| c.name.clone()).collect();
            Ok((names, rows))
        });
    if expect_error {
        return match outcome {
            Err(_) => Ok(()),
            Ok((_, rows)) => Err(format!("expected an error, got {} rows", rows.len())),
        };
    }
    let (names, rows) = outcome?;
    if let Some(expected) = test.get("expectColumns").and_then(Value::as_array) {
        let expected: Vec<&str> = expected.iter().filter_map(Value::as_str).collect();
        if expected != names {
            return Err(format!("columns {names:?}, expected {expected:?}"));
        }
    }
    let mut got: Vec<String> = rows
        .iter()
        .map(|row| {
            let object: serde_json::Map<String, Value> =
                names.iter().cloned().zip(row.iter().map(normal)).collect();
            Value::Object(object).to_string()
        })
        .collect();
    let mut expected: Vec<String> = test["expect"]
        .as_array()
        .ok_or("test has neither expect nor expectError")?
        .iter()
        .map(|row| normal(row).to_string())
        .collect();
    // Like the reference runner: rows compare without regard to order.
    got.sort();
    expected.sort();
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}\n     got {got:?}"))
    }
}

#[test]
fn official_sql_on_fhir_v2_suite() {
    let Some(dir) = data_dir() else {
        eprintln!("../shared/data/sql-on-fhir is absent (set HEARTH_SHARED_DATA): suite skipped");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut passed, mut total, mut known) = (0, 0, 0);
    let mut unexpected = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let suite: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let resources = suite["resources"].as_array().cloned().unwrap_or_default();
        let mut file_passed = 0;
        let tests = suite["tests"].as_array().unwrap();
        for test in tests {
            let title = test["title"].as_str().unwrap_or_default();
            let listed = KNOWN_FAILURES
                .iter()
                .any(|(f, t, _)| *f == name && *t == title);
            match (run(test, &resources), listed) {
                (Ok(()), false) => file_passed += 1,
                (Ok(()), true) => unexpected.push(format!(
                    "{name} / {title}: listed as a known failure but passes"
                )),
                (Err(_), true) => known += 1,
                (Err(why), false) => unexpected.push(format!("{name} / {title}: {why}")),
            }
        }
        println!("{name:28} {file_passed:>3} / {}", tests.len());
        passed += file_passed;
        total += tests.len();
    }
    println!("SQL-on-FHIR v2 suite: {passed} of {total} pass; {known} known failures");
    assert!(total >= 130, "suite has {total} tests");
    assert!(
        unexpected.is_empty(),
        "{} unexpected results:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
