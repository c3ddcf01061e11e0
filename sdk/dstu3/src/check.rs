//! Structural R4 check: FHIR JSON rules, element names, cardinalities, JSON shapes, typed
//! primitives, datatype internals, required bindings and a few invariants.
//!
//! Two passes over a resource: `json_rules` walks the whole tree (so it also covers types
//! and elements without a table) and reports `null`, `{}`, `[]` and blank strings; the typed
//! pass then follows the element tables in `spec` and skips the values the first pass
//! already reported, so each problem is named once.

use std::fmt;

use serde_json::{Map, Value};

use crate::prim::{self, Prim};
use crate::spec::{
    self, DSTU3_ONLY_TYPES, Dt, El, PRIMITIVE_SUFFIXES, R4_TYPES, Ty, choice_suffix,
};

type Obj = Map<String, Value>;

/// The path of whole-resource problems (e.g. a missing `resourceType`).
const ROOT: &str = "(resource)";

/// One problem found by [`check_r4_issues`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where, relative to the resource root and without the type prefix, e.g. `status`,
    /// `code.coding[0].system` or `contained[0].status`; `(resource)` for the resource itself.
    pub path: String,
    /// What is wrong there.
    pub reason: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Checks that `resource` is structurally valid R4 and returns every problem found, each as
/// a `Type.path: reason` string (contained resources as `Type.contained[0]/Inner.path`).
///
/// The same check as [`check_r4_issues`], which gives the problems as structured [`Issue`]s.
pub fn check_r4(resource: &Value) -> Result<(), Vec<String>> {
    let issues = check_r4_issues(resource);
    if issues.is_empty() {
        return Ok(());
    }
    Err(issues.iter().map(|i| legacy(resource, i)).collect())
}

/// Checks that `resource` is structurally valid R4 and returns every problem found.
///
/// Everywhere in the tree, for every resource type: no `null` (except where it pairs with a
/// `_name` primitive-extension twin in an array), no `{}`, no `[]`, no empty or
/// whitespace-only string. The resource type must be an R4 type. For the types with an
/// element table (the eleven core types, the pass-through types this crate converts, and
/// Bundle): element names, cardinalities, JSON shapes, typed primitives (booleans, integers
/// in range, decimals as numbers, dates, dateTimes with timezone, codes, ids, URIs, ...),
/// choice elements, required bindings, and the insides of the common datatypes (Coding,
/// CodeableConcept, Quantity, Reference, Identifier, Period, HumanName, Extension, Meta,
/// Narrative, Timing, Dosage, ...) with their invariants. For every type, the inherited
/// elements (`id`, `meta`, `text`, `extension`, `contained`, ...) are checked the same way.
/// Not checked: terminology beyond required bindings, references, and invariants other than
/// those named in the reasons.
pub fn check_r4_issues(resource: &Value) -> Vec<Issue> {
    let mut out = Issues::default();
    json_rules(resource, "", &mut out);
    check_resource(resource, "", &mut out);
    out.0
}

/// The issues found so far.
#[derive(Default)]
struct Issues(Vec<Issue>);

