//! FHIR R4 resource validation. Bulk import runs the structural
//! [`check_resource`] on every resource of a bundle; records a user types in
//! also go through [`check_manual`], which knows the few types manual entry
//! offers and refuses what a clinician would call wrong (future dates,
//! unknown statuses, codes with a bad check digit). Every refusal says where,
//! as a FHIRPath-like path relative to the resource, and why.

use super::index::date_fields;
use super::{is_fhir_id, is_type_name};
use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::ops::RangeInclusive;

/// Why a resource was refused: where (a FHIRPath-like path) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct Invalid {
    /// Where, relative to the resource (`code.coding[0].system`); empty only when it is not an object.
    pub path: String,
    /// Why it was refused.
    pub reason: String,
}

fn invalid<T>(path: impl Into<String>, reason: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid {
        path: path.into(),
        reason: reason.into(),
    })
}

type Object = Map<String, Value>;

/// Deepest nesting walked: real resources stay far below it, and the walk recurses.
const MAX_DEPTH: usize = 64;

const UCUM: &str = "http://unitsofmeasure.org";

// ---------------------------------------------------------------- dates

/// Whether `s` is a FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real calendar date.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(year) = b.get(..4).and_then(number) else {
        return false;
    };
    if year == 0 {
        return false;
    }
    match b.len() {
        4 => true,
        7 => b[4] == b'-' && number(&b[5..7]).is_some_and(|m| (1..=12).contains(&m)),
        10 => {
            b[4] == b'-'
                && b[7] == b'-'
                && match (i32::try_from(year), number(&b[5..7]), number(&b[8..10])) {
                    (Ok(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d).is_some(),
                    _ => false,
                }
        }
        _ => false,
    }
}

/// Whether `s` is a FHIR `dateTime`: a `date`, or a full time with seconds and a timezone.
pub fn is_date_time(s: &str) -> bool {
    is_date(s) || is_instant(s)
}

/// Whether `s` is a FHIR `instant`: `YYYY-MM-DDThh:mm:ss(.fraction)?` and `Z` or `±hh:mm`.
pub fn is_instant(s: &str) -> bool {
    let b = s.as_bytes();
    // The exact shape first: chrono's RFC 3339 parser also takes `t`, `z`, a
    // space for `T`, any fraction length and offsets FHIR does not allow.
    let in_range =
        |r: std::ops::Range<usize>, max: u32| b.get(r).and_then(number).is_some_and(|n| n <= max);
    let shape = s.get(..10).is_some_and(is_date)
        && b.get(10) == Some(&b'T')
        && in_range(11..13, 23)
        && b.get(13) == Some(&b':')
        && in_range(14..16, 59)
        && b.get(16) == Some(&b':')
        && in_range(17..19, 60);
    if !shape {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return false;
        }
        rest = &fraction[digits..];
    }
    let zone = match rest {
        b"Z" => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => match (number(&[*h1, *h2]), number(&[*m1, *m2])) {
            (Some(h), Some(m)) => (h < 14 && m <= 59) || (h == 14 && m == 0),
            _ => false,
        },
        _ => false,
    };
    zone && DateTime::parse_from_rfc3339(s).is_ok()
}

/// The decimal value of `digits`, if it is all ASCII digits.
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// The `YYYY`, `YYYY-MM` or `YYYY-MM-DD` part of a valid date or dateTime.
fn date_part(s: &str) -> &str {
    s.get(..10).unwrap_or(s)
}

/// Whether a valid dateTime lies after `today`, at its own precision.
fn is_future(s: &str, today: NaiveDate) -> bool {
    let day = date_part(s).as_bytes();
    let today = today.format("%Y-%m-%d").to_string();
    let today = today.as_bytes();
    day > &today[..day.len().min(today.len())]
}

/// Orders two valid dateTimes; with different precisions only the common prefix counts.
fn compare(a: &str, b: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        return a.cmp(&b);
    }
    let (a, b) = (date_part(a).as_bytes(), date_part(b).as_bytes());
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n])
}

#[derive(Clone, Copy)]
enum DateKind {
    Date,
    DateTime,
    Instant,
}

impl DateKind {
    /// The FHIR type a date field of this name has.
    fn of(path: &str) -> Self {
        match path.rsplit('.').next() {
            Some("issued" | "effectiveInstant" | "lastUpdated") => Self::Instant,
            Some("birthDate") => Self::Date,
            _ => Self::DateTime,
        }
    }

    fn check(self, value: &Value, path: &str) -> Result<(), Invalid> {
        let (ok, name): (fn(&str) -> bool, _) = match self {
            Self::Date => (is_date, "date"),
            Self::DateTime => (is_date_time, "dateTime"),
            Self::Instant => (is_instant, "instant"),
        };
        if value.as_str().is_some_and(ok) {
            Ok(())
        } else {
            invalid(path, format!("is not a valid FHIR {name}"))
        }
    }
}

