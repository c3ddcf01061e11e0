//! Small JSON helpers shared by both conversion directions.

use serde_json::{Map, Value, json};

use crate::ConvertError;

/// A FHIR JSON object.
pub(crate) type Obj = Map<String, Value>;

/// Prefix of the official cross-version extensions for DSTU3 elements R4 lacks
/// (<https://hl7.org/fhir/R4/versions.html#extensions>).
pub(crate) const XV3: &str = "http://hl7.org/fhir/3.0/StructureDefinition/extension-";
/// Prefix of the cross-version extensions for R4 elements DSTU3 lacks.
pub(crate) const XV4: &str = "http://hl7.org/fhir/4.0/StructureDefinition/extension-";

/// Code systems that moved to terminology.hl7.org in R4: (DSTU3 URL, R4 URL).
/// v2/v3 tables are handled by prefix in [`system_to_r4`].
const MOVED_SYSTEMS: &[(&str, &str)] = &[
    ("observation-category", "observation-category"),
    ("condition-category", "condition-category"),
    ("condition-clinical", "condition-clinical"),
    ("condition-ver-status", "condition-ver-status"),
    ("allergy-clinical-status", "allergyintolerance-clinical"),
    ("allergyintolerance-clinical", "allergyintolerance-clinical"),
    (
        "allergy-verification-status",
        "allergyintolerance-verification",
    ),
    (
        "allergyintolerance-verification",
        "allergyintolerance-verification",
    ),
    ("diagnosis-role", "diagnosis-role"),
    ("medication-request-category", "medicationrequest-category"),
    (
        "medication-statement-category",
        "medication-statement-category",
    ),
    ("immunization-origin", "immunization-origin"),
    ("organization-type", "organization-type"),
    ("practitioner-role", "practitioner-role"),
    ("location-physical-type", "location-physical-type"),
    ("careplan-category", "careplan-category"),
    ("goal-category", "goal-category"),
    ("goal-priority", "goal-priority"),
    ("encounter-type", "encounter-type"),
    ("encounter-admit-source", "admit-source"),
    ("discharge-disposition", "discharge-disposition"),
    ("diet", "diet"),
    ("media-type", "media-type"),
    ("reaction-event-certainty", "reaction-event-certainty"),
];

const THO: &str = "http://terminology.hl7.org/CodeSystem/";
const CORE: &str = "http://hl7.org/fhir/";

/// Maps a DSTU3 code-system URL to its R4 home; unknown URLs are returned as is.
pub(crate) fn system_to_r4(system: &str) -> Option<String> {
    if let Some(rest) = system.strip_prefix("http://hl7.org/fhir/v2/") {
        return Some(format!("{THO}v2-{rest}"));
    }
    if let Some(rest) = system.strip_prefix("http://hl7.org/fhir/v3/") {
        return Some(format!("{THO}v3-{rest}"));
    }
    let rest = system.strip_prefix(CORE)?;
    MOVED_SYSTEMS
        .iter()
        .find(|(old, _)| *old == rest)
        .map(|(_, new)| format!("{THO}{new}"))
}

/// Maps an R4 terminology.hl7.org URL back to its DSTU3 URL.
pub(crate) fn system_to_dstu3(system: &str) -> Option<String> {
    let rest = system.strip_prefix(THO)?;
    if let Some(t) = rest.strip_prefix("v2-") {
        return Some(format!("{CORE}v2/{t}"));
    }
    if let Some(t) = rest.strip_prefix("v3-") {
        return Some(format!("{CORE}v3/{t}"));
    }
    // The first DSTU3 spelling listed for an R4 name is the canonical one.
    MOVED_SYSTEMS
        .iter()
        .find(|(_, new)| *new == rest)
        .map(|(old, _)| format!("{CORE}{old}"))
}

