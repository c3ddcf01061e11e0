//! R4 → DSTU3 for the core types (the reverse of `r3_to_r4`).
//!
//! Whatever `r3_to_r4` parked in DSTU3 cross-version extensions is restored, and R4 data
//! that DSTU3 cannot express but a round trip needs is parked in R4 cross-version extensions.

use serde_json::{Value, json};

use crate::spec;
use crate::util::{
    Obj, XV3, XV4, cc_code, each, map_code, narrow, push_ext, rename, rewrite_systems, same, stash,
    system_to_dstu3, take, take_choice, take_ext, unstash,
};
use crate::{ConvertError, convert_bundle, resource_type};

type Res = Result<(), ConvertError>;

pub(crate) fn convert(mut v: Value) -> Result<Value, ConvertError> {
    let rt = resource_type(&v)?;
    let Value::Object(mut o) = v.take() else {
        return Err(ConvertError::NotAnObject);
    };
    match rt.as_str() {
        "Bundle" => return convert_bundle(o, convert),
        "Patient" => patient(&mut o),
        "Condition" => condition(&mut o)?,
        "Observation" => observation(&mut o)?,
        "MedicationStatement" => medication_statement(&mut o)?,
        "MedicationRequest" => medication_request(&mut o)?,
        "AllergyIntolerance" => allergy_intolerance(&mut o)?,
        "Immunization" => immunization(&mut o)?,
        "Procedure" => procedure(&mut o)?,
        "Encounter" => encounter(&mut o)?,
        "DiagnosticReport" => diagnostic_report(&mut o)?,
        "DocumentReference" => document_reference(&mut o)?,
        // Same shape in both versions.
        "Practitioner" | "Organization" => {}
        "Location" => {
            narrow(&mut o, "type");
            take(&mut o, "hoursOfOperation");
            take(&mut o, "availabilityExceptions");
        }
        _ => return Err(ConvertError::Unsupported { resource_type: rt }),
    }
    if let Some(Value::Array(contained)) = o.get_mut("contained") {
        for c in contained.iter_mut() {
            *c = convert(c.take())?;
        }
    }
    let mut tree = Value::Object(o);
    rewrite_systems(&mut tree, system_to_dstu3);
    let Value::Object(mut o) = tree else {
        unreachable!("an object stays an object")
    };
    if let Some(names) = spec::dstu3_top(&rt) {
        spec::prune_dstu3(&mut o, names);
    }
    Ok(Value::Object(o))
}

