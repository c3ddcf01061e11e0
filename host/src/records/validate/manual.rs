//! The strict rules for records a person types in, per type, and the element helpers they share.

use super::*;

pub(super) const SUPPORTED: &str = "manual entry supports Condition, MedicationStatement, \
AllergyIntolerance, Immunization, Procedure, Encounter, Observation, Practitioner";

pub(super) const CONDITION_CLINICAL: &str =
    "http://terminology.hl7.org/CodeSystem/condition-clinical";
pub(super) const ALLERGY_CLINICAL: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";

pub(super) const VALUE_KEYS: [&str; 5] = [
    "valueQuantity",
    "valueCodeableConcept",
    "valueString",
    "valueBoolean",
    "valueInteger",
];
pub(super) const VALUE_REQUIRED: &str = "is required: one of valueQuantity, valueCodeableConcept, \
valueString, valueBoolean, valueInteger";

pub(super) type TypeCheck = fn(&Object, NaiveDate) -> Result<(), Invalid>;

/// Strict checks for a record a user typed in, of `resource_type`, as of `today`.
pub fn check_manual(resource_type: &str, value: &Value, today: NaiveDate) -> Result<(), Invalid> {
    check_resource(value)?;
    let check: TypeCheck = match resource_type {
        "Condition" => condition,
        "MedicationStatement" => medication_statement,
        "AllergyIntolerance" => allergy_intolerance,
        "Immunization" => immunization,
        "Procedure" => procedure,
        "Encounter" => encounter,
        "Observation" => observation,
        "Practitioner" => practitioner,
        _ => return invalid("resourceType", SUPPORTED),
    };
    let Some(object) = value.as_object() else {
        return invalid("", "is not a JSON object");
    };
    if object.get("resourceType").and_then(Value::as_str) != Some(resource_type) {
        return invalid("resourceType", format!("expected {resource_type}"));
    }
    check(object, today)?;
    check_codes(value, "")
}

pub(super) fn condition(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
    required_concept(object, "", "code")?;
    status_concept(
        object,
        "clinicalStatus",
        CONDITION_CLINICAL,
        &[
            "active",
            "recurrence",
            "relapse",
            "inactive",
            "remission",
            "resolved",
        ],
    )?;
    let onset = date_time(object, "", "onsetDateTime", Some(today))?;
    let abatement = date_time(object, "", "abatementDateTime", Some(today))?;
    date_time(object, "", "recordedDate", Some(today))?;
    not_before(abatement, onset, "abatementDateTime", "onsetDateTime")
}

pub(super) fn medication_statement(object: &Object, _today: NaiveDate) -> Result<(), Invalid> {
    required_code_in(
        object,
        "status",
        &[
            "active",
            "completed",
            "entered-in-error",
            "intended",
            "stopped",
            "on-hold",
            "unknown",
            "not-taken",
        ],
    )?;
    required_concept(object, "", "medicationCodeableConcept")?;
    // No future check: an `intended` medication may well start later.
    date_time(object, "", "effectiveDateTime", None)?;
    period(object, "effectivePeriod", None)
}

pub(super) fn allergy_intolerance(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
    required_concept(object, "", "code")?;
    status_concept(
        object,
        "clinicalStatus",
        ALLERGY_CLINICAL,
        &["active", "inactive", "resolved"],
    )?;
    if let Some(criticality) = object.get("criticality") {
        code_in(
            criticality,
            "criticality",
            &["low", "high", "unable-to-assess"],
        )?;
    }
    match object.get("category") {
        None => {}
        Some(Value::Array(categories)) => {
            for (i, category) in categories.iter().enumerate() {
                code_in(
                    category,
                    &format!("category[{i}]"),
                    &["food", "medication", "environment", "biologic"],
                )?;
            }
        }
        Some(_) => return invalid("category", "must be an array"),
    }
    date_time(object, "", "onsetDateTime", Some(today))?;
    date_time(object, "", "recordedDate", Some(today))?;
    Ok(())
}

pub(super) fn immunization(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
    required_code_in(
        object,
        "status",
        &["completed", "entered-in-error", "not-done"],
    )?;
    required_concept(object, "", "vaccineCode")?;
    if date_time(object, "", "occurrenceDateTime", Some(today))?.is_none() {
        return invalid("occurrenceDateTime", "is required");
    }
    Ok(())
}

pub(super) fn procedure(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
    required_code_in(
        object,
        "status",
        &[
            "preparation",
            "in-progress",
            "not-done",
            "on-hold",
            "stopped",
            "completed",
            "entered-in-error",
            "unknown",
        ],
    )?;
    required_concept(object, "", "code")?;
    date_time(object, "", "performedDateTime", Some(today))?;
    period(object, "performedPeriod", Some(today))
}