/// Rewrites every `system` string in the tree with `f`; Identifier systems are never
/// in the moved list, so a blanket walk is safe.
pub(crate) fn rewrite_systems(v: &mut Value, f: fn(&str) -> Option<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get_mut("system")
                && let Some(new) = f(s)
            {
                *s = new;
            }
            for (k, child) in o.iter_mut() {
                // Contained resources are converted on their own, with their own type rules.
                if k != "contained" {
                    rewrite_systems(child, f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_systems(c, f)),
        _ => {}
    }
}

/// Renames `from` (and its `_from` primitive-extension twin) to `to`.
pub(crate) fn rename(o: &mut Obj, from: &str, to: &str) {
    if let Some(v) = o.remove(from) {
        o.insert(to.to_string(), v);
    }
    if let Some(v) = o.remove(&format!("_{from}")) {
        o.insert(format!("_{to}"), v);
    }
}

/// Removes an element and its `_element` twin, returning the value.
pub(crate) fn take(o: &mut Obj, key: &str) -> Option<Value> {
    o.remove(&format!("_{key}"));
    o.remove(key)
}

/// Wraps a single value into an array (R4 often widened 0..1 to 0..*).
pub(crate) fn widen(o: &mut Obj, key: &str) {
    if let Some(v) = o.get_mut(key)
        && !v.is_array()
    {
        *v = Value::Array(vec![v.take()]);
    }
}

/// Narrows an array to its first element (for R4 0..* elements that are 0..1 in DSTU3).
pub(crate) fn narrow(o: &mut Obj, key: &str) {
    if let Some(Value::Array(a)) = o.get_mut(key) {
        match a.is_empty() {
            true => {
                o.remove(key);
            }
            false => {
                let first = a.swap_remove(0);
                o.insert(key.to_string(), first);
            }
        }
    }
}

/// A CodeableConcept holding one coding.
pub(crate) fn cc(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

/// The code of the first coding of a CodeableConcept whose system is one of `systems`.
pub(crate) fn cc_code<'a>(v: &'a Value, systems: &[&str]) -> Option<&'a str> {
    v.get("coding")?.as_array()?.iter().find_map(|c| {
        let sys = c.get("system")?.as_str()?;
        systems
            .contains(&sys)
            .then(|| c.get("code")?.as_str())
            .flatten()
    })
}

/// Maps a code through a (from, to) table; `None` in the table means "drop".
pub(crate) fn map_code(
    path: &str,
    code: &Value,
    table: &[(&str, Option<&'static str>)],
) -> Result<Option<&'static str>, ConvertError> {
    let s = code.as_str().ok_or_else(|| ConvertError::Invalid {
        path: path.to_string(),
        reason: format!("expected a code string, found {code}"),
    })?;
    table
        .iter()
        .find(|(from, _)| *from == s)
        .map(|(_, to)| *to)
        .ok_or_else(|| ConvertError::Invalid {
            path: path.to_string(),
            reason: format!("code '{s}' has no mapping"),
        })
}

/// Identity table entries for codes that are the same in both versions.
pub(crate) fn same<'a>(codes: &'a [&'static str]) -> Vec<(&'a str, Option<&'static str>)> {
    codes.iter().map(|c| (*c, Some(*c))).collect()
}

/// Appends an extension `{url, value<kind>: value}` to `o.extension`.
pub(crate) fn push_ext(o: &mut Obj, url: String, kind: &str, value: Value) {
    let ext = json!({ "url": url, format!("value{kind}"): value });
    match o.get_mut("extension") {
        Some(Value::Array(a)) => a.push(ext),
        _ => {
            o.insert("extension".into(), Value::Array(vec![ext]));
        }
    }
}

/// Removes the first extension with `url` and returns its `value[x]` (key, value).
pub(crate) fn take_ext(o: &mut Obj, url: &str) -> Option<(String, Value)> {
    let Some(Value::Array(a)) = o.get_mut("extension") else {
        return None;
    };
    let idx = a
        .iter()
        .position(|e| e.get("url").and_then(Value::as_str) == Some(url))?;
    let ext = a.remove(idx);
    if a.is_empty() {
        o.remove("extension");
    }
    let Value::Object(mut e) = ext else {
        return None;
    };
    let key = e.keys().find(|k| k.starts_with("value"))?.clone();
    let v = e.remove(&key)?;
    Some((key, v))
}

/// Moves element `key` of `o` into a cross-version extension (`prefix` + `path`).
pub(crate) fn stash(o: &mut Obj, key: &str, prefix: &str, path: &str, kind: &str) {
    if let Some(v) = take(o, key) {
        push_ext(o, format!("{prefix}{path}"), kind, v);
    }
}

/// Restores a cross-version extension into element `key` (the inverse of [`stash`]).
pub(crate) fn unstash(o: &mut Obj, key: &str, prefix: &str, path: &str) {
    if let Some((_, v)) = take_ext(o, &format!("{prefix}{path}")) {
        o.insert(key.to_string(), v);
    }
}

/// Removes every `prefix<Type>` choice element (and `_` twins), returning (key, value) pairs.
pub(crate) fn take_choice(o: &mut Obj, prefix: &str) -> Vec<(String, Value)> {
    let keys: Vec<String> = o
        .keys()
        .filter(|k| {
            let k = k.strip_prefix('_').unwrap_or(k);
            k.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        })
        .cloned()
        .collect();
    keys.into_iter()
        .filter_map(|k| o.remove(&k).map(|v| (k, v)))
        .collect()
}

/// The resource type of a relative or absolute literal reference, if it has one.
pub(crate) fn ref_type(r: &Value) -> Option<&str> {
    let s = r.get("reference")?.as_str()?;
    let parts: Vec<&str> = s.split('/').collect();
    // `Type/id/_history/n` puts the type further left.
    let ty = match parts.iter().rposition(|p| *p == "_history") {
        Some(h) if h >= 2 => parts[h - 2],
        _ if parts.len() >= 2 => parts[parts.len() - 2],
        _ => return None,
    };
    ty.starts_with(|c: char| c.is_ascii_uppercase())
        .then_some(ty)
}

/// The object inside `v`, or an error naming `path`.
pub(crate) fn as_obj<'a>(v: &'a mut Value, path: &str) -> Result<&'a mut Obj, ConvertError> {
    v.as_object_mut().ok_or_else(|| ConvertError::Invalid {
        path: path.to_string(),
        reason: "expected an object".into(),
    })
}