/// Reduces an R4 status CodeableConcept to the DSTU3 code, keeping the full concept in an
/// R4 cross-version extension when the code alone would lose something.
fn cc_to_code(
    o: &mut Obj,
    rt: &str,
    key: &str,
    systems: &[&str],
    table: &[(&str, Option<&'static str>)],
) -> Res {
    let Some(concept) = o.get(key).cloned() else {
        return Ok(());
    };
    let path = format!("{rt}.{key}");
    let code = cc_code(&concept, systems).ok_or_else(|| ConvertError::Invalid {
        path: path.clone(),
        reason: format!("no coding from {}", systems[0]),
    })?;
    let mapped = map_code(&path, &Value::String(code.into()), table)?;
    let plain = json!({"coding": [{"system": systems[0], "code": code}]});
    if mapped != Some(code) || concept != plain {
        push_ext(o, format!("{XV4}{path}"), "CodeableConcept", concept);
    }
    match mapped {
        Some(c) => {
            o.insert(key.into(), Value::String(c.into()));
        }
        None => {
            o.remove(key);
        }
    }
    Ok(())
}

/// `encounter` becomes `context` (or the EpisodeOfCare kept in an extension comes back).
fn encounter_to_context(o: &mut Obj, rt: &str) {
    unstash(o, "context", XV3, &format!("{rt}.context"));
    if !o.contains_key("context") {
        rename(o, "encounter", "context");
        narrow(o, "context");
    } else {
        take(o, "encounter");
    }
}

/// `instantiatesCanonical` and parked local references become `definition`.
fn instantiates_to_definition(o: &mut Obj, rt: &str) {
    let mut defs: Vec<Value> = match take(o, "instantiatesCanonical") {
        Some(Value::Array(a)) => a.into_iter().map(|c| json!({ "reference": c })).collect(),
        _ => Vec::new(),
    };
    while let Some((_, r)) = take_ext(o, &format!("{XV3}{rt}.definition")) {
        defs.push(r);
    }
    if !defs.is_empty() {
        o.insert("definition".into(), Value::Array(defs));
    }
}

/// R4 `doseAndRate` goes back to DSTU3 `dose[x]`/`rate[x]` (DSTU3 holds one of each, so
/// only the first entry survives).
fn dosage(d: &mut Obj) {
    if let Some(Value::Array(mut dr)) = d.remove("doseAndRate")
        && !dr.is_empty()
        && let Value::Object(mut first) = dr.swap_remove(0)
    {
        // DSTU3 has no dose/rate type (e.g. "ordered"); it rides in an extension.
        stash(
            &mut first,
            "type",
            XV4,
            "Dosage.doseAndRate.type",
            "CodeableConcept",
        );
        if let Some(Value::Array(exts)) = first.remove("extension") {
            for e in exts {
                match d.get_mut("extension") {
                    Some(Value::Array(a)) => a.push(e),
                    _ => {
                        d.insert("extension".into(), Value::Array(vec![e]));
                    }
                }
            }
        }
        for (k, v) in take_choice(&mut first, "dose")
            .into_iter()
            .chain(take_choice(&mut first, "rate"))
        {
            d.insert(k, v);
        }
    }
}

fn patient(o: &mut Obj) {
    let Some(Value::Array(exts)) = o.get_mut("extension") else {
        return;
    };
    let Some(i) = exts.iter().position(|e| {
        e.get("url").and_then(Value::as_str)
            == Some("http://hl7.org/fhir/StructureDefinition/patient-animal")
    }) else {
        return;
    };
    let ext = exts.remove(i);
    if exts.is_empty() {
        o.remove("extension");
    }
    let mut animal = Obj::new();
    for part in ext
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(url), Some(v)) = (
            part.get("url").and_then(Value::as_str),
            part.get("valueCodeableConcept"),
        ) {
            animal.insert(url.into(), v.clone());
        }
    }
    o.insert("animal".into(), Value::Object(animal));
}

fn condition(o: &mut Obj) -> Res {
    let p = "Condition";
    let mut clinical = same(&["active", "recurrence", "inactive", "remission", "resolved"]);
    clinical.push(("relapse", Some("recurrence")));
    cc_to_code(
        o,
        p,
        "clinicalStatus",
        &[
            "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "http://hl7.org/fhir/condition-clinical",
        ],
        &clinical,
    )?;
    let mut ver = same(&[
        "provisional",
        "differential",
        "confirmed",
        "refuted",
        "entered-in-error",
    ]);
    ver.push(("unconfirmed", Some("provisional")));
    cc_to_code(
        o,
        p,
        "verificationStatus",
        &[
            "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "http://hl7.org/fhir/condition-ver-status",
        ],
        &ver,
    )?;
    encounter_to_context(o, p);
    rename(o, "recordedDate", "assertedDate");
    stash(o, "recorder", XV4, "Condition.recorder", "Reference");
    unstash(o, "abatementBoolean", XV3, "Condition.abatement");
    narrow(o, "stage");
    if let Some(Value::Object(stage)) = o.get_mut("stage") {
        stage.remove("type");
    }
    Ok(())
}