pub(super) fn encounter(object: &Object, _today: NaiveDate) -> Result<(), Invalid> {
    required_code_in(
        object,
        "status",
        &[
            "planned",
            "arrived",
            "triaged",
            "in-progress",
            "onleave",
            "finished",
            "cancelled",
            "entered-in-error",
            "unknown",
        ],
    )?;
    match object.get("class") {
        None => return invalid("class", "is required"),
        Some(Value::Object(class)) => {
            if !filled(class, "code") {
                return invalid("class.code", "is required");
            }
        }
        Some(_) => return invalid("class", "must be a Coding (an object)"),
    }
    // No future check: a `planned` encounter is in the future.
    period(object, "period", None)
}

pub(super) fn observation(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
    required_code_in(
        object,
        "status",
        &[
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        ],
    )?;
    required_concept(object, "", "code")?;
    let has_value = values(object, "")?;
    let has_components = match object.get("component") {
        None => false,
        Some(Value::Array(components)) => {
            for (i, component) in components.iter().enumerate() {
                let base = format!("component[{i}]");
                let Some(component) = component.as_object() else {
                    return invalid(base, "must be an object");
                };
                required_concept(component, &base, "code")?;
                if !values(component, &base)? {
                    return invalid(at(&base, "value[x]"), VALUE_REQUIRED);
                }
            }
            !components.is_empty()
        }
        Some(_) => return invalid("component", "must be an array"),
    };
    if !has_value && !has_components {
        return invalid(
            "value[x]",
            format!("{VALUE_REQUIRED}, or a non-empty component"),
        );
    }
    date_time(object, "", "effectiveDateTime", Some(today))?;
    Ok(())
}

/// Checks the `value[x]` elements manual entry offers; says whether any is present.
pub(super) fn values(object: &Object, base: &str) -> Result<bool, Invalid> {
    let mut found = false;
    for key in VALUE_KEYS {
        let Some(value) = object.get(key) else {
            continue;
        };
        found = true;
        let path = at(base, key);
        match key {
            "valueQuantity" => quantity(value, &path)?,
            "valueCodeableConcept" => concept(value, &path)?,
            "valueString" if value.as_str().is_none_or(|s| s.trim().is_empty()) => {
                return invalid(path, "must be a non-empty string");
            }
            "valueBoolean" if !value.is_boolean() => {
                return invalid(path, "must be true or false");
            }
            // FHIR integers are 32-bit.
            "valueInteger" if value.as_i64().is_none_or(|n| i32::try_from(n).is_err()) => {
                return invalid(path, "must be an integer");
            }
            _ => {}
        }
    }
    Ok(found)
}

pub(super) fn quantity(value: &Value, path: &str) -> Result<(), Invalid> {
    let Some(quantity) = value.as_object() else {
        return invalid(path, "must be a Quantity (an object)");
    };
    match quantity.get("value") {
        None => return invalid(at(path, "value"), "is required"),
        Some(n) if !n.is_number() => return invalid(at(path, "value"), "must be a number"),
        Some(_) => {}
    }
    // A coded unit is only comparable and convertible when it is UCUM.
    if quantity.contains_key("code")
        && let Some(system) = quantity.get("system")
        && system.as_str() != Some(UCUM)
    {
        return invalid(
            at(path, "system"),
            format!("must be {UCUM} when a code is given"),
        );
    }
    Ok(())
}

pub(super) fn practitioner(object: &Object, _today: NaiveDate) -> Result<(), Invalid> {
    let names = match object.get("name") {
        None => return invalid("name", "is required"),
        Some(Value::Array(names)) => names,
        Some(_) => return invalid("name", "must be an array of HumanNames"),
    };
    let Some(first) = names.first() else {
        return invalid("name", "is required");
    };
    if !first
        .as_object()
        .is_some_and(|name| filled(name, "family") || filled(name, "text"))
    {
        return invalid("name[0]", "needs family or text");
    }
    let telecom = match object.get("telecom") {
        None => return Ok(()),
        Some(Value::Array(telecom)) => telecom,
        Some(_) => return invalid("telecom", "must be an array of ContactPoints"),
    };
    for (i, point) in telecom.iter().enumerate() {
        let Some(point) = point.as_object() else {
            return invalid(
                format!("telecom[{i}]"),
                "must be a ContactPoint (an object)",
            );
        };
        let system = point.get("system");
        if let Some(system) = system {
            code_in(
                system,
                &format!("telecom[{i}].system"),
                &["phone", "fax", "email", "pager", "url", "sms", "other"],
            )?;
        }
        if system.and_then(Value::as_str) == Some("email")
            && let Some(address) = point.get("value")
            && !address.as_str().is_some_and(is_email)
        {
            return invalid(format!("telecom[{i}].value"), "is not an email address");
        }
    }
    Ok(())
}