impl Issues {
    fn push(&mut self, path: &str, reason: impl Into<String>) {
        let path = if path.is_empty() { ROOT } else { path };
        self.0.push(Issue {
            path: path.to_string(),
            reason: reason.into(),
        });
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn item(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The `Type.path: reason` form `check_r4` has always returned.
fn legacy(resource: &Value, issue: &Issue) -> String {
    match resource.get("resourceType").and_then(Value::as_str) {
        None => issue.to_string(),
        Some(rt) if issue.path == ROOT => format!("{rt}: {}", issue.reason),
        Some(rt) => format!(
            "{rt}.{}: {}",
            typed_path(resource, &issue.path),
            issue.reason
        ),
    }
}

/// Names the type of contained resources in `path` (`contained[0].class` becomes
/// `contained[0]/Encounter.class`), as the old string form did.
fn typed_path(resource: &Value, path: &str) -> String {
    let parsed = path.strip_prefix("contained[").and_then(|rest| {
        let (index, tail) = rest.split_once("].")?;
        let inner = resource
            .get("contained")?
            .get(index.parse::<usize>().ok()?)?;
        let rt = inner.get("resourceType")?.as_str()?;
        Some(format!(
            "contained[{index}]/{rt}.{}",
            typed_path(inner, tail)
        ))
    });
    parsed.unwrap_or_else(|| path.to_string())
}

// ---------------------------------------------------------------------------------------
// Pass 1: FHIR JSON rules everywhere in the tree.

/// Why `v` may not appear in FHIR JSON at all, whatever its element.
fn blank(v: &Value) -> Option<&'static str> {
    match v {
        Value::Null => Some("null (omit the element instead)"),
        Value::String(s) if s.is_empty() => Some("empty string (omit the element instead)"),
        Value::String(s) if s.trim().is_empty() => {
            Some("whitespace-only string (omit the element instead)")
        }
        Value::Array(a) if a.is_empty() => Some("empty array (omit the element instead)"),
        Value::Object(o) if o.is_empty() => {
            Some("empty object (an element must have a value or children)")
        }
        _ => None,
    }
}

/// Reports every blank value in the tree under `v`, typed or not.
fn json_rules(v: &Value, path: &str, out: &mut Issues) {
    if let Some(reason) = blank(v) {
        out.push(path, reason);
        return;
    }
    match v {
        Value::Object(o) => {
            for (key, child_value) in o {
                let p = child(path, key);
                match child_value {
                    Value::Array(items) if !items.is_empty() => {
                        for (i, it) in items.iter().enumerate() {
                            // Repeating primitives align values and `_name` twins with nulls.
                            if !(it.is_null() && twin_present(o, key, i)) {
                                json_rules(it, &item(&p, i), out);
                            }
                        }
                    }
                    _ => json_rules(child_value, &p, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, it) in items.iter().enumerate() {
                json_rules(it, &item(path, i), out);
            }
        }
        _ => {}
    }
}

/// Whether the twin array of `key` (`_given` for `given` and back) has a non-null item `i`.
fn twin_present(o: &Obj, key: &str, i: usize) -> bool {
    let twin = match key.strip_prefix('_') {
        Some(name) => name.to_string(),
        None => format!("_{key}"),
    };
    o.get(&twin)
        .and_then(|t| t.get(i))
        .is_some_and(|t| !t.is_null())
}

// ---------------------------------------------------------------------------------------
// Pass 2: the element tables.

/// What an object is checked against.
#[derive(Clone, Copy)]
struct Shape {
    /// The type's own elements.
    elements: &'static [El],
    /// The inherited elements (Element, BackboneElement, Resource or DomainResource).
    base: &'static [El],
    /// A resource type without a table: keys it does not know are not errors.
    open: bool,
    /// A resource: `resourceType` is allowed.
    resource: bool,
}

impl Shape {
    fn backbone(elements: &'static [El]) -> Shape {
        Shape {
            elements,
            base: spec::BACKBONE_BASE_ELS,
            open: false,
            resource: false,
        }
    }

    fn data(dt: Dt) -> Shape {
        Shape {
            elements: dt.elements(),
            base: dt.base(),
            open: false,
            resource: false,
        }
    }

    fn all(self) -> impl Iterator<Item = &'static El> {
        self.elements.iter().chain(self.base)
    }
}

fn check_resource(resource: &Value, path: &str, out: &mut Issues) {
    let Some(o) = resource.as_object() else {
        if blank(resource).is_none() {
            out.push(
                path,
                format!("expected a JSON object, found {}", kind(resource)),
            );
        }
        return;
    };
    let Some(rt) = o.get("resourceType").and_then(Value::as_str) else {
        out.push(
            path,
            "missing resourceType (a resource needs a string resourceType)",
        );
        return;
    };
    if DSTU3_ONLY_TYPES.contains(&rt) {
        out.push(path, "not an R4 resource type (DSTU3 only)");
        return;
    }
    if !R4_TYPES.contains(&rt) {
        out.push(path, format!("'{rt}' is not an R4 resource type"));
        return;
    }
    let elements = spec::r4(rt);
    let shape = Shape {
        elements: elements.unwrap_or_default(),
        base: spec::resource_base(rt),
        open: elements.is_none(),
        resource: true,
    };
    check_object(o, shape, path, out);
    invariants(rt, o, path, out);
}

fn check_object(o: &Obj, shape: Shape, path: &str, out: &mut Issues) {
    for (key, v) in o {
        if !(shape.resource && key == "resourceType") {
            check_key(key, v, shape, path, out);
        }
    }
    for el in shape.all() {
        match el.ty {
            Ty::Choice(types) => check_choice(o, el, types, path, out),
            _ => check_element(o, el, path, out),
        }
    }
}

/// Reports keys the shape does not define and checks `_name` primitive-extension twins.
fn check_key(key: &str, v: &Value, shape: Shape, path: &str, out: &mut Issues) {
    let name = key.strip_prefix('_').unwrap_or(key);
    let p = child(path, key);
    let Some(el) = spec::find(shape.elements, name).or_else(|| spec::find(shape.base, name)) else {
        if shape.open {
            return;
        }
        let choice = shape
            .all()
            .find(|el| matches!(el.ty, Ty::Choice(_)) && choice_suffix(name, el.name).is_some());
        match choice {
            Some(el) => out.push(&p, format!("type not allowed for {}[x]", el.name)),
            None => out.push(&p, "element not defined in R4"),
        }
        return;
    };
    if key.starts_with('_') {
        check_twin(name, el, v, &p, out);
    }
}

/// A `_name` twin carries the id and extensions of primitive `name`: only primitives have
/// one, and it holds an Element (or, for repeating primitives, an array of them and nulls).
fn check_twin(name: &str, el: &El, v: &Value, path: &str, out: &mut Issues) {
    let primitive = match el.ty {
        Ty::Prim(_) | Ty::Code(_) => true,
        Ty::Choice(_) => {
            choice_suffix(name, el.name).is_some_and(|s| PRIMITIVE_SUFFIXES.contains(&s))
        }
        _ => false,
    };
    if !primitive {
        out.push(
            path,
            format!("`_{name}` is only allowed on primitive elements"),
        );
        return;
    }
    check_cardinality(v, el.many, Ty::Data(Dt::Element), path, out);
}

fn check_element(o: &Obj, el: &El, path: &str, out: &mut Issues) {
    let p = child(path, el.name);
    match o.get(el.name) {
        Some(v) => check_cardinality(v, el.many, el.ty, &p, out),
        // A primitive may be absent when its `_name` twin says why (data-absent-reason).
        None if el.min > 0 && !o.contains_key(&format!("_{}", el.name)) => {
            out.push(&p, "required element missing")
        }
        None => {}
    }
}

fn check_choice(o: &Obj, el: &El, types: &[&str], path: &str, out: &mut Issues) {
    let allowed = |k: &str| choice_suffix(k, el.name).is_some_and(|s| types.contains(&s));
    let present: Vec<(&String, &Value)> = o.iter().filter(|(k, _)| allowed(k)).collect();
    let p = child(path, &format!("{}[x]", el.name));
    if present.len() > 1 {
        let keys: Vec<&str> = present.iter().map(|(k, _)| k.as_str()).collect();
        out.push(
            &p,
            format!("choice present more than once ({})", keys.join(", ")),
        );
    }
    let twin = o.keys().any(|k| k.strip_prefix('_').is_some_and(allowed));
    if el.min > 0 && present.is_empty() && !twin {
        out.push(&p, "required element missing");
    }
    for (k, v) in present {
        let suffix = choice_suffix(k, el.name).unwrap_or_default();
        let ty = Prim::from_suffix(suffix)
            .map(Ty::Prim)
            .or_else(|| Dt::from_suffix(suffix).map(Ty::Data))
            .unwrap_or(Ty::Complex);
        check_cardinality(v, false, ty, &child(path, k), out);
    }
}

/// Checks array-versus-single shape, then each value.
fn check_cardinality(v: &Value, many: bool, ty: Ty, path: &str, out: &mut Issues) {
    if blank(v).is_some() {
        return;
    }
    match (many, v) {
        (true, Value::Array(items)) => {
            for (i, it) in items.iter().enumerate() {
                check_value(it, ty, &item(path, i), out);
            }
        }
        (true, _) => out.push(path, "expected an array"),
        (false, Value::Array(_)) => out.push(path, "expected a single value, found an array"),
        (false, v) => check_value(v, ty, path, out),
    }
}

fn check_value(v: &Value, ty: Ty, path: &str, out: &mut Issues) {
    if blank(v).is_some() {
        return;
    }
    match ty {
        Ty::Prim(kind) => {
            if let Some(reason) = prim::problem(kind, v) {
                out.push(path, reason);
            }
        }
        Ty::Code(codes) => match v.as_str() {
            Some(c) if codes.contains(&c) => {}
            Some(c) => out.push(path, not_in_value_set(c, codes)),
            None => out.push(path, format!("expected a code string, found {}", kind(v))),
        },
        Ty::Complex | Ty::Choice(_) => {
            if !v.is_object() {
                out.push(path, format!("expected an object, found {}", kind(v)));
            }
        }
        Ty::Data(dt) => check_data(v, dt, path, out),
        Ty::BoundCc(system, codes) => check_bound_cc(v, system, codes, path, out),
        Ty::Backbone(children) => match v.as_object() {
            Some(o) => check_object(o, Shape::backbone(children), path, out),
            None => out.push(path, format!("expected an object, found {}", kind(v))),
        },
        Ty::Resource => check_resource(v, path, out),
    }
}

fn not_in_value_set(code: &str, codes: &[&str]) -> String {
    format!(
        "'{code}' is not in the required value set ({})",
        codes.join("|")
    )
}

fn check_data(v: &Value, dt: Dt, path: &str, out: &mut Issues) {
    match v.as_object() {
        Some(o) => {
            check_object(o, Shape::data(dt), path, out);
            datatype_rules(dt, o, path, out);
        }
        None => out.push(path, format!("expected an object, found {}", kind(v))),
    }
}

/// A CodeableConcept bound (required) to `codes` of `system`: it needs a coding from that
/// system, and every coding from it must use one of the codes.
fn check_bound_cc(v: &Value, system: &str, codes: &[&str], path: &str, out: &mut Issues) {
    if !v.is_object() {
        out.push(
            path,
            format!("expected a CodeableConcept object, found {}", kind(v)),
        );
        return;
    }
    check_data(v, Dt::CodeableConcept, path, out);
    let from_system: Vec<&str> = v
        .get("coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("system").and_then(Value::as_str) == Some(system))
        .filter_map(|c| c.get("code").and_then(Value::as_str))
        .collect();
    if from_system.is_empty() {
        out.push(path, format!("needs a coding from {system}"));
    }
    for c in from_system {
        if !codes.contains(&c) {
            out.push(path, not_in_value_set(c, codes));
        }
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

/// Whether `o` has a non-blank `key`.
fn has(o: &Obj, key: &str) -> bool {
    o.get(key).is_some_and(|v| blank(v).is_none())
}

/// The datatype invariants R4 states (ext-1, qty-3, sqty-1, rat-1, cpt-2, att-1, tim-*).
fn datatype_rules(dt: Dt, o: &Obj, path: &str, out: &mut Issues) {
    match dt {
        Dt::Extension => {
            // A `_valueX` twin alone is a value too (one with only an id or extensions).
            let value = o.keys().any(|k| {
                let name = k.strip_prefix('_').unwrap_or(k);
                choice_suffix(name, "value").is_some()
            });
            match (value, has(o, "extension")) {
                (true, true) => out.push(
                    path,
                    "has both value[x] and nested extensions; it must have one or the other (ext-1)",
                ),
                (false, false) => {
                    out.push(path, "needs a value[x] or nested extensions (ext-1)")
                }
                _ => {}
            }
        }
        Dt::Quantity | Dt::SimpleQuantity => {
            if has(o, "code") && !has(o, "system") {
                out.push(path, "a unit code needs a system (qty-3)");
            }
            if dt == Dt::SimpleQuantity && o.contains_key("comparator") {
                out.push(
                    &child(path, "comparator"),
                    "not allowed in a SimpleQuantity (sqty-1)",
                );
            }
        }
        Dt::Ratio => {
            let (num, den) = (has(o, "numerator"), has(o, "denominator"));
            if num != den {
                out.push(
                    path,
                    "numerator and denominator must both be present or both absent (rat-1)",
                );
            } else if !num && !has(o, "extension") {
                out.push(
                    path,
                    "needs a numerator and denominator, or an extension (rat-1)",
                );
            }
        }
        Dt::ContactPoint if has(o, "value") && !has(o, "system") => {
            out.push(path, "a value needs a system (cpt-2)");
        }
        Dt::Attachment if has(o, "data") && !has(o, "contentType") => {
            out.push(path, "data needs a contentType (att-1)");
        }
        Dt::Timing => {
            if let Some(repeat) = o.get("repeat").and_then(Value::as_object) {
                timing_repeat_rules(repeat, &child(path, "repeat"), out);
            }
        }
        _ => {}
    }
}

/// Timing.repeat invariants: units go with amounts, maxima with their base values.
fn timing_repeat_rules(r: &Obj, path: &str, out: &mut Issues) {
    let needs = [
        ("duration", "durationUnit", "tim-1"),
        ("period", "periodUnit", "tim-2"),
        ("periodMax", "period", "tim-6"),
        ("durationMax", "duration", "tim-7"),
        ("countMax", "count", "tim-8"),
        ("offset", "when", "tim-9"),
    ];
    for (key, needed, rule) in needs {
        if has(r, key) && !has(r, needed) {
            out.push(path, format!("{key} needs {needed} ({rule})"));
        }
    }
    if has(r, "timeOfDay") && has(r, "when") {
        out.push(path, "has both timeOfDay and when (tim-10)");
    }
    for (key, rule) in [("duration", "tim-4"), ("period", "tim-5")] {
        if r.get(key).and_then(Value::as_f64).is_some_and(|n| n < 0.0) {
            out.push(&child(path, key), format!("must not be negative ({rule})"));
        }
    }
}

/// The resource invariants R4 states about statuses and values (con-5, ait-1, ait-2,
/// obs-3, obs-6).
fn invariants(rt: &str, o: &Obj, path: &str, out: &mut Issues) {
    let ver_code = |sys: &str| {
        o.get("verificationStatus")
            .and_then(|v| crate::util::cc_code(v, &[sys]))
            .map(str::to_string)
    };
    let clinical = child(path, "clinicalStatus");
    match rt {
        "Condition" => {
            let in_error = ver_code("http://terminology.hl7.org/CodeSystem/condition-ver-status")
                .as_deref()
                == Some("entered-in-error");
            if in_error && o.contains_key("clinicalStatus") {
                out.push(
                    &clinical,
                    "must be absent when verificationStatus is entered-in-error (con-5)",
                );
            }
        }
        "AllergyIntolerance" => {
            let in_error =
                ver_code("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification")
                    .as_deref()
                    == Some("entered-in-error");
            match (in_error, o.contains_key("clinicalStatus")) {
                (true, true) => out.push(
                    &clinical,
                    "must be absent when verificationStatus is entered-in-error (ait-2)",
                ),
                (false, false) => out.push(
                    &clinical,
                    "required unless verificationStatus is entered-in-error (ait-1)",
                ),
                _ => {}
            }
        }
        "Observation" => observation_rules(o, path, out),
        _ => {}
    }
}

/// obs-6 (no dataAbsentReason next to a value) for the observation and its components, and
/// obs-3 (a reference range needs a low, a high or a text) at both levels.
fn observation_rules(o: &Obj, path: &str, out: &mut Issues) {
    let has_value = o.keys().any(|k| choice_suffix(k, "value").is_some());
    if has_value && o.contains_key("dataAbsentReason") {
        out.push(
            &child(path, "dataAbsentReason"),
            "must be absent when value[x] is present (obs-6)",
        );
    }
    let ranges = o.get("referenceRange").and_then(Value::as_array);
    for (i, range) in ranges.into_iter().flatten().enumerate() {
        let empty = ["low", "high", "text"]
            .iter()
            .all(|k| range.get(k).is_none());
        if range.is_object() && empty {
            out.push(
                &item(&child(path, "referenceRange"), i),
                "needs a low, a high or a text (obs-3)",
            );
        }
    }
    let components = o.get("component").and_then(Value::as_array);
    for (i, c) in components.into_iter().flatten().enumerate() {
        if let Some(c) = c.as_object() {
            observation_rules(c, &item(&child(path, "component"), i), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The issues of `v`, asserting one at `path` whose reason contains `reason`.
    fn expect(v: &Value, path: &str, reason: &str) -> Vec<Issue> {
        let issues = check_r4_issues(v);
        assert!(
            issues
                .iter()
                .any(|i| i.path == path && i.reason.contains(reason)),
            "no issue at {path:?} containing {reason:?} in {issues:#?}"
        );
        issues
    }

    fn obs(extra: Value) -> Value {
        let mut o = json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "1-8"}]}});
        for (k, v) in extra.as_object().expect("object") {
            o[k] = v.clone();
        }
        o
    }

    #[test]
    fn choice_twice_and_wrong_choice_type_are_reported() {
        let obs = json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "x"}, "valueString": "a", "valueBoolean": true,
            "effectiveAttachment": {"url": "http://x"}});
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
            "_birthDate": {"extension": [{"url": "http://x", "valueDateTime": "1970-01-01T10:00:00Z"}]},
            "name": [{"given": [null, "James"], "_given": [{"id": "g0"}]}]});
        assert_eq!(check_r4(&p), Ok(()));
    }

    #[test]
    fn primitive_extension_twins_are_checked() {
        let p = json!({"resourceType": "Patient",
            "_birthDate": {"extension": [{"valueString": "x"}]},
            "_name": {"id": "n"}});
        expect(
            &p,
            "_birthDate.extension[0].url",
            "required element missing",
        );
        expect(&p, "_name", "only allowed on primitive elements");
        // A null with no twin value next to it is not allowed.
        let p = json!({"resourceType": "Patient", "name": [{"given": [null, "James"]}]});
        expect(&p, "name[0].given[0]", "null");
    }

    #[test]
    fn dstu3_only_types_fail_and_unknown_r4_types_pass() {
        assert!(check_r4(&json!({"resourceType": "ProcedureRequest"})).is_err());
        assert_eq!(
            check_r4(&json!({"resourceType": "Questionnaire", "status": "draft"})),
            Ok(())
        );
        let v = json!({"id": "x"});
        expect(&v, "(resource)", "missing resourceType");
        assert_eq!(
            check_r4(&v),
            Err(vec![
                "(resource): missing resourceType (a resource needs a string resourceType)"
                    .to_string()
            ])
        );
        expect(
            &json!({"resourceType": "Widget"}),
            "(resource)",
            "not an R4 resource type",
        );
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

    #[test]
    fn bad_status_and_empty_code() {
        let v = json!({"resourceType": "Observation", "status": "bogus-status", "code": {}});
        let issues = expect(&v, "status", "not in the required value set");
        expect(&v, "code", "empty object");
        assert_eq!(issues.len(), 2, "{issues:#?}");
        assert_eq!(
            issues[1].to_string(),
            "status: 'bogus-status' is not in the required value set \
             (registered|preliminary|final|amended|corrected|cancelled|entered-in-error|unknown)"
        );
    }

    #[test]
    fn quantity_insides() {
        let v = obs(json!({"valueQuantity": {"value": "abc"}}));
        expect(&v, "valueQuantity.value", "expected a decimal number");
        let v = obs(json!({"valueQuantity": {"value": 1, "comparator": "~"}}));
        expect(
            &v,
            "valueQuantity.comparator",
            "not in the required value set",
        );
        let v = obs(json!({"valueQuantity": {"value": 1, "code": "mg"}}));
        expect(&v, "valueQuantity", "qty-3");
        let v = obs(json!({"referenceRange": [{"low": {"value": 1, "comparator": "<"}}]}));
        expect(&v, "referenceRange[0].low.comparator", "sqty-1");
    }

    #[test]
    fn missing_required_element() {
        let v = json!({"resourceType": "Observation", "status": "final"});
        let issues = expect(&v, "code", "required element missing");
        assert_eq!(issues.len(), 1);
    }

    #[test]
    fn typed_primitives() {
        let p = |extra: Value| {
            let mut p = json!({"resourceType": "Patient"});
            for (k, v) in extra.as_object().expect("object") {
                p[k] = v.clone();
            }
            p
        };
        expect(
            &p(json!({"birthDate": "1990-13-01"})),
            "birthDate",
            "is not a date",
        );
        expect(
            &p(json!({"birthDate": 12})),
            "birthDate",
            "expected a date string",
        );
        expect(&p(json!({"active": "yes"})), "active", "expected a boolean");
        expect(
            &obs(json!({"effectiveDateTime": "2020-01-01T10:00"})),
            "effectiveDateTime",
            "is not a dateTime",
        );
        expect(
            &obs(json!({"valueInteger": 1.5})),
            "valueInteger",
            "expected an integer",
        );
        expect(
            &obs(json!({"issued": "2020-01-01"})),
            "issued",
            "is not an instant",
        );
        let mut v = obs(json!({}));
        v["code"]["coding"][0]["system"] = json!("has space");
        expect(&v, "code.coding[0].system", "is not a uri");
        expect(
            &p(json!({"deceasedBoolean": "false"})),
            "deceasedBoolean",
            "expected a boolean",
        );
        expect(
            &p(json!({"multipleBirthInteger": 0, "id": "a b"})),
            "id",
            "is not an id",
        );
    }

    #[test]
    fn json_rules_hold_everywhere() {
        expect(
            &obs(json!({"valueString": ""})),
            "valueString",
            "empty string",
        );
        expect(
            &obs(json!({"valueString": "  "})),
            "valueString",
            "whitespace-only",
        );
        expect(&obs(json!({"subject": null})), "subject", "null");
        expect(&obs(json!({"category": []})), "category", "empty array");
        let issues = expect(
            &obs(json!({"note": [{"text": ""}]})),
            "note[0].text",
            "empty",
        );
        // Reported once, not again as a missing or ill-typed value.
        assert_eq!(issues.len(), 1, "{issues:#?}");
    }

    #[test]
    fn extensions_need_a_url_and_one_of_value_or_extension() {
        let v = obs(json!({"extension": [{"valueString": "x"}]}));
        expect(&v, "extension[0].url", "required element missing");
        let v = obs(json!({"extension": [{"url": "http://x"}]}));
        expect(&v, "extension[0]", "ext-1");
        let v = obs(
            json!({"modifierExtension": [{"url": "http://x", "valueBoolean": true,
            "extension": [{"url": "http://y", "valueCode": "z"}]}]}),
        );
        expect(&v, "modifierExtension[0]", "ext-1");
        let v = obs(json!({"extension": [{"url": "http://x", "valueQuantity": {"value": "1"}}]}));
        expect(
            &v,
            "extension[0].valueQuantity.value",
            "expected a decimal number",
        );
    }

    #[test]
    fn identifier_use_is_a_required_binding() {
        let v = obs(json!({"identifier": [{"use": "bogus", "value": "1"}]}));
        expect(&v, "identifier[0].use", "not in the required value set");
    }

    #[test]
    fn contained_resources_are_checked_with_their_own_paths() {
        let v = obs(
            json!({"contained": [{"resourceType": "Observation", "status": "nope",
            "code": {"text": "x"}}]}),
        );
        expect(&v, "contained[0].status", "not in the required value set");
        let errs = check_r4(&v).unwrap_err();
        assert!(
            errs[0].starts_with("Observation.contained[0]/Observation.status: 'nope'"),
            "{errs:?}"
        );
    }

    #[test]
    fn types_without_a_table_still_get_the_json_rules_and_base_elements() {
        let claim = json!({"resourceType": "Claim", "status": "active",
            "item": [{"sequence": 1, "detail": [{"sequence": 1, "net": {}}]}],
            "meta": {"lastUpdated": "yesterday"}});
        expect(&claim, "item[0].detail[0].net", "empty object");
        expect(&claim, "meta.lastUpdated", "is not an instant");
    }

    #[test]
    fn datatype_insides_are_checked() {
        let p = json!({"resourceType": "Patient",
            "name": [{"use": "nick", "given": "Ann"}],
            "telecom": [{"value": "555"}],
            "photo": [{"data": "aGk="}],
            "address": [{"type": "home"}],
            "text": {"status": "generated", "div": "<p>x</p>"}});
        expect(&p, "name[0].use", "not in the required value set");
        expect(&p, "name[0].given", "expected an array");
        expect(&p, "telecom[0]", "cpt-2");
        expect(&p, "photo[0]", "att-1");
        expect(&p, "address[0].type", "not in the required value set");
        expect(&p, "text.div", "is not a xhtml");
        let m = json!({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
            "medicationCodeableConcept": {"text": "x"}, "subject": {"reference": "Patient/p"},
            "dosageInstruction": [{"timing": {"repeat": {"period": 1, "frequency": 0}}}]});
        expect(&m, "dosageInstruction[0].timing.repeat", "tim-2");
        expect(
            &m,
            "dosageInstruction[0].timing.repeat.frequency",
            "out of range for positiveInt",
        );
    }

    #[test]
    fn bundles_check_their_entries() {
        let b = json!({"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}]});
        expect(&b, "entry[0].resource.code", "required element missing");
        let errs = check_r4(&b).unwrap_err();
        assert_eq!(
            errs,
            vec!["Bundle.entry[0].resource.code: required element missing".to_string()]
        );
    }
}