fn observation(o: &mut Obj) -> Res {
    let p = "Observation";
    encounter_to_context(o, p);
    if let Some(Value::Array(notes)) = take(o, "note") {
        let texts: Vec<&str> = notes
            .iter()
            .filter_map(|n| n.get("text").and_then(Value::as_str))
            .collect();
        if !texts.is_empty() {
            o.insert("comment".into(), Value::String(texts.join("\n\n")));
        }
    }
    narrow(o, "interpretation");
    unstash(o, "valueAttachment", XV3, "Observation.value");
    if let Some(n) = take(o, "valueInteger") {
        o.insert("valueQuantity".into(), json!({ "value": n }));
    }
    rename(o, "effectiveInstant", "effectiveDateTime");
    stash(o, "effectiveTiming", XV4, "Observation.effective", "Timing");
    let mut related = Vec::new();
    for (key, kind) in [("hasMember", "has-member"), ("derivedFrom", "derived-from")] {
        if let Some(Value::Array(targets)) = take(o, key) {
            related.extend(
                targets
                    .into_iter()
                    .map(|t| json!({"type": kind, "target": t})),
            );
        }
    }
    while let Some(ext) = take_complex_ext(o, &format!("{XV3}Observation.related")) {
        let mut rel = Obj::new();
        for part in ext {
            match part.get("url").and_then(Value::as_str) {
                Some("type") => {
                    rel.insert("type".into(), part["valueCode"].clone());
                }
                Some("target") => {
                    rel.insert("target".into(), part["valueReference"].clone());
                }
                _ => {}
            }
        }
        related.push(Value::Object(rel));
    }
    if !related.is_empty() {
        o.insert("related".into(), Value::Array(related));
    }
    each(o, "component", p, |c, _| {
        narrow(c, "interpretation");
        unstash(c, "valueAttachment", XV3, "Observation.component.value");
        if let Some(n) = take(c, "valueInteger") {
            c.insert("valueQuantity".into(), json!({ "value": n }));
        }
        Ok(())
    })
}

/// Removes the first complex extension with `url`, returning its sub-extensions.
fn take_complex_ext(o: &mut Obj, url: &str) -> Option<Vec<Value>> {
    let Some(Value::Array(a)) = o.get_mut("extension") else {
        return None;
    };
    let i = a
        .iter()
        .position(|e| e.get("url").and_then(Value::as_str) == Some(url))?;
    let ext = a.remove(i);
    if a.is_empty() {
        o.remove("extension");
    }
    match ext.get("extension") {
        Some(Value::Array(parts)) => Some(parts.clone()),
        _ => Some(Vec::new()),
    }
}

fn medication_statement(o: &mut Obj) -> Res {
    let p = "MedicationStatement";
    let st = o
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kept_taken = take_ext(o, &format!("{XV3}{p}.taken")).map(|(_, v)| v);
    let (status, taken) = match st.as_str() {
        // DSTU3 said "not taken" with `taken`, and "completed" is its usual companion.
        "not-taken" => ("completed", "n"),
        "unknown" => {
            push_ext(o, format!("{XV4}{p}.status"), "Code", "unknown".into());
            ("completed", "unk")
        }
        "intended" => ("intended", "na"),
        "entered-in-error" => ("entered-in-error", "unk"),
        "active" | "completed" | "stopped" | "on-hold" => (st.as_str(), "y"),
        "" => ("", "unk"),
        other => {
            return Err(ConvertError::Invalid {
                path: format!("{p}.status"),
                reason: format!("code '{other}' has no mapping"),
            });
        }
    };
    let status = status.to_string();
    if !status.is_empty() {
        o.insert("status".into(), Value::String(status));
    }
    let taken = kept_taken.unwrap_or_else(|| Value::String(taken.into()));
    o.insert("taken".into(), taken.clone());
    if taken == "n" {
        rename(o, "statusReason", "reasonNotTaken");
    } else if let Some(Value::Array(reasons)) = take(o, "statusReason") {
        for r in reasons {
            push_ext(o, format!("{XV4}{p}.statusReason"), "CodeableConcept", r);
        }
    }
    each(o, "dosage", p, |d, _| {
        dosage(d);
        Ok(())
    })
}