/// Applies `f` to every object element of array (or single object) `key`, with index in the path.
pub(crate) fn each(
    o: &mut Obj,
    key: &str,
    path: &str,
    mut f: impl FnMut(&mut Obj, &str) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    match o.get_mut(key) {
        Some(Value::Array(a)) => {
            for (i, item) in a.iter_mut().enumerate() {
                let p = format!("{path}.{key}[{i}]");
                f(as_obj(item, &p)?, &p)?;
            }
        }
        Some(v @ Value::Object(_)) => {
            let p = format!("{path}.{key}");
            f(as_obj(v, &p)?, &p)?;
        }
        Some(other) => {
            return Err(ConvertError::Invalid {
                path: format!("{path}.{key}"),
                reason: format!("expected an object or array, found {other}"),
            });
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_move_both_ways() {
        assert_eq!(
            system_to_r4("http://hl7.org/fhir/v2/0203").as_deref(),
            Some("http://terminology.hl7.org/CodeSystem/v2-0203")
        );
        assert_eq!(
            system_to_r4("http://hl7.org/fhir/observation-category").as_deref(),
            Some("http://terminology.hl7.org/CodeSystem/observation-category")
        );
        assert_eq!(system_to_r4("http://loinc.org"), None);
        assert_eq!(
            system_to_dstu3("http://terminology.hl7.org/CodeSystem/v3-Race").as_deref(),
            Some("http://hl7.org/fhir/v3/Race")
        );
        assert_eq!(
            system_to_dstu3("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical")
                .as_deref(),
            Some("http://hl7.org/fhir/allergy-clinical-status")
        );
    }

    #[test]
    fn ref_type_reads_relative_and_absolute_references() {
        assert_eq!(
            ref_type(&json!({"reference": "Encounter/1"})),
            Some("Encounter")
        );
        assert_eq!(
            ref_type(&json!({"reference": "http://x.org/fhir/EpisodeOfCare/9/_history/2"})),
            Some("EpisodeOfCare")
        );
        assert_eq!(ref_type(&json!({"reference": "urn:uuid:abc"})), None);
    }

    #[test]
    fn ext_stash_round_trips() {
        let mut o = json!({"a": 1}).as_object().unwrap().clone();
        stash(&mut o, "a", XV3, "X.a", "Integer");
        assert!(!o.contains_key("a"));
        assert_eq!(
            o["extension"][0]["url"],
            "http://hl7.org/fhir/3.0/StructureDefinition/extension-X.a"
        );
        unstash(&mut o, "a", XV3, "X.a");
        assert_eq!(o["a"], 1);
        assert!(!o.contains_key("extension"));
    }
}
