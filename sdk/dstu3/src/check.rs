//! Structural R4 check: element names, cardinalities, JSON shapes, required bindings.

use serde_json::Value;

use crate::spec::{
    self, BACKBONE_BASE, DSTU3_ONLY_TYPES, El, PRIMITIVE_SUFFIXES, RESOURCE_BASE, Ty, choice_suffix,
};

/// Checks that `resource` is structurally valid R4 and returns every problem found.
///
/// Checked for the eleven core types (and the pass-through types this crate converts):
/// required elements and cardinalities, required-binding codes, choice elements present at
/// most once with an allowed type, JSON shape (object vs primitive vs array), and that every
/// element at the top level and in known backbone elements is defined by R4.
/// DSTU3-only resource types fail; other R4 types only need a `resourceType`.
/// Not checked: terminology beyond required bindings, references, invariants except a few
/// status rules, and datatype internals (e.g. inside a CodeableConcept).
pub fn check_r4(resource: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check_resource(resource, "", &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_resource(resource: &Value, prefix: &str, errors: &mut Vec<String>) {
    let Some(o) = resource.as_object() else {
        errors.push(format!("{prefix}(resource): expected a JSON object"));
        return;
    };
    let Some(rt) = o.get("resourceType").and_then(Value::as_str) else {
        errors.push(format!("{prefix}resourceType: missing"));
        return;
    };
    let path = format!("{prefix}{rt}");
    if DSTU3_ONLY_TYPES.contains(&rt) {
        errors.push(format!("{path}: not an R4 resource type"));
        return;
    }
    if let Some(Value::Array(contained)) = o.get("contained") {
        for (i, c) in contained.iter().enumerate() {
            check_resource(c, &format!("{path}.contained[{i}]/"), errors);
        }
    }
    let Some(elements) = spec::r4(rt) else {
        return;
    };
    check_object(o, elements, RESOURCE_BASE, &path, errors);
    invariants(rt, o, &path, errors);
}

fn check_object(
    o: &serde_json::Map<String, Value>,
    elements: &[El],
    base: &[&str],
    path: &str,
    errors: &mut Vec<String>,
) {
    for key in o.keys() {
        let name = key.strip_prefix('_').unwrap_or(key);
        if base.contains(&name) || spec::find(elements, name).is_some() {
            continue;
        }
        let choice = elements
            .iter()
            .find(|el| matches!(el.ty, Ty::Choice(_)) && choice_suffix(name, el.name).is_some());
        match choice {
            Some(el) => errors.push(format!("{path}.{key}: type not allowed for {}[x]", el.name)),
            None => errors.push(format!("{path}.{key}: element not defined in R4")),
        }
    }
    for el in elements {
        let p = format!("{path}.{}", el.name);
        if let Ty::Choice(types) = el.ty {
            let present: Vec<(&String, &Value)> = o
                .iter()
                .filter(|(k, _)| choice_suffix(k, el.name).is_some_and(|s| types.contains(&s)))
                .collect();
            if present.len() > 1 {
                let keys: Vec<&str> = present.iter().map(|(k, _)| k.as_str()).collect();
                errors.push(format!(
                    "{p}[x]: choice present more than once ({})",
                    keys.join(", ")
                ));
            }
            if el.min > 0 && present.is_empty() {
                errors.push(format!("{p}[x]: required element missing"));
            }
            for (k, v) in present {
                let suffix = choice_suffix(k, el.name).unwrap_or_default();
                let ty = if PRIMITIVE_SUFFIXES.contains(&suffix) {
                    Ty::Prim
                } else {
                    Ty::Complex
                };
                check_value(v, ty, &format!("{path}.{k}"), errors);
            }
            continue;
        }
        let Some(v) = o.get(el.name) else {
            if el.min > 0 && !o.contains_key(&format!("_{}", el.name)) {
                errors.push(format!("{p}: required element missing"));
            }
            continue;
        };
        match (el.many, v) {
            (true, Value::Array(items)) => {
                if items.is_empty() {
                    errors.push(format!("{p}: empty array (omit the element instead)"));
                }
                for (i, item) in items.iter().enumerate() {
                    check_value(item, el.ty, &format!("{p}[{i}]"), errors);
                }
            }
            (true, _) => errors.push(format!("{p}: expected an array")),
            (false, Value::Array(_)) => {
                errors.push(format!("{p}: expected a single value, found an array"))
            }
            (false, v) => check_value(v, el.ty, &p, errors),
        }
    }
}

fn check_value(v: &Value, ty: Ty, path: &str, errors: &mut Vec<String>) {
    match ty {
        Ty::Prim => {
            if v.is_object() || v.is_array() || v.is_null() {
                errors.push(format!(
                    "{path}: expected a primitive value, found {}",
                    kind(v)
                ));
            }
        }
        Ty::Code(codes) => match v.as_str() {
            Some(c) if codes.contains(&c) => {}
            Some(c) => errors.push(format!(
                "{path}: '{c}' is not in the required value set ({})",
                codes.join("|")
            )),
            None => errors.push(format!("{path}: expected a code string, found {}", kind(v))),
        },
        Ty::Complex | Ty::Choice(_) => {
            if !v.is_object() {
                errors.push(format!("{path}: expected an object, found {}", kind(v)));
            }
        }
        Ty::BoundCc(system, codes) => {
            if !v.is_object() {
                errors.push(format!(
                    "{path}: expected a CodeableConcept object, found {}",
                    kind(v)
                ));
                return;
            }
            let from_system: Vec<&str> = v
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| c.get("system").and_then(Value::as_str) == Some(system))
                .filter_map(|c| c.get("code").and_then(Value::as_str))
                .collect();
            if from_system.is_empty() {
                errors.push(format!("{path}: needs a coding from {system}"));
            }
            for c in from_system {
                if !codes.contains(&c) {
                    errors.push(format!(
                        "{path}: '{c}' is not in the required value set ({})",
                        codes.join("|")
                    ));
                }
            }
        }
        Ty::Backbone(children) => match v.as_object() {
            Some(o) => check_object(o, children, BACKBONE_BASE, path, errors),
            None => errors.push(format!("{path}: expected an object, found {}", kind(v))),
        },
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The status rules R4 states as invariants (con-5, ait-1, ait-2).
fn invariants(rt: &str, o: &serde_json::Map<String, Value>, path: &str, errors: &mut Vec<String>) {
    let ver_code = |sys: &str| {
        o.get("verificationStatus")
            .and_then(|v| crate::util::cc_code(v, &[sys]))
            .map(str::to_string)
    };
    match rt {
        "Condition" => {
            let in_error = ver_code("http://terminology.hl7.org/CodeSystem/condition-ver-status")
                .as_deref()
                == Some("entered-in-error");
            if in_error && o.contains_key("clinicalStatus") {
                errors.push(format!(
                    "{path}.clinicalStatus: must be absent when verificationStatus is entered-in-error (con-5)"
                ));
            }
        }
        "AllergyIntolerance" => {
            let in_error =
                ver_code("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification")
                    .as_deref()
                    == Some("entered-in-error");
            match (in_error, o.contains_key("clinicalStatus")) {
                (true, true) => errors.push(format!(
                    "{path}.clinicalStatus: must be absent when verificationStatus is entered-in-error (ait-2)"
                )),
                (false, false) => errors.push(format!(
                    "{path}.clinicalStatus: required unless verificationStatus is entered-in-error (ait-1)"
                )),
                _ => {}
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn choice_twice_and_wrong_choice_type_are_reported() {
        let obs = json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "x"}, "valueString": "a", "valueBoolean": true,
            "effectiveAttachment": {}});
        let errs = check_r4(&obs).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.starts_with("Observation.value[x]: choice present more than once")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("Observation.effectiveAttachment: type not allowed")),
            "{errs:?}"
        );
    }

    #[test]
    fn primitive_extension_twins_are_accepted() {
        let p = json!({"resourceType": "Patient", "birthDate": "1970-01-01",
            "_birthDate": {"extension": [{"url": "http://x", "valueDateTime": "1970-01-01T10:00:00Z"}]}});
        assert_eq!(check_r4(&p), Ok(()));
    }

    #[test]
    fn dstu3_only_types_fail_and_unknown_r4_types_pass() {
        assert!(check_r4(&json!({"resourceType": "ProcedureRequest"})).is_err());
        assert_eq!(
            check_r4(&json!({"resourceType": "Questionnaire", "status": "draft"})),
            Ok(())
        );
        assert!(check_r4(&json!({"id": "x"})).is_err());
    }

    #[test]
    fn allergy_status_invariants() {
        let mut a =
            json!({"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/1"}});
        let errs = check_r4(&a).unwrap_err();
        assert!(errs[0].contains("ait-1"), "{errs:?}");
        a["verificationStatus"] = json!({"coding": [{"system":
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "entered-in-error"}]});
        assert_eq!(check_r4(&a), Ok(()));
    }
}