fn medication_request(o: &mut Obj) -> Res {
    let p = "MedicationRequest";
    let intent = o.get("intent").and_then(Value::as_str).unwrap_or_default();
    let narrowed = match intent {
        "original-order" | "reflex-order" | "filler-order" => Some("order"),
        "option" => Some("proposal"),
        _ => None,
    };
    if let Some(n) = narrowed {
        stash(o, "intent", XV4, "MedicationRequest.intent", "Code");
        o.insert("intent".into(), n.into());
    }
    narrow(o, "category");
    encounter_to_context(o, p);
    if let Some(agent) = o.remove("requester") {
        let mut req = json!({ "agent": agent });
        if let Some((_, obo)) = take_ext(o, &format!("{XV3}{p}.requester.onBehalfOf")) {
            req["onBehalfOf"] = obo;
        }
        o.insert("requester".into(), req);
    }
    instantiates_to_definition(o, p);
    each(o, "dosageInstruction", p, |d, _| {
        dosage(d);
        Ok(())
    })?;
    each(o, "dispenseRequest", p, |d, _| {
        d.remove("initialFill");
        d.remove("dispenseInterval");
        Ok(())
    })?;
    each(o, "substitution", p, |s, _| {
        rename(s, "allowedBoolean", "allowed");
        if let Some(c) = s.remove("allowedCodeableConcept") {
            // v3 substanceAdminSubstitution `N` (none) is the only "not allowed" code.
            let code = cc_code(
                &c,
                &["http://terminology.hl7.org/CodeSystem/v3-substanceAdminSubstitution"],
            );
            s.insert("allowed".into(), Value::Bool(code != Some("N")));
        }
        Ok(())
    })
}

fn allergy_intolerance(o: &mut Obj) -> Res {
    let p = "AllergyIntolerance";
    cc_to_code(
        o,
        p,
        "clinicalStatus",
        &["http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"],
        &same(&["active", "inactive", "resolved"]),
    )?;
    cc_to_code(
        o,
        p,
        "verificationStatus",
        &["http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"],
        &same(&["unconfirmed", "confirmed", "refuted", "entered-in-error"]),
    )?;
    rename(o, "recordedDate", "assertedDate");
    stash(
        o,
        "encounter",
        XV4,
        "AllergyIntolerance.encounter",
        "Reference",
    );
    each(o, "reaction", p, |r, _| {
        unstash(r, "certainty", XV3, "AllergyIntolerance.reaction.certainty");
        Ok(())
    })
}

fn immunization(o: &mut Obj) -> Res {
    let p = "Immunization";
    let not_done = o.get("status").and_then(Value::as_str) == Some("not-done");
    if not_done {
        // DSTU3 pairs notGiven=true with status "completed".
        o.insert("status".into(), "completed".into());
    }
    o.insert("notGiven".into(), Value::Bool(not_done));
    let mut explanation = Obj::new();
    if let Some(reason) = take(o, "reasonCode") {
        explanation.insert("reason".into(), reason);
    }
    if let Some(sr) = take(o, "statusReason") {
        explanation.insert("reasonNotGiven".into(), Value::Array(vec![sr]));
    }
    if !explanation.is_empty() {
        o.insert("explanation".into(), Value::Object(explanation));
    }
    rename(o, "occurrenceDateTime", "date");
    stash(
        o,
        "occurrenceString",
        XV4,
        "Immunization.occurrenceString",
        "String",
    );
    stash(o, "recorded", XV4, "Immunization.recorded", "DateTime");
    stash(o, "isSubpotent", XV4, "Immunization.isSubpotent", "Boolean");
    if let Some(Value::Array(perf)) = take(o, "performer") {
        let practitioners: Vec<Value> = perf
            .into_iter()
            .map(|mut pf| {
                if let Some(po) = pf.as_object_mut() {
                    rename(po, "function", "role");
                }
                pf
            })
            .collect();
        o.insert("practitioner".into(), Value::Array(practitioners));
    }
    if let Some(Value::Array(applied)) = take(o, "protocolApplied") {
        let base = format!("{p}.vaccinationProtocol");
        let protocols: Vec<Value> = applied
            .into_iter()
            .map(|mut pa| {
                if let Some(po) = pa.as_object_mut() {
                    rename(po, "doseNumberPositiveInt", "doseSequence");
                    stash(
                        po,
                        "doseNumberString",
                        XV4,
                        "Immunization.protocolApplied.doseNumberString",
                        "String",
                    );
                    rename(po, "seriesDosesPositiveInt", "seriesDoses");
                    take(po, "seriesDosesString");
                    unstash(po, "description", XV3, &format!("{base}.description"));
                    unstash(po, "doseStatus", XV3, &format!("{base}.doseStatus"));
                    unstash(
                        po,
                        "doseStatusReason",
                        XV3,
                        &format!("{base}.doseStatusReason"),
                    );
                }
                pa
            })
            .collect();
        o.insert("vaccinationProtocol".into(), Value::Array(protocols));
    }
    Ok(())
}

