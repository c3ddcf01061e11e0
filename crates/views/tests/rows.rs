//! Rows keep what the records hold, and bad views say where they are wrong.

use hearth_views::{View, ViewError};
use serde_json::{Value, json};

#[test]
fn a_decimal_column_keeps_the_written_digits() {
    let obs: Value = serde_json::from_str(
        r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"LDL"},
            "valueQuantity":{"value":130.50,"unit":"mg/dL"},"effectiveDateTime":"2024-03-01"}"#,
    )
    .unwrap();
    let view = View::parse(&json!({
        "resource": "Observation",
        "select": [{"column": [
            {"name": "id", "path": "getResourceKey()"},
            {"name": "value", "path": "value.ofType(Quantity).value"},
            {"name": "doubled", "path": "value.ofType(Quantity).value * 2"},
            {"name": "when", "path": "effective.ofType(dateTime)"}
        ]}]
    }))
    .unwrap();
    let mut rows = Vec::new();
    view.rows(&obs, &mut rows).unwrap();
    assert_eq!(
        serde_json::to_string(&rows).unwrap(),
        r#"[["Observation/o1",130.50,261.00,"2024-03-01"]]"#
    );
    // A resource of another type gives no rows.
    view.rows(&json!({"resourceType": "Patient", "id": "p"}), &mut rows)
        .unwrap();
    assert_eq!(rows.len(), 1);
}

#[test]
fn a_bad_view_names_the_place_that_is_wrong() {
    let err = View::parse(&json!({
        "resource": "Observation",
        "select": [{"column": [{"name": "v", "path": "value.ofType(Quantity"}]}]
    }))
    .unwrap_err();
    assert!(
        matches!(&err, ViewError::Invalid { at, .. } if at == "select[0].column[0].path"),
        "{err}"
    );
    let err =
        View::parse(&json!({"resource": "Obsrvation", "select": [{"column": []}]})).unwrap_err();
    assert!(
        err.to_string()
            .contains("Obsrvation is not a FHIR R4 resource type")
    );
    let many = View::parse(&json!({
        "resource": "Patient",
        "select": [{"column": [{"name": "given", "path": "name.given"}]}]
    }))
    .unwrap();
    let err = many
        .rows(
            &json!({"resourceType": "Patient", "id": "p1", "name": [{"given": ["A", "B"]}]}),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "select[0].column[0].path on Patient/p1: gives 2 values; set \"collection\": true to keep them all"
    );
}