/// One `@` with something on both sides, no whitespace: enough to catch typos.
pub(super) fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

// Element helpers.

/// `base.key`, or `key` at the top.
pub(super) fn at(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// Whether `key` holds a string with something other than whitespace.
pub(super) fn filled(object: &Object, key: &str) -> bool {
    object
        .get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

pub(super) fn code_in(value: &Value, path: &str, allowed: &[&str]) -> Result<(), Invalid> {
    match value.as_str() {
        Some(code) if allowed.contains(&code) => Ok(()),
        _ => invalid(path, format!("must be one of {}", allowed.join(", "))),
    }
}

pub(super) fn required_code_in(
    object: &Object,
    key: &str,
    allowed: &[&str],
) -> Result<(), Invalid> {
    match object.get(key) {
        None => invalid(key, "is required"),
        Some(value) => code_in(value, key, allowed),
    }
}

pub(super) fn required_concept(object: &Object, base: &str, key: &str) -> Result<(), Invalid> {
    match object.get(key) {
        None => invalid(at(base, key), "is required"),
        Some(value) => concept(value, &at(base, key)),
    }
}

/// A CodeableConcept a person can read: non-empty text, or codings that all have a code.
pub(super) fn concept(value: &Value, path: &str) -> Result<(), Invalid> {
    let Some(concept) = value.as_object() else {
        return invalid(path, "must be a CodeableConcept (an object)");
    };
    if filled(concept, "text") {
        return Ok(());
    }
    let Some(codings) = concept
        .get("coding")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    else {
        return invalid(path, "needs a non-empty text or coding");
    };
    for (i, coding) in codings.iter().enumerate() {
        if !coding.as_object().is_some_and(|c| filled(c, "code")) {
            return invalid(format!("{path}.coding[{i}].code"), "is required");
        }
    }
    Ok(())
}

/// A status CodeableConcept: its coding from `system` must carry one of `allowed`.
pub(super) fn status_concept(
    object: &Object,
    key: &str,
    system: &str,
    allowed: &[&str],
) -> Result<(), Invalid> {
    let Some(value) = object.get(key) else {
        return Ok(());
    };
    if !value.is_object() {
        return invalid(key, "must be a CodeableConcept (an object)");
    }
    let codings = value.get("coding").and_then(Value::as_array);
    let found = codings
        .into_iter()
        .flatten()
        .enumerate()
        .find(|(_, c)| c.get("system").and_then(Value::as_str) == Some(system));
    match found {
        None => invalid(
            format!("{key}.coding"),
            format!("needs a coding with system {system}"),
        ),
        Some((i, coding)) => code_in(
            coding.get("code").unwrap_or(&Value::Null),
            &format!("{key}.coding[{i}].code"),
            allowed,
        ),
    }
}

/// A dateTime element, if present; with `today`, it may not lie in the future.
pub(super) fn date_time<'a>(
    object: &'a Object,
    base: &str,
    key: &str,
    today: Option<NaiveDate>,
) -> Result<Option<&'a str>, Invalid> {
    let Some(value) = object.get(key) else {
        return Ok(None);
    };
    let Some(s) = value.as_str().filter(|s| is_date_time(s)) else {
        return invalid(at(base, key), "is not a valid FHIR dateTime");
    };
    if let Some(today) = today
        && is_future(s, today)
    {
        return invalid(at(base, key), "is in the future");
    }
    Ok(Some(s))
}

/// A Period element, if present: valid bounds, `end` not before `start`.
pub(super) fn period(object: &Object, key: &str, today: Option<NaiveDate>) -> Result<(), Invalid> {
    let Some(value) = object.get(key) else {
        return Ok(());
    };
    let Some(period) = value.as_object() else {
        return invalid(key, "must be a Period (an object)");
    };
    let start = date_time(period, key, "start", today)?;
    let end = date_time(period, key, "end", today)?;
    not_before(end, start, &at(key, "end"), &at(key, "start"))
}

pub(super) fn not_before(
    later: Option<&str>,
    earlier: Option<&str>,
    later_path: &str,
    earlier_path: &str,
) -> Result<(), Invalid> {
    if let (Some(later), Some(earlier)) = (later, earlier)
        && compare(later, earlier) == Ordering::Less
    {
        return invalid(later_path, format!("is before {earlier_path}"));
    }
    Ok(())
}