// ---------------------------------------------------------------- any resource

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
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(steps: &[Step]) -> String {
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
fn walk<'a>(value: &'a Value, path: &mut Vec<Step<'a>>) -> Result<(), Invalid> {
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
fn check_coding(value: &Value, path: &[Step]) -> Result<(), Invalid> {
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

// ---------------------------------------------------------------- manual entry

const SUPPORTED: &str = "manual entry supports Condition, MedicationStatement, \
AllergyIntolerance, Immunization, Procedure, Encounter, Observation, Practitioner";

const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";

const VALUE_KEYS: [&str; 5] = [
    "valueQuantity",
    "valueCodeableConcept",
    "valueString",
    "valueBoolean",
    "valueInteger",
];
const VALUE_REQUIRED: &str = "is required: one of valueQuantity, valueCodeableConcept, \
valueString, valueBoolean, valueInteger";

type TypeCheck = fn(&Object, NaiveDate) -> Result<(), Invalid>;

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

fn condition(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
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

fn medication_statement(object: &Object, _today: NaiveDate) -> Result<(), Invalid> {
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

fn allergy_intolerance(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
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

fn immunization(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
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

fn procedure(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
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

fn encounter(object: &Object, _today: NaiveDate) -> Result<(), Invalid> {
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

fn observation(object: &Object, today: NaiveDate) -> Result<(), Invalid> {
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
fn values(object: &Object, base: &str) -> Result<bool, Invalid> {
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

fn quantity(value: &Value, path: &str) -> Result<(), Invalid> {
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

fn practitioner(object: &Object, _today: NaiveDate) -> Result<(), Invalid> {
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
fn is_email(s: &str) -> bool {
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

// ---------------------------------------------------------------- element helpers

/// `base.key`, or `key` at the top.
fn at(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// Whether `key` holds a string with something other than whitespace.
fn filled(object: &Object, key: &str) -> bool {
    object
        .get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

fn code_in(value: &Value, path: &str, allowed: &[&str]) -> Result<(), Invalid> {
    match value.as_str() {
        Some(code) if allowed.contains(&code) => Ok(()),
        _ => invalid(path, format!("must be one of {}", allowed.join(", "))),
    }
}

fn required_code_in(object: &Object, key: &str, allowed: &[&str]) -> Result<(), Invalid> {
    match object.get(key) {
        None => invalid(key, "is required"),
        Some(value) => code_in(value, key, allowed),
    }
}

fn required_concept(object: &Object, base: &str, key: &str) -> Result<(), Invalid> {
    match object.get(key) {
        None => invalid(at(base, key), "is required"),
        Some(value) => concept(value, &at(base, key)),
    }
}

/// A CodeableConcept a person can read: non-empty text, or codings that all have a code.
fn concept(value: &Value, path: &str) -> Result<(), Invalid> {
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
fn status_concept(
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
fn date_time<'a>(
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
fn period(object: &Object, key: &str, today: Option<NaiveDate>) -> Result<(), Invalid> {
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

fn not_before(
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

// ---------------------------------------------------------------- codes

/// Checks the code of every `system` + `code` pair (Codings, Quantities) in the tree.
fn check_codes(value: &Value, path: &str) -> Result<(), Invalid> {
    match value {
        Value::Object(object) => {
            if let (Some(system), Some(code)) = (
                object.get("system").and_then(Value::as_str),
                object.get("code").and_then(Value::as_str),
            ) && let Err(reason) = check_code(system, code)
            {
                return invalid(at(path, "code"), reason);
            }
            for (key, child) in object {
                check_codes(child, &at(path, key))?;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_codes(item, &format!("{path}[{i}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Why `code` cannot be a code of `system`, for the well-known systems.
fn check_code(system: &str, code: &str) -> Result<(), &'static str> {
    match system {
        "http://loinc.org" => loinc(code),
        "http://snomed.info/sct" => snomed(code),
        "http://www.nlm.nih.gov/research/umls/rxnorm" if !digits(code, 1..=10) => {
            Err("is not a valid RxNorm code")
        }
        "http://hl7.org/fhir/sid/cvx" if !digits(code, 1..=3) => Err("is not a valid CVX code"),
        "http://hl7.org/fhir/sid/icd-10-cm" | "http://hl7.org/fhir/sid/icd-10"
            if !is_icd10(code) =>
        {
            Err("is not a valid ICD-10 code")
        }
        _ => Ok(()),
    }
}

fn digits(s: &str, len: RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn loinc(code: &str) -> Result<(), &'static str> {
    const FORMAT: &str = "is not a valid LOINC code (format)";
    let Some((body, check)) = code.split_once('-') else {
        return Err(FORMAT);
    };
    if !digits(check, 1..=1) {
        return Err(FORMAT);
    }
    // Answer (LA), part (LP), group (LG) and answer-list (LL) codes share the
    // system, but their check digit is not the mod 10 of the digits alone.
    if let Some(rest) = ["LA", "LP", "LG", "LL"]
        .iter()
        .find_map(|prefix| body.strip_prefix(prefix))
    {
        return if digits(rest, 1..=7) {
            Ok(())
        } else {
            Err(FORMAT)
        };
    }
    if !digits(body, 1..=7) {
        return Err(FORMAT);
    }
    if mod10(body) == u32::from(check.as_bytes()[0] - b'0') {
        Ok(())
    } else {
        Err("is not a valid LOINC code (check digit)")
    }
}

/// LOINC's mod 10 check digit of an all-digit `body` (the Luhn algorithm).
fn mod10(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

fn snomed(code: &str) -> Result<(), &'static str> {
    if !digits(code, 6..=18) || code.starts_with('0') {
        return Err("is not a valid SNOMED CT code (format)");
    }
    if verhoeff(code) {
        Ok(())
    } else {
        Err("is not a valid SNOMED CT code (check digit)")
    }
}

/// Whether an all-digit string ends in a correct Verhoeff check digit (SNOMED CT's).
fn verhoeff(code: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let check = code.bytes().rev().enumerate().fold(0u8, |c, (i, b)| {
        D[usize::from(c)][usize::from(P[i % 8][usize::from(b - b'0')])]
    });
    check == 0
}

/// `A00`, `A00.0` to `A00.0000`: letter, digit, digit or letter, then 1-4 after a dot.
fn is_icd10(code: &str) -> bool {
    let (head, tail) = match code.split_once('.') {
        Some((head, tail)) => (head.as_bytes(), Some(tail)),
        None => (code.as_bytes(), None),
    };
    let alnum = |b: &u8| b.is_ascii_digit() || b.is_ascii_uppercase();
    matches!(head, [a, b, c] if a.is_ascii_uppercase() && b.is_ascii_digit() && alnum(c))
        && tail.is_none_or(|t| (1..=4).contains(&t.len()) && t.as_bytes().iter().all(alnum))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).expect("a real date")
    }

    fn bad(path: &str, reason: &str) -> Result<(), Invalid> {
        Err(Invalid {
            path: path.into(),
            reason: reason.into(),
        })
    }

    fn manual(value: &Value) -> Result<(), Invalid> {
        let resource_type = value["resourceType"].as_str().unwrap_or_default();
        check_manual(resource_type, value, today())
    }

    /// `value` with `key` set (`null` removes it).
    fn with(mut value: Value, key: &str, new: Value) -> Value {
        if let Some(object) = value.as_object_mut() {
            if new.is_null() {
                object.remove(key);
            } else {
                object.insert(key.to_string(), new);
            }
        }
        value
    }

    fn coded(system: &str, code: &str) -> Value {
        json!({ "coding": [{ "system": system, "code": code }] })
    }

    fn condition() -> Value {
        json!({ "resourceType": "Condition", "code": { "text": "Asthma" } })
    }
    fn medication_statement() -> Value {
        json!({
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": coded("http://www.nlm.nih.gov/research/umls/rxnorm", "197361"),
        })
    }
    fn allergy() -> Value {
        json!({ "resourceType": "AllergyIntolerance", "code": { "text": "Peanut" } })
    }
    fn immunization() -> Value {
        json!({
            "resourceType": "Immunization",
            "status": "completed",
            "vaccineCode": coded("http://hl7.org/fhir/sid/cvx", "140"),
            "occurrenceDateTime": "2025-10-01",
        })
    }
    fn procedure() -> Value {
        json!({
            "resourceType": "Procedure",
            "status": "completed",
            "code": coded("http://snomed.info/sct", "22298006"),
        })
    }
    fn encounter() -> Value {
        json!({
            "resourceType": "Encounter",
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "AMB",
            },
        })
    }
    fn observation() -> Value {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "code": coded("http://loinc.org", "8480-6"),
            "valueQuantity": { "value": 120, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]" },
        })
    }
    fn practitioner() -> Value {
        json!({ "resourceType": "Practitioner", "name": [{ "family": "Smith" }] })
    }

    fn all_minimal() -> Vec<Value> {
        vec![
            condition(),
            medication_statement(),
            allergy(),
            immunization(),
            procedure(),
            encounter(),
            observation(),
            practitioner(),
        ]
    }

    #[test]
    fn dates_are_real_calendar_dates_at_three_precisions() {
        for ok in ["2024", "2024-02", "2024-02-29", "0001-01-01", "9999-12-31"] {
            assert!(is_date(ok), "{ok}");
        }
        for no in [
            "2023-02-30",
            "2020-13",
            "2020-00",
            "0000",
            "yesterday",
            "24",
            "2024-2-1",
            "2024-02-29T",
            "2024/02/01",
            "20240201",
            "",
            "２０２４",
        ] {
            assert!(!is_date(no), "{no}");
        }
    }

    #[test]
    fn date_times_are_dates_or_full_times_with_a_zone() {
        for ok in [
            "2020",
            "2020-01",
            "2020-01-01",
            "2020-01-01T10:00:00Z",
            "2020-01-01T10:00:00.123+02:00",
            "2020-01-01T23:59:59-14:00",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for no in [
            "2020-01-01T10:00",
            "2020-01-01T10:00:00",
            "2020-01-01t10:00:00Z",
            "2020-01-01T10:00:00z",
            "2020-01-01 10:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T10:00:00.Z",
            "2020-01-01T10:00:00.1234567890Z",
            "2020-01-01T10:00:00+15:00",
            "2020-01-01T10:00:00+0200",
            "2023-02-30T10:00:00Z",
            "yesterday",
        ] {
            assert!(!is_date_time(no), "{no}");
        }
    }

    #[test]
    fn instants_need_the_full_time_form() {
        assert!(is_instant("2020-01-01T10:00:00Z"));
        assert!(is_instant("2020-01-01T10:00:00.5-05:00"));
        assert!(!is_instant("2020-01-01"));
        assert!(!is_instant("2020"));
        assert!(!is_instant("2020-01-01T10:00Z"));
    }

    #[test]
    fn check_resource_refuses_non_objects_and_bad_type_or_id() {
        assert_eq!(check_resource(&json!([1])), bad("", "is not a JSON object"));
        assert_eq!(
            check_resource(&json!({})),
            bad("resourceType", "is required")
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": "condition" })),
            bad("resourceType", "is not a FHIR resource type name")
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": 7 })),
            bad("resourceType", "is not a FHIR resource type name")
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": "Patient", "id": "a b" })),
            bad("id", "is not a FHIR id (1-64 of A-Z a-z 0-9 - .)")
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": "Patient", "id": 12 })),
            bad("id", "is not a FHIR id (1-64 of A-Z a-z 0-9 - .)")
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": "Patient" })),
            Ok(())
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": "Patient", "id": "p-1.a" })),
            Ok(())
        );
    }

    #[test]
    fn check_resource_checks_meta_and_clinical_dates_by_type() {
        let obs = |extra: Value| {
            let mut v = json!({ "resourceType": "Observation" });
            if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            check_resource(&v)
        };
        assert_eq!(
            obs(json!({ "meta": { "lastUpdated": "2020-01-01" } })),
            bad("meta.lastUpdated", "is not a valid FHIR instant")
        );
        assert_eq!(
            obs(json!({ "meta": { "lastUpdated": "2020-01-01T00:00:00Z" } })),
            Ok(())
        );
        assert_eq!(
            obs(json!({ "effectivePeriod": { "start": "2020-01-01T10:00" } })),
            bad("effectivePeriod.start", "is not a valid FHIR dateTime")
        );
        assert_eq!(
            obs(json!({ "effectiveDateTime": 2020 })),
            bad("effectiveDateTime", "is not a valid FHIR dateTime")
        );
        assert_eq!(
            obs(json!({ "issued": "2020-01-01" })),
            bad("issued", "is not a valid FHIR instant")
        );
        assert_eq!(obs(json!({ "effectiveDateTime": "2020-05" })), Ok(()));
        assert_eq!(
            check_resource(
                &json!({ "resourceType": "Patient", "birthDate": "2000-01-01T00:00:00Z" })
            ),
            bad("birthDate", "is not a valid FHIR date")
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": "Practitioner", "birthDate": "1970-02-30" })),
            bad("birthDate", "is not a valid FHIR date")
        );
        assert_eq!(
            check_resource(&json!({ "resourceType": "Condition", "onsetDateTime": "yesterday" })),
            bad("onsetDateTime", "is not a valid FHIR dateTime")
        );
    }

    #[test]
    fn check_resource_walks_references_and_codings_at_any_depth() {
        let r = |v: Value| check_resource(&v);
        assert_eq!(
            r(json!({ "resourceType": "Observation", "code": { "coding": [
                { "system": "http://loinc.org", "code": "8480-6" },
                { "system": "http://loinc .org", "code": "8480-6" },
            ] } })),
            bad(
                "code.coding[1].system",
                "must be a non-empty URI without whitespace"
            )
        );
        assert_eq!(
            r(json!({ "resourceType": "Observation", "subject": { "reference": "" } })),
            bad("subject.reference", "must be a non-empty string")
        );
        assert_eq!(
            r(json!({ "resourceType": "Observation", "subject": { "reference": 5 } })),
            bad("subject.reference", "must be a non-empty string")
        );
        assert_eq!(
            r(json!({ "resourceType": "Observation", "component": [
                { "code": { "text": "a" } },
                { "code": { "coding": [{ "code": " 8462-4" }] } },
            ] })),
            bad(
                "component[1].code.coding[0].code",
                "must be a non-empty string without leading or trailing whitespace"
            )
        );
        assert_eq!(
            r(json!({ "resourceType": "Observation", "code": { "coding": { "code": "x" } } })),
            bad("code.coding", "must be an array of Codings")
        );
        assert_eq!(
            r(json!({ "resourceType": "Observation", "code": { "coding": ["x"] } })),
            bad("code.coding[0]", "must be a Coding (an object)")
        );
        assert_eq!(
            r(json!({ "resourceType": "Observation", "code": { "coding": [{ "system": "" }] } })),
            bad(
                "code.coding[0].system",
                "must be a non-empty URI without whitespace"
            )
        );
        assert_eq!(
            r(json!({ "resourceType": "Bundle", "entry": [{ "resource": {
                "resourceType": "Encounter", "extension": [{ "valueReference": { "reference": "" } }]
            } }] })),
            bad(
                "entry[0].resource.extension[0].valueReference.reference",
                "must be a non-empty string"
            )
        );
        // Primitive extensions (`_x`) are walked like anything else.
        assert_eq!(
            r(
                json!({ "resourceType": "Patient", "_gender": { "extension": [{ "valueReference": { "reference": null } }] } })
            ),
            bad(
                "_gender.extension[0].valueReference.reference",
                "must be a non-empty string"
            )
        );
    }

    #[test]
    fn check_resource_limits_nesting_depth() {
        let nest = |levels: usize| {
            let mut v = json!({});
            for _ in 1..levels - 1 {
                v = json!({ "a": v });
            }
            json!({ "resourceType": "Basic", "a": v })
        };
        assert_eq!(check_resource(&nest(MAX_DEPTH)), Ok(()));
        let too_deep = check_resource(&nest(MAX_DEPTH + 1)).expect_err("too deep");
        assert_eq!(too_deep.reason, "nested too deeply");
        assert_eq!(too_deep.path, vec!["a"; MAX_DEPTH].join("."));
        let mut arrays = json!([]);
        for _ in 0..100 {
            arrays = json!([arrays]);
        }
        let arrays = check_resource(&json!({ "resourceType": "Basic", "x": arrays }));
        assert_eq!(
            arrays.map_err(|e| e.reason),
            Err("nested too deeply".into())
        );
    }

    #[test]
    fn minimal_manual_records_of_every_type_pass() {
        for value in all_minimal() {
            assert_eq!(manual(&value), Ok(()), "{value}");
        }
    }

    #[test]
    fn manual_requires_each_required_field() {
        let cases: [(Value, &[&str]); 8] = [
            (condition(), &["code"]),
            (
                medication_statement(),
                &["status", "medicationCodeableConcept"],
            ),
            (allergy(), &["code"]),
            (
                immunization(),
                &["status", "vaccineCode", "occurrenceDateTime"],
            ),
            (procedure(), &["status", "code"]),
            (encounter(), &["status", "class"]),
            (observation(), &["status", "code"]),
            (practitioner(), &["name"]),
        ];
        for (value, required) in cases {
            for key in required {
                assert_eq!(
                    manual(&with(value.clone(), key, Value::Null)),
                    bad(key, "is required"),
                    "{key} of {value}"
                );
            }
        }
        assert_eq!(
            manual(&with(observation(), "valueQuantity", Value::Null)),
            bad(
                "value[x]",
                "is required: one of valueQuantity, valueCodeableConcept, valueString, \
                 valueBoolean, valueInteger, or a non-empty component"
            )
        );
        assert_eq!(
            manual(&with(
                with(observation(), "valueQuantity", Value::Null),
                "component",
                json!([])
            )),
            bad(
                "value[x]",
                "is required: one of valueQuantity, valueCodeableConcept, valueString, \
                 valueBoolean, valueInteger, or a non-empty component"
            )
        );
        assert_eq!(
            manual(&with(practitioner(), "name", json!([]))),
            bad("name", "is required")
        );
    }

    #[test]
    fn required_codeable_concepts_need_text_or_coded_codings() {
        assert_eq!(
            manual(&with(condition(), "code", json!({ "text": " " }))),
            bad("code", "needs a non-empty text or coding")
        );
        assert_eq!(
            manual(&with(condition(), "code", json!({ "coding": [] }))),
            bad("code", "needs a non-empty text or coding")
        );
        assert_eq!(
            manual(&with(condition(), "code", json!("Asthma"))),
            bad("code", "must be a CodeableConcept (an object)")
        );
        assert_eq!(
            manual(&with(
                condition(),
                "code",
                json!({ "coding": [{ "system": "http://snomed.info/sct", "code": "195967001" }, { "display": "Asthma" }] })
            )),
            bad("code.coding[1].code", "is required")
        );
        assert_eq!(
            manual(&with(
                condition(),
                "code",
                coded("http://snomed.info/sct", "195967001")
            )),
            Ok(())
        );
    }

    #[test]
    fn manual_refuses_unknown_statuses() {
        let cases = [
            (
                medication_statement(),
                "must be one of active, completed, entered-in-error, intended, stopped, on-hold, unknown, not-taken",
            ),
            (
                immunization(),
                "must be one of completed, entered-in-error, not-done",
            ),
            (
                procedure(),
                "must be one of preparation, in-progress, not-done, on-hold, stopped, completed, entered-in-error, unknown",
            ),
            (
                encounter(),
                "must be one of planned, arrived, triaged, in-progress, onleave, finished, cancelled, entered-in-error, unknown",
            ),
            (
                observation(),
                "must be one of registered, preliminary, final, amended, corrected, cancelled, entered-in-error, unknown",
            ),
        ];
        for (value, reason) in cases {
            assert_eq!(
                manual(&with(value.clone(), "status", json!("done"))),
                bad("status", reason),
                "{value}"
            );
            assert_eq!(
                manual(&with(value, "status", json!(1))),
                bad("status", reason)
            );
        }
    }

    #[test]
    fn manual_refuses_future_dates() {
        let future = "is in the future";
        let cases = [
            (condition(), "onsetDateTime"),
            (condition(), "abatementDateTime"),
            (condition(), "recordedDate"),
            (allergy(), "onsetDateTime"),
            (allergy(), "recordedDate"),
            (immunization(), "occurrenceDateTime"),
            (procedure(), "performedDateTime"),
            (observation(), "effectiveDateTime"),
        ];
        for (value, key) in cases {
            for (date, ok) in [
                ("2026-11-29", false),
                ("2026-12", false),
                ("2027", false),
                ("2026-11-28", true),
                ("2026-11", true),
                ("2026", true),
                ("2026-11-28T23:30:00-05:00", true),
                ("2026-11-29T00:30:00+02:00", false),
            ] {
                let result = manual(&with(value.clone(), key, json!(date)));
                let expected = if ok { Ok(()) } else { bad(key, future) };
                assert_eq!(result, expected, "{key} = {date}");
            }
        }
        assert_eq!(
            manual(&with(
                procedure(),
                "performedPeriod",
                json!({ "start": "2026-12-01" })
            )),
            bad("performedPeriod.start", future)
        );
        // Plans may lie ahead.
        assert_eq!(
            manual(&with(
                with(medication_statement(), "status", json!("intended")),
                "effectivePeriod",
                json!({ "start": "2027-01-01" })
            )),
            Ok(())
        );
        assert_eq!(
            manual(&with(
                with(encounter(), "status", json!("planned")),
                "period",
                json!({ "start": "2027-01-01T09:00:00Z" })
            )),
            Ok(())
        );
    }

    #[test]
    fn manual_refuses_malformed_dates() {
        for date in ["2023-02-30", "2020-13", "yesterday", "2020-01-01T10:00"] {
            assert_eq!(
                manual(&with(condition(), "abatementDateTime", json!(date))),
                bad("abatementDateTime", "is not a valid FHIR dateTime"),
                "{date}"
            );
            assert_eq!(
                manual(&with(
                    medication_statement(),
                    "effectivePeriod",
                    json!({ "start": "2020-01-01", "end": date })
                )),
                bad("effectivePeriod.end", "is not a valid FHIR dateTime"),
                "{date}"
            );
            assert_eq!(
                manual(&with(encounter(), "period", json!({ "end": date }))),
                bad("period.end", "is not a valid FHIR dateTime"),
                "{date}"
            );
        }
        assert_eq!(
            manual(&with(
                immunization(),
                "occurrenceDateTime",
                json!("2020-01-01T10:00")
            )),
            bad("occurrenceDateTime", "is not a valid FHIR dateTime")
        );
        assert_eq!(
            manual(&with(encounter(), "period", json!("2020"))),
            bad("period", "must be a Period (an object)")
        );
    }

    #[test]
    fn manual_refuses_ends_before_starts() {
        let condition_dates = |onset: &str, abatement: &str| {
            let v = with(condition(), "onsetDateTime", json!(onset));
            manual(&with(v, "abatementDateTime", json!(abatement)))
        };
        assert_eq!(
            condition_dates("2020-05-01", "2020-04-30"),
            bad("abatementDateTime", "is before onsetDateTime")
        );
        assert_eq!(
            condition_dates("2020-05-01", "2020-05"),
            Ok(()),
            "same month"
        );
        assert_eq!(condition_dates("2020-05-01", "2020-05-01"), Ok(()));
        assert_eq!(
            condition_dates("2020-05-01T10:00:00+02:00", "2020-05-01T09:00:00Z"),
            Ok(()),
            "later once zones are applied"
        );
        assert_eq!(
            condition_dates("2020-05-01T10:00:00Z", "2020-05-01T11:00:00+02:00"),
            bad("abatementDateTime", "is before onsetDateTime")
        );
        let periods = [
            (medication_statement(), "effectivePeriod"),
            (procedure(), "performedPeriod"),
            (encounter(), "period"),
        ];
        for (value, key) in periods {
            let swapped = json!({ "start": "2021-03-02", "end": "2021-03-01" });
            assert_eq!(
                manual(&with(value.clone(), key, swapped)),
                bad(&format!("{key}.end"), &format!("is before {key}.start"))
            );
            let ordered = json!({ "start": "2021-03-01", "end": "2021-03-02T08:00:00Z" });
            assert_eq!(manual(&with(value, key, ordered)), Ok(()));
        }
    }

    #[test]
    fn clinical_statuses_use_their_code_systems() {
        let status =
            |system: &str, code: &str| json!({ "coding": [{ "system": system, "code": code }] });
        assert_eq!(
            manual(&with(
                condition(),
                "clinicalStatus",
                status(CONDITION_CLINICAL, "remission")
            )),
            Ok(())
        );
        assert_eq!(
            manual(&with(
                condition(),
                "clinicalStatus",
                status(CONDITION_CLINICAL, "cured")
            )),
            bad(
                "clinicalStatus.coding[0].code",
                "must be one of active, recurrence, relapse, inactive, remission, resolved"
            )
        );
        assert_eq!(
            manual(&with(
                condition(),
                "clinicalStatus",
                status(ALLERGY_CLINICAL, "active")
            )),
            bad(
                "clinicalStatus.coding",
                &format!("needs a coding with system {CONDITION_CLINICAL}")
            )
        );
        assert_eq!(
            manual(&with(
                condition(),
                "clinicalStatus",
                json!({ "text": "active" })
            )),
            bad(
                "clinicalStatus.coding",
                &format!("needs a coding with system {CONDITION_CLINICAL}")
            )
        );
        assert_eq!(
            manual(&with(
                allergy(),
                "clinicalStatus",
                status(ALLERGY_CLINICAL, "resolved")
            )),
            Ok(())
        );
        assert_eq!(
            manual(&with(
                allergy(),
                "clinicalStatus",
                status(ALLERGY_CLINICAL, "remission")
            )),
            bad(
                "clinicalStatus.coding[0].code",
                "must be one of active, inactive, resolved"
            )
        );
    }

    #[test]
    fn allergy_criticality_and_category() {
        assert_eq!(
            manual(&with(allergy(), "criticality", json!("unable-to-assess"))),
            Ok(())
        );
        assert_eq!(
            manual(&with(allergy(), "criticality", json!("severe"))),
            bad("criticality", "must be one of low, high, unable-to-assess")
        );
        assert_eq!(
            manual(&with(allergy(), "category", json!(["food", "biologic"]))),
            Ok(())
        );
        assert_eq!(
            manual(&with(allergy(), "category", json!(["food", "drug"]))),
            bad(
                "category[1]",
                "must be one of food, medication, environment, biologic"
            )
        );
        assert_eq!(
            manual(&with(allergy(), "category", json!("food"))),
            bad("category", "must be an array")
        );
    }

    #[test]
    fn encounter_class_is_a_coding() {
        assert_eq!(
            manual(&with(encounter(), "class", json!({ "system": "x" }))),
            bad("class.code", "is required")
        );
        assert_eq!(
            manual(&with(encounter(), "class", json!("AMB"))),
            bad("class", "must be a Coding (an object)")
        );
    }

    #[test]
    fn observation_values_and_components() {
        let obs = || with(observation(), "valueQuantity", Value::Null);
        assert_eq!(
            manual(&with(
                observation(),
                "valueQuantity",
                json!({ "unit": "mmHg" })
            )),
            bad("valueQuantity.value", "is required")
        );
        assert_eq!(
            manual(&with(
                observation(),
                "valueQuantity",
                json!({ "value": "120" })
            )),
            bad("valueQuantity.value", "must be a number")
        );
        assert_eq!(
            manual(&with(
                observation(),
                "valueQuantity",
                json!({ "value": 120, "system": "http://example.org/units", "code": "mmHg" })
            )),
            bad(
                "valueQuantity.system",
                "must be http://unitsofmeasure.org when a code is given"
            )
        );
        assert_eq!(
            manual(&with(
                observation(),
                "valueQuantity",
                json!({ "value": 1.5, "system": "http://example.org/units" })
            )),
            Ok(()),
            "no code, nothing to compare"
        );
        assert_eq!(
            manual(&with(obs(), "valueString", json!("negative"))),
            Ok(())
        );
        assert_eq!(
            manual(&with(obs(), "valueString", json!(""))),
            bad("valueString", "must be a non-empty string")
        );
        assert_eq!(manual(&with(obs(), "valueBoolean", json!(false))), Ok(()));
        assert_eq!(
            manual(&with(obs(), "valueBoolean", json!("false"))),
            bad("valueBoolean", "must be true or false")
        );
        assert_eq!(manual(&with(obs(), "valueInteger", json!(3))), Ok(()));
        assert_eq!(
            manual(&with(obs(), "valueInteger", json!(3.5))),
            bad("valueInteger", "must be an integer")
        );
        assert_eq!(
            manual(&with(obs(), "valueCodeableConcept", json!({}))),
            bad("valueCodeableConcept", "needs a non-empty text or coding")
        );
        let quantity =
            |v: Value| json!({ "value": v, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]" });
        let components = |second: Value| {
            json!([
                { "code": coded("http://loinc.org", "8480-6"), "valueQuantity": quantity(json!(120)) },
                second,
            ])
        };
        let diastolic = json!({ "code": coded("http://loinc.org", "8462-4"), "valueQuantity": quantity(json!(80)) });
        assert_eq!(
            manual(&with(obs(), "component", components(diastolic))),
            Ok(())
        );
        assert_eq!(
            manual(&with(
                obs(),
                "component",
                components(
                    json!({ "code": coded("http://loinc.org", "8462-4"), "valueQuantity": quantity(json!("80")) })
                )
            )),
            bad("component[1].valueQuantity.value", "must be a number")
        );
        assert_eq!(
            manual(&with(
                obs(),
                "component",
                components(json!({ "code": coded("http://loinc.org", "8462-4") }))
            )),
            bad(
                "component[1].value[x]",
                "is required: one of valueQuantity, valueCodeableConcept, valueString, valueBoolean, valueInteger"
            )
        );
        assert_eq!(
            manual(&with(
                obs(),
                "component",
                components(json!({ "valueQuantity": quantity(json!(80)) }))
            )),
            bad("component[1].code", "is required")
        );
        assert_eq!(
            manual(&with(obs(), "component", json!({}))),
            bad("component", "must be an array")
        );
    }

    #[test]
    fn practitioner_names_and_telecom() {
        assert_eq!(
            manual(&with(
                practitioner(),
                "name",
                json!([{ "text": "Dr. Jane Smith" }])
            )),
            Ok(())
        );
        assert_eq!(
            manual(&with(
                practitioner(),
                "name",
                json!([{ "given": ["Jane"] }])
            )),
            bad("name[0]", "needs family or text")
        );
        assert_eq!(
            manual(&with(practitioner(), "name", json!({ "family": "Smith" }))),
            bad("name", "must be an array of HumanNames")
        );
        let telecom = |points: Value| manual(&with(practitioner(), "telecom", points));
        assert_eq!(
            telecom(json!([
                { "system": "phone", "value": "+1 555 0100" },
                { "system": "email", "value": "jane@example.org" },
            ])),
            Ok(())
        );
        assert_eq!(
            telecom(json!([{ "system": "phone" }, { "system": "telegram", "value": "x" }])),
            bad(
                "telecom[1].system",
                "must be one of phone, fax, email, pager, url, sms, other"
            )
        );
        for address in [
            "jane.example.org",
            "jane@@example.org",
            "a@b@c",
            "@example.org",
            "jane@",
        ] {
            assert_eq!(
                telecom(json!([{ "system": "email", "value": address }])),
                bad("telecom[0].value", "is not an email address"),
                "{address}"
            );
        }
    }

    #[test]
    fn manual_checks_the_requested_type() {
        assert_eq!(
            check_manual("Condition", &allergy(), today()),
            bad("resourceType", "expected Condition")
        );
        let patient = json!({ "resourceType": "Patient" });
        assert_eq!(
            check_manual("Patient", &patient, today()),
            bad("resourceType", SUPPORTED)
        );
        assert_eq!(
            SUPPORTED,
            "manual entry supports Condition, MedicationStatement, AllergyIntolerance, \
             Immunization, Procedure, Encounter, Observation, Practitioner"
        );
        assert_eq!(
            check_manual("Condition", &json!("Condition"), today()),
            bad("", "is not a JSON object"),
            "structural checks run first"
        );
        assert_eq!(
            manual(&with(condition(), "subject", json!({ "reference": "" }))),
            bad("subject.reference", "must be a non-empty string")
        );
    }

    #[test]
    fn loinc_check_digits() {
        for ok in [
            "2345-7",
            "8480-6",
            "8462-4",
            "4548-4",
            "29463-7",
            "718-7",
            "LA6576-8",
            "LP14082-9",
        ] {
            assert_eq!(loinc(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            loinc("2345-6"),
            Err("is not a valid LOINC code (check digit)")
        );
        assert_eq!(
            loinc("8480-5"),
            Err("is not a valid LOINC code (check digit)")
        );
        for no in [
            "2345",
            "2345-",
            "2345-77",
            "12345678-9",
            "-7",
            "A345-7",
            "LX123-4",
            "LA-1",
        ] {
            assert_eq!(loinc(no), Err("is not a valid LOINC code (format)"), "{no}");
        }
    }

    #[test]
    fn snomed_verhoeff_check_digits() {
        for ok in ["38341003", "44054006", "195967001", "73211009", "22298006"] {
            assert_eq!(snomed(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            snomed("38341004"),
            Err("is not a valid SNOMED CT code (check digit)")
        );
        assert_eq!(
            snomed("44054007"),
            Err("is not a valid SNOMED CT code (check digit)")
        );
        for no in ["12345", "038341003", "3834100A", "1234567890123456789"] {
            assert_eq!(
                snomed(no),
                Err("is not a valid SNOMED CT code (format)"),
                "{no}"
            );
        }
    }

    #[test]
    fn rxnorm_cvx_and_icd10_shapes() {
        let rx = "http://www.nlm.nih.gov/research/umls/rxnorm";
        assert_eq!(check_code(rx, "197361"), Ok(()));
        assert_eq!(
            check_code(rx, "12345678901"),
            Err("is not a valid RxNorm code")
        );
        assert_eq!(check_code(rx, "RX1"), Err("is not a valid RxNorm code"));
        let cvx = "http://hl7.org/fhir/sid/cvx";
        assert_eq!(check_code(cvx, "08"), Ok(()));
        assert_eq!(check_code(cvx, "1408"), Err("is not a valid CVX code"));
        for system in [
            "http://hl7.org/fhir/sid/icd-10-cm",
            "http://hl7.org/fhir/sid/icd-10",
        ] {
            for ok in ["J45", "J45.909", "E11.9", "S72.001A", "U07.1", "C4A.0"] {
                assert_eq!(check_code(system, ok), Ok(()), "{ok}");
            }
            for no in ["j45", "J4", "J45.", "J45.90901", "J4590", "145.0", "J45 .9"] {
                assert_eq!(
                    check_code(system, no),
                    Err("is not a valid ICD-10 code"),
                    "{no}"
                );
            }
        }
        assert_eq!(check_code("http://example.org", "anything"), Ok(()));
    }

    #[test]
    fn manual_checks_codes_anywhere_in_the_record() {
        assert_eq!(
            manual(&with(
                observation(),
                "code",
                coded("http://loinc.org", "2345-6")
            )),
            bad(
                "code.coding[0].code",
                "is not a valid LOINC code (check digit)"
            )
        );
        assert_eq!(
            manual(&with(
                condition(),
                "code",
                coded("http://snomed.info/sct", "38341004")
            )),
            bad(
                "code.coding[0].code",
                "is not a valid SNOMED CT code (check digit)"
            )
        );
        let obs = with(observation(), "valueQuantity", Value::Null);
        let value = json!({ "text": "Positive", "coding": [
            { "system": "http://snomed.info/sct", "code": "10828004" },
            { "system": "http://loinc.org", "code": "123-4" },
        ] });
        assert_eq!(
            manual(&with(obs, "valueCodeableConcept", value)),
            bad(
                "valueCodeableConcept.coding[1].code",
                "is not a valid LOINC code (check digit)"
            )
        );
        assert_eq!(
            manual(&with(
                immunization(),
                "reasonCode",
                json!([{ "text": "x" }, coded("http://hl7.org/fhir/sid/icd-10-cm", "z23")])
            )),
            bad("reasonCode[1].coding[0].code", "is not a valid ICD-10 code")
        );
        // Bulk import stores what it is given: no code-system checks there.
        let imported = with(observation(), "code", coded("http://loinc.org", "2345-6"));
        assert_eq!(check_resource(&imported), Ok(()));
    }
}