fn procedure(o: &mut Obj) -> Res {
    let p = "Procedure";
    let st = o
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let not_done = st == "not-done";
    let mapped = match st.as_str() {
        "on-hold" => "suspended",
        "stopped" => "aborted",
        // DSTU3 said "not done" with notDone=true; "completed" is the usual companion.
        "not-done" => "completed",
        other => other,
    };
    if !mapped.is_empty() {
        o.insert("status".into(), Value::String(mapped.into()));
    }
    if not_done {
        o.insert("notDone".into(), Value::Bool(true));
        rename(o, "statusReason", "notDoneReason");
    }
    encounter_to_context(o, p);
    instantiates_to_definition(o, p);
    each(o, "performer", p, |pf, _| {
        rename(pf, "function", "role");
        Ok(())
    })
}

fn encounter(o: &mut Obj) -> Res {
    let p = "Encounter";
    rename(o, "reasonCode", "reason");
    rename(o, "basedOn", "incomingReferral");
    narrow(o, "appointment");
    each(o, "diagnosis", p, |d, _| {
        rename(d, "use", "role");
        Ok(())
    })?;
    each(o, "location", p, |l, _| {
        l.remove("physicalType");
        Ok(())
    })
}

fn diagnostic_report(o: &mut Obj) -> Res {
    let p = "DiagnosticReport";
    narrow(o, "category");
    encounter_to_context(o, p);
    if let Some(Value::Array(perf)) = take(o, "performer") {
        let performers: Vec<Value> = perf
            .into_iter()
            .map(|mut actor| {
                let mut pf = Obj::new();
                if let Some(a) = actor.as_object_mut()
                    && let Some((_, role)) = take_ext(a, &format!("{XV3}{p}.performer.role"))
                {
                    pf.insert("role".into(), role);
                }
                pf.insert("actor".into(), actor);
                Value::Object(pf)
            })
            .collect();
        o.insert("performer".into(), Value::Array(performers));
    }
    rename(o, "media", "image");
    rename(o, "conclusionCode", "codedDiagnosis");
    Ok(())
}

fn document_reference(o: &mut Obj) -> Res {
    let p = "DocumentReference";
    rename(o, "category", "class");
    narrow(o, "class");
    rename(o, "date", "indexed");
    unstash(o, "created", XV3, "DocumentReference.created");
    each(o, "context", p, |c, _| {
        narrow(c, "encounter");
        if let Some(Value::Array(related)) = c.remove("related") {
            let rel: Vec<Value> = related
                .into_iter()
                .map(|r| match r.get("identifier").cloned() {
                    Some(id) if r.get("reference").is_none() => json!({ "identifier": id }),
                    _ => json!({ "ref": r }),
                })
                .collect();
            c.insert("related".into(), Value::Array(rel));
        }
        Ok(())
    })
}
