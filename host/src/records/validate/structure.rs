//! Structural checks that hold for any resource: references, codings, depth.

use super::*;

/// Structural checks that hold for any resource type; returns the first problem found.
pub fn check_resource(value: &Value) -> Result<(), Invalid> {
    let Some(object) = value.as_object() else {
        return invalid("", "is not a JSON object");
    };
    let resource_type = match object.get("resourceType") {
        None => return invalid("resourceType", "is required"),
        Some(Value::String(t)) if is_type_name(t) => t.as_str(),
        Some(_) => return invalid("resourceType", "is not a FHIR resource type name"),
    };
    if let Some(id) = object.get("id")
        && !id.as_str().is_some_and(is_fhir_id)
    {
        return invalid("id", "is not a FHIR id (1-64 of A-Z a-z 0-9 - .)");
    }
    if let Some(updated) = object.get("meta").and_then(|m| m.get("lastUpdated")) {
        DateKind::Instant.check(updated, "meta.lastUpdated")?;
    }
    let fields = date_fields(resource_type);
    for path in fields {
        if let Some(date) = path.split('.').try_fold(value, |v, key| v.get(key)) {
            DateKind::of(path).check(date, path)?;
        }
    }
    // Every type that has `birthDate` (Patient, Practitioner, RelatedPerson, Person) means a date.
    if !fields.contains(&"birthDate")
        && let Some(birth) = object.get("birthDate")
    {
        DateKind::Date.check(birth, "birthDate")?;
    }
    walk(value, &mut Vec::new())
}

/// One step of a path, kept borrowed so that the walk formats a path only on failure.
pub(super) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

pub(super) fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            // Writing to a String cannot fail.
            Step::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// Checks every `reference` and `coding` in the tree below `value`.
pub(super) fn walk<'a>(value: &'a Value, path: &mut Vec<Step<'a>>) -> Result<(), Invalid> {
    match value {
        Value::Object(object) => {
            if path.len() >= MAX_DEPTH {
                return invalid(render(path), "nested too deeply");
            }
            for (key, child) in object {
                path.push(Step::Key(key));
                match key.as_str() {
                    "reference" if child.as_str().is_none_or(|r| r.trim().is_empty()) => {
                        return invalid(render(path), "must be a non-empty string");
                    }
                    "coding" => check_coding(child, path)?,
                    _ => {}
                }
                walk(child, path)?;
                path.pop();
            }
        }
        Value::Array(items) => {
            if path.len() >= MAX_DEPTH {
                return invalid(render(path), "nested too deeply");
            }
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(item, path)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

/// A `coding` element: an array of Codings with clean `system` and `code`.
pub(super) fn check_coding(value: &Value, path: &[Step]) -> Result<(), Invalid> {
    let Some(items) = value.as_array() else {
        return invalid(render(path), "must be an array of Codings");
    };
    for (i, item) in items.iter().enumerate() {
        let here = || format!("{}[{i}]", render(path));
        let Some(coding) = item.as_object() else {
            return invalid(here(), "must be a Coding (an object)");
        };
        if let Some(system) = coding.get("system")
            && !system
                .as_str()
                .is_some_and(|s| !s.is_empty() && !s.contains(char::is_whitespace))
        {
            return invalid(
                format!("{}.system", here()),
                "must be a non-empty URI without whitespace",
            );
        }
        if let Some(code) = coding.get("code")
            && !code
                .as_str()
                .is_some_and(|c| !c.is_empty() && c.trim() == c)
        {
            return invalid(
                format!("{}.code", here()),
                "must be a non-empty string without leading or trailing whitespace",
            );
        }
    }
    Ok(())
}
