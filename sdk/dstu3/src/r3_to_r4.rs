//! DSTU3 → R4, one function per resource type (after the HL7 R3→R4 StructureMaps).

use serde_json::{Value, json};

use crate::spec::{self, RESOURCE_BASE, tho};
use crate::util::{
    Obj, XV3, XV4, as_obj, cc, each, map_code, push_ext, ref_type, rename, rewrite_systems, same,
    stash, system_to_r4, take, take_choice, take_ext, unstash, widen,
};
use crate::{ConvertError, convert_bundle, resource_type};

type Res = Result<(), ConvertError>;

pub(crate) fn convert(mut v: Value) -> Result<Value, ConvertError> {
    let rt = resource_type(&v)?;
    let Value::Object(mut o) = v.take() else {
        return Err(ConvertError::NotAnObject);
    };
    if rt == "Bundle" {
        fill_goal_subjects(&mut o);
        return convert_bundle(o, convert);
    }
    let out_type = match rt.as_str() {
        "ProcedureRequest" | "ReferralRequest" => "ServiceRequest",
        _ => rt.as_str(),
    };
    let p = rt.as_str();
    match p {
        "Patient" => patient(&mut o)?,
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
        "Location" => widen(&mut o, "type"),
        "Medication" => medication(&mut o)?,
        "CarePlan" => care_plan(&mut o)?,
        "Goal" => goal(&mut o)?,
        "CareTeam" => care_team(&mut o)?,
        "ProcedureRequest" => procedure_request(&mut o)?,
        "ReferralRequest" => referral_request(&mut o)?,
        _ => {
            return Err(ConvertError::Unsupported { resource_type: rt });
        }
    }
    o.insert("resourceType".into(), Value::String(out_type.into()));
    common(&mut o, out_type)?;
    Ok(Value::Object(o))
}

/// Steps every resource needs: contained resources, moved code systems, meta, and the
/// final strip of anything R4 does not define.
fn common(o: &mut Obj, rt: &str) -> Res {
    if let Some(Value::Array(contained)) = o.get_mut("contained") {
        for (i, c) in contained.iter_mut().enumerate() {
            *c = convert(c.take()).map_err(|e| match e {
                ConvertError::Invalid { path, reason } => ConvertError::Invalid {
                    path: format!("{rt}.contained[{i}]/{path}"),
                    reason,
                },
                other => other,
            })?;
        }
    }
    let mut tree = Value::Object(std::mem::take(o));
    rewrite_systems(&mut tree, system_to_r4);
    let Value::Object(back) = tree else {
        unreachable!("an object stays an object")
    };
    *o = back;
    if let Some(Value::Object(meta)) = o.get_mut("meta") {
        clean_profiles(meta);
    }
    if let Some(s) = spec::r4(rt) {
        spec::prune_r4(o, s, RESOURCE_BASE);
    }
    Ok(())
}

/// Drops profile URLs pinned to DSTU3 (they cannot validate an R4 resource); others stay.
fn clean_profiles(meta: &mut Obj) {
    if let Some(Value::Array(profiles)) = meta.get_mut("profile") {
        profiles.retain(|p| {
            let s = p.as_str().unwrap_or_default().to_ascii_lowercase();
            !["/fhir/3.0/", "/fhir/stu3/", "/fhir/dstu3/"]
                .iter()
                .any(|pin| s.contains(pin))
        });
        if profiles.is_empty() {
            meta.remove("profile");
        }
    }
}

/// Maps a status code through `table`, erroring on codes DSTU3 does not define.
fn status(o: &mut Obj, key: &str, path: &str, table: &[(&str, Option<&'static str>)]) -> Res {
    if let Some(v) = o.get(key) {
        match map_code(&format!("{path}.{key}"), v, table)? {
            Some(code) => {
                o.insert(key.into(), Value::String(code.into()));
            }
            None => {
                take(o, key);
            }
        }
    }
    Ok(())
}

/// Turns a DSTU3 status code into the R4 CodeableConcept of `system`.
fn status_cc(
    o: &mut Obj,
    key: &str,
    path: &str,
    system: &str,
    table: &[(&str, Option<&'static str>)],
) -> Res {
    status(o, key, path, table)?;
    if let Some(Value::String(code)) = o.get(key) {
        let concept = cc(system, code);
        o.insert(key.into(), concept);
    }
    // The full R4 concept parked by to_dstu3 (e.g. `relapse`, or extra codings) wins.
    if let Some((_, full)) = take_ext(o, &format!("{XV4}{path}.{key}")) {
        o.insert(key.into(), full);
    }
    Ok(())
}

/// `context` becomes `encounter`, unless it points at an EpisodeOfCare R4 cannot hold there.
fn context_to_encounter(o: &mut Obj, rt: &str) {
    if o.get("context").and_then(ref_type) == Some("EpisodeOfCare") {
        stash(o, "context", XV3, &format!("{rt}.context"), "Reference");
    } else {
        rename(o, "context", "encounter");
    }
}

/// `definition` references: canonical URLs go to `instantiatesCanonical`, local ones to an extension.
fn definition_to_instantiates(o: &mut Obj, rt: &str) {
    let Some(defs) = take(o, "definition") else {
        return;
    };
    let defs = match defs {
        Value::Array(a) => a,
        single => vec![single],
    };
    let mut canonicals = Vec::new();
    for d in defs {
        match d.get("reference").and_then(Value::as_str) {
            Some(s) if s.starts_with("http://") || s.starts_with("https://") => {
                canonicals.push(Value::String(s.into()))
            }
            _ => push_ext(o, format!("{XV3}{rt}.definition"), "Reference", d),
        }
    }
    if !canonicals.is_empty() {
        o.insert("instantiatesCanonical".into(), Value::Array(canonicals));
    }
}

/// `requester {agent, onBehalfOf}` becomes the bare agent reference.
fn requester_agent(o: &mut Obj, rt: &str) {
    if let Some(Value::Object(mut req)) = o.remove("requester") {
        if let Some(agent) = req.remove("agent") {
            o.insert("requester".into(), agent);
        }
        if let Some(obo) = req.remove("onBehalfOf") {
            push_ext(
                o,
                format!("{XV3}{rt}.requester.onBehalfOf"),
                "Reference",
                obo,
            );
        }
    }
}

/// Applies an R4 status kept by `to_dstu3` when DSTU3 had no code for it.
fn restore_r4_code(o: &mut Obj, rt: &str, key: &str) -> bool {
    match take_ext(o, &format!("{XV4}{rt}.{key}")) {
        Some((_, v)) => {
            o.insert(key.into(), v);
            true
        }
        None => false,
    }
}

/// Merges several CodeableConcepts into one (R4 narrowed some 0..* reasons to 0..1).
fn merge_ccs(v: Value) -> Value {
    match v {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        Value::Array(a) => {
            let codings: Vec<Value> = a
                .iter()
                .filter_map(|c| c.get("coding").and_then(Value::as_array))
                .flatten()
                .cloned()
                .collect();
            let texts: Vec<&str> = a
                .iter()
                .filter_map(|c| c.get("text").and_then(Value::as_str))
                .collect();
            let mut out = Obj::new();
            if !codings.is_empty() {
                out.insert("coding".into(), Value::Array(codings));
            }
            if !texts.is_empty() {
                out.insert("text".into(), Value::String(texts.join("; ")));
            }
            Value::Object(out)
        }
        other => other,
    }
}

fn patient(o: &mut Obj) -> Res {
    // R4 moved `animal` into the standard patient-animal extension.
    if let Some(Value::Object(animal)) = take(o, "animal") {
        let parts: Vec<Value> = ["species", "breed", "genderStatus"]
            .iter()
            .filter_map(|k| {
                animal
                    .get(*k)
                    .map(|v| json!({"url": k, "valueCodeableConcept": v}))
            })
            .collect();
        let ext = json!({
            "url": "http://hl7.org/fhir/StructureDefinition/patient-animal",
            "extension": parts,
        });
        match o.get_mut("extension") {
            Some(Value::Array(a)) => a.push(ext),
            _ => {
                o.insert("extension".into(), Value::Array(vec![ext]));
            }
        }
    }
    Ok(())
}

fn condition(o: &mut Obj) -> Res {
    let p = "Condition";
    status_cc(
        o,
        "clinicalStatus",
        p,
        &tho("condition-clinical"),
        &same(&["active", "recurrence", "inactive", "remission", "resolved"]),
    )?;
    // R4 has no `unknown` verification status; an absent element says the same.
    let mut ver = same(&[
        "provisional",
        "differential",
        "confirmed",
        "refuted",
        "entered-in-error",
    ]);
    ver.push(("unknown", None));
    status_cc(
        o,
        "verificationStatus",
        p,
        &tho("condition-ver-status"),
        &ver,
    )?;
    context_to_encounter(o, p);
    rename(o, "assertedDate", "recordedDate");
    unstash(o, "recorder", XV4, "Condition.recorder");
    // R4 dropped abatementBoolean; an abated condition must not read as active.
    if let Some(b) = o.get("abatementBoolean").cloned() {
        stash(o, "abatementBoolean", XV3, "Condition.abatement", "Boolean");
        if b == Value::Bool(true) && !o.contains_key("clinicalStatus") {
            o.insert(
                "clinicalStatus".into(),
                cc(&tho("condition-clinical"), "inactive"),
            );
        }
    }
    widen(o, "stage");
    Ok(())
}

fn observation(o: &mut Obj) -> Res {
    let p = "Observation";
    status(o, "status", p, &same(spec::OBS_STATUS))?;
    context_to_encounter(o, p);
    if let Some(Value::String(text)) = take(o, "comment") {
        o.insert("note".into(), json!([{ "text": text }]));
    }
    widen(o, "interpretation");
    stash(o, "valueAttachment", XV3, "Observation.value", "Attachment");
    unstash(o, "effectiveTiming", XV4, "Observation.effective");
    if let Some(Value::Array(related)) = take(o, "related") {
        for rel in related {
            let kind = rel.get("type").and_then(Value::as_str).unwrap_or_default();
            let target = rel.get("target").cloned().unwrap_or(Value::Null);
            let key = match kind {
                "has-member" => "hasMember",
                "derived-from" => "derivedFrom",
                // sequel-to, replaces, qualified-by, interfered-by have no R4 element.
                _ => {
                    let ext = json!({
                        "url": format!("{XV3}Observation.related"),
                        "extension": [
                            {"url": "type", "valueCode": kind},
                            {"url": "target", "valueReference": target},
                        ],
                    });
                    match o.get_mut("extension") {
                        Some(Value::Array(a)) => a.push(ext),
                        _ => {
                            o.insert("extension".into(), Value::Array(vec![ext]));
                        }
                    }
                    continue;
                }
            };
            match o.get_mut(key) {
                Some(Value::Array(a)) => a.push(target),
                _ => {
                    o.insert(key.into(), Value::Array(vec![target]));
                }
            }
        }
    }
    each(o, "component", p, |c, _| {
        widen(c, "interpretation");
        stash(
            c,
            "valueAttachment",
            XV3,
            "Observation.component.value",
            "Attachment",
        );
        Ok(())
    })
}

/// DSTU3 Dosage `dose[x]`/`rate[x]` move into R4 `doseAndRate`.
fn dosage(d: &mut Obj) {
    let mut dr = Obj::new();
    for (k, v) in take_choice(d, "dose")
        .into_iter()
        .chain(take_choice(d, "rate"))
    {
        dr.insert(k, v);
    }
    if let Some((_, t)) = take_ext(d, &format!("{XV4}Dosage.doseAndRate.type")) {
        dr.insert("type".into(), t);
    }
    if !dr.is_empty() {
        d.insert("doseAndRate".into(), Value::Array(vec![Value::Object(dr)]));
    }
}

fn medication_statement(o: &mut Obj) -> Res {
    let p = "MedicationStatement";
    status(
        o,
        "status",
        p,
        &same(&[
            "active",
            "completed",
            "entered-in-error",
            "intended",
            "stopped",
            "on-hold",
        ]),
    )?;
    // A status kept by to_dstu3 wins over the DSTU3 placeholder and its `taken`.
    let restored = restore_r4_code(o, p, "status");
    let st = o.get("status").and_then(Value::as_str).unwrap_or_default();
    let in_error = st == "entered-in-error";
    let intended = st == "intended";
    let taken = match take(o, "taken") {
        None => None,
        Some(Value::String(t)) if ["y", "n", "unk", "na"].contains(&t.as_str()) => Some(t),
        Some(other) => {
            return Err(ConvertError::Invalid {
                path: format!("{p}.taken"),
                reason: format!("value {other} is not one of y|n|unk|na"),
            });
        }
    };
    match taken.as_deref() {
        None | Some("y") => {}
        _ if restored => {}
        // R4 folded "not taken" into the status.
        Some("n") if !in_error => {
            o.insert("status".into(), "not-taken".into());
        }
        Some("na") if intended => {}
        Some(t) => push_ext(o, format!("{XV3}{p}.taken"), "Code", t.into()),
    }
    rename(o, "reasonNotTaken", "statusReason");
    while let Some((_, reason)) = take_ext(o, &format!("{XV4}{p}.statusReason")) {
        match o.get_mut("statusReason") {
            Some(Value::Array(a)) => a.push(reason),
            _ => {
                o.insert("statusReason".into(), Value::Array(vec![reason]));
            }
        }
    }
    each(o, "dosage", p, |d, _| {
        dosage(d);
        Ok(())
    })
}

fn medication_request(o: &mut Obj) -> Res {
    let p = "MedicationRequest";
    status(o, "status", p, &same(spec::MED_REQUEST_STATUS))?;
    status(
        o,
        "intent",
        p,
        &same(&["proposal", "plan", "order", "instance-order"]),
    )?;
    restore_r4_code(o, p, "intent");
    status(
        o,
        "priority",
        p,
        &same(&["routine", "urgent", "stat", "asap"]),
    )?;
    widen(o, "category");
    context_to_encounter(o, p);
    requester_agent(o, p);
    definition_to_instantiates(o, p);
    each(o, "dosageInstruction", p, |d, _| {
        dosage(d);
        Ok(())
    })?;
    each(o, "substitution", p, |s, _| {
        rename(s, "allowed", "allowedBoolean");
        Ok(())
    })
}

fn allergy_intolerance(o: &mut Obj) -> Res {
    let p = "AllergyIntolerance";
    status_cc(
        o,
        "clinicalStatus",
        p,
        &tho("allergyintolerance-clinical"),
        &same(&["active", "inactive", "resolved"]),
    )?;
    status_cc(
        o,
        "verificationStatus",
        p,
        &tho("allergyintolerance-verification"),
        &same(&["unconfirmed", "confirmed", "refuted", "entered-in-error"]),
    )?;
    rename(o, "assertedDate", "recordedDate");
    unstash(o, "encounter", XV4, "AllergyIntolerance.encounter");
    // R4 removed reaction.certainty; keep it in the cross-version extension.
    each(o, "reaction", p, |r, _| {
        stash(
            r,
            "certainty",
            XV3,
            "AllergyIntolerance.reaction.certainty",
            "Code",
        );
        Ok(())
    })
}

fn immunization(o: &mut Obj) -> Res {
    let p = "Immunization";
    status(o, "status", p, &same(&["completed", "entered-in-error"]))?;
    if take(o, "notGiven") == Some(Value::Bool(true))
        && o.get("status").and_then(Value::as_str) != Some("entered-in-error")
    {
        o.insert("status".into(), "not-done".into());
    }
    // R4 requires occurrence[x]; a missing DSTU3 date is stated as unknown rather than invented.
    if o.contains_key("date") {
        rename(o, "date", "occurrenceDateTime");
    } else if let Some((_, v)) = take_ext(o, &format!("{XV4}{p}.occurrenceString")) {
        o.insert("occurrenceString".into(), v);
    } else {
        o.insert("occurrenceString".into(), "unknown".into());
    }
    if let Some(Value::Array(perf)) = take(o, "practitioner") {
        let performers: Vec<Value> = perf
            .into_iter()
            .map(|mut pr| {
                if let Some(po) = pr.as_object_mut() {
                    rename(po, "role", "function");
                }
                pr
            })
            .collect();
        o.insert("performer".into(), Value::Array(performers));
    }
    if let Some(Value::Object(mut expl)) = take(o, "explanation") {
        if let Some(reason) = expl.remove("reason") {
            o.insert("reasonCode".into(), reason);
        }
        if let Some(not_given) = expl.remove("reasonNotGiven") {
            o.insert("statusReason".into(), merge_ccs(not_given));
        }
    }
    for key in ["recorded", "isSubpotent"] {
        unstash(o, key, XV4, &format!("{p}.{key}"));
    }
    if let Some(Value::Array(protocols)) = take(o, "vaccinationProtocol") {
        let mut applied = Vec::new();
        for (i, mut pr) in protocols.into_iter().enumerate() {
            let po = as_obj(&mut pr, &format!("{p}.vaccinationProtocol[{i}]"))?;
            match take(po, "doseSequence") {
                Some(n) => {
                    po.insert("doseNumberPositiveInt".into(), n);
                }
                None => match take_ext(po, &format!("{XV4}{p}.protocolApplied.doseNumberString")) {
                    Some((_, s)) => {
                        po.insert("doseNumberString".into(), s);
                    }
                    None => {
                        po.insert("doseNumberString".into(), "unknown".into());
                    }
                },
            }
            rename(po, "seriesDoses", "seriesDosesPositiveInt");
            let base = format!("{p}.vaccinationProtocol");
            stash(
                po,
                "description",
                XV3,
                &format!("{base}.description"),
                "String",
            );
            stash(
                po,
                "doseStatus",
                XV3,
                &format!("{base}.doseStatus"),
                "CodeableConcept",
            );
            stash(
                po,
                "doseStatusReason",
                XV3,
                &format!("{base}.doseStatusReason"),
                "CodeableConcept",
            );
            applied.push(pr);
        }
        o.insert("protocolApplied".into(), Value::Array(applied));
    }
    Ok(())
}

fn procedure(o: &mut Obj) -> Res {
    let p = "Procedure";
    let mut table = same(&[
        "preparation",
        "in-progress",
        "completed",
        "entered-in-error",
        "unknown",
    ]);
    table.push(("suspended", Some("on-hold")));
    table.push(("aborted", Some("stopped")));
    status(o, "status", p, &table)?;
    restore_r4_code(o, p, "status");
    if take(o, "notDone") == Some(Value::Bool(true))
        && o.get("status").and_then(Value::as_str) != Some("entered-in-error")
    {
        o.insert("status".into(), "not-done".into());
    }
    rename(o, "notDoneReason", "statusReason");
    context_to_encounter(o, p);
    definition_to_instantiates(o, p);
    each(o, "performer", p, |pf, _| {
        rename(pf, "role", "function");
        Ok(())
    })
}

fn encounter(o: &mut Obj) -> Res {
    let p = "Encounter";
    status(o, "status", p, &same(spec::ENCOUNTER_STATUS))?;
    each(o, "statusHistory", p, |h, hp| {
        status(h, "status", hp, &same(spec::ENCOUNTER_STATUS))
    })?;
    rename(o, "reason", "reasonCode");
    rename(o, "incomingReferral", "basedOn");
    widen(o, "appointment");
    each(o, "diagnosis", p, |d, _| {
        rename(d, "role", "use");
        Ok(())
    })?;
    // R4 requires class; DSTU3 did not, so an absent class is stated as unknown.
    if !o.contains_key("class") {
        o.insert(
            "class".into(),
            json!({"system": tho("v3-NullFlavor"), "code": "UNK"}),
        );
    }
    Ok(())
}

fn diagnostic_report(o: &mut Obj) -> Res {
    let p = "DiagnosticReport";
    status(o, "status", p, &same(spec::DIAGNOSTIC_REPORT_STATUS))?;
    widen(o, "category");
    context_to_encounter(o, p);
    if let Some(Value::Array(perf)) = take(o, "performer") {
        let mut refs = Vec::new();
        for (i, mut pf) in perf.into_iter().enumerate() {
            let po = as_obj(&mut pf, &format!("{p}.performer[{i}]"))?;
            let role = po.remove("role");
            let Some(Value::Object(mut actor)) = po.remove("actor") else {
                return Err(ConvertError::Invalid {
                    path: format!("{p}.performer[{i}].actor"),
                    reason: "required reference missing".into(),
                });
            };
            // R4 performer is a bare Reference; the role rides on it as an extension.
            if let Some(role) = role {
                push_ext(
                    &mut actor,
                    format!("{XV3}{p}.performer.role"),
                    "CodeableConcept",
                    role,
                );
            }
            refs.push(Value::Object(actor));
        }
        o.insert("performer".into(), Value::Array(refs));
    }
    rename(o, "image", "media");
    rename(o, "codedDiagnosis", "conclusionCode");
    Ok(())
}

fn document_reference(o: &mut Obj) -> Res {
    let p = "DocumentReference";
    status(
        o,
        "status",
        p,
        &same(&["current", "superseded", "entered-in-error"]),
    )?;
    let mut doc = same(&["preliminary", "final", "amended", "entered-in-error"]);
    // composition-status in R4 has no `appended`; an appended document is an amended one.
    doc.push(("appended", Some("amended")));
    status(o, "docStatus", p, &doc)?;
    rename(o, "class", "category");
    widen(o, "category");
    stash(o, "created", XV3, "DocumentReference.created", "DateTime");
    rename(o, "indexed", "date");
    each(o, "context", p, |c, _| {
        widen(c, "encounter");
        if let Some(Value::Array(related)) = c.remove("related") {
            let refs: Vec<Value> = related
                .into_iter()
                .map(|rel| {
                    let mut r = rel
                        .get("ref")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    if let Some(id) = rel.get("identifier")
                        && !r.contains_key("identifier")
                    {
                        r.insert("identifier".into(), id.clone());
                    }
                    Value::Object(r)
                })
                .collect();
            c.insert("related".into(), Value::Array(refs));
        }
        Ok(())
    })
}

fn medication(o: &mut Obj) -> Res {
    let p = "Medication";
    stash(o, "isBrand", XV3, "Medication.isBrand", "Boolean");
    stash(
        o,
        "isOverTheCounter",
        XV3,
        "Medication.isOverTheCounter",
        "Boolean",
    );
    if let Some(Value::Array(images)) = take(o, "image") {
        for img in images {
            push_ext(o, format!("{XV3}{p}.image"), "Attachment", img);
        }
    }
    each(o, "ingredient", p, |i, _| {
        rename(i, "amount", "strength");
        Ok(())
    })?;
    // package.container/content have no R4 home; only the batch survives.
    if let Some(Value::Object(mut pkg)) = take(o, "package")
        && let Some(Value::Array(mut batches)) = pkg.remove("batch")
        && !batches.is_empty()
    {
        o.insert("batch".into(), batches.swap_remove(0));
    }
    Ok(())
}

fn care_plan(o: &mut Obj) -> Res {
    let p = "CarePlan";
    let mut table = same(&[
        "draft",
        "active",
        "completed",
        "entered-in-error",
        "unknown",
    ]);
    table.push(("suspended", Some("on-hold")));
    table.push(("cancelled", Some("revoked")));
    status(o, "status", p, &table)?;
    context_to_encounter(o, p);
    definition_to_instantiates(o, p);
    each(o, "activity", p, |a, ap| {
        each(a, "detail", ap, |d, _| {
            stash(
                d,
                "category",
                XV3,
                "CarePlan.activity.detail.category",
                "CodeableConcept",
            );
            definition_to_instantiates(d, "CarePlan.activity.detail");
            if let Some(Value::String(s)) = take(d, "statusReason") {
                d.insert("statusReason".into(), json!({ "text": s }));
            }
            rename(d, "prohibited", "doNotPerform");
            Ok(())
        })
    })
}

fn goal(o: &mut Obj) -> Res {
    let p = "Goal";
    if !o.contains_key("subject") {
        return Err(ConvertError::Invalid {
            path: format!("{p}.subject"),
            reason: "missing, and R4 requires it (in a Bundle it is taken from the CarePlan or \
                     Condition that names the goal, or from the only Patient)"
                .into(),
        });
    }
    if let Some(st) = take(o, "status") {
        let s = st.as_str().unwrap_or_default();
        // R4 split the status into lifecycle and achievement.
        let (life, achievement) = match s {
            "proposed" | "accepted" | "planned" | "on-hold" | "cancelled" | "entered-in-error"
            | "rejected" => (s, None),
            "in-progress" | "on-target" => ("active", Some("in-progress")),
            "ahead-of-target" => ("active", Some("improving")),
            "behind-target" => ("active", Some("worsening")),
            "sustaining" => ("active", Some("sustaining")),
            "achieved" => ("completed", Some("achieved")),
            _ => {
                return Err(ConvertError::Invalid {
                    path: format!("{p}.status"),
                    reason: format!("code '{s}' has no mapping"),
                });
            }
        };
        let life = life.to_string();
        o.insert("lifecycleStatus".into(), Value::String(life));
        if let Some(a) = achievement {
            o.insert("achievementStatus".into(), cc(&tho("goal-achievement"), a));
        }
    }
    widen(o, "target");
    Ok(())
}

/// R4 requires `Goal.subject`, DSTU3 does not (Synthea's DSTU3 goals have none). In a bundle
/// the goal's patient is known from context: the CarePlan that lists the goal, else a
/// Condition the goal addresses, else the bundle's only Patient.
fn fill_goal_subjects(bundle: &mut Obj) {
    let Some(Value::Array(entries)) = bundle.get("entry") else {
        return;
    };
    let found: Vec<(usize, Value)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e["resource"]["resourceType"] == "Goal")
        .filter(|(_, e)| e["resource"].get("subject").is_none())
        .filter_map(|(i, e)| goal_subject(entries, e).map(|s| (i, s)))
        .collect();
    if let Some(Value::Array(entries)) = bundle.get_mut("entry") {
        for (i, subject) in found {
            if let Some(Value::Object(goal)) = entries[i].get_mut("resource") {
                goal.insert("subject".into(), subject);
            }
        }
    }
}

/// The subject of the goal in `goal_entry`, from the rest of the bundle.
fn goal_subject(entries: &[Value], goal_entry: &Value) -> Option<Value> {
    let goal_names = entry_names(goal_entry);
    let of_type = |rt: &'static str| {
        entries
            .iter()
            .filter(move |e| e["resource"]["resourceType"] == rt)
    };
    let subject = |e: &Value| e["resource"].get("subject").cloned();
    let from_care_plan = of_type("CarePlan")
        .find(|cp| references(&cp["resource"]["goal"]).any(|r| goal_names.contains(&r)))
        .and_then(subject);
    let from_condition = || {
        let addressed: Vec<String> = references(&goal_entry["resource"]["addresses"]).collect();
        of_type("Condition")
            .find(|c| entry_names(c).iter().any(|n| addressed.contains(n)))
            .and_then(subject)
    };
    let only_patient = || {
        let mut patients = of_type("Patient");
        let patient = patients.next()?;
        let name = entry_names(patient).into_iter().next()?;
        patients
            .next()
            .is_none()
            .then(|| json!({ "reference": name }))
    };
    from_care_plan.or_else(from_condition).or_else(only_patient)
}

/// The names a bundle entry can be referenced by: its fullUrl, then `Type/id`.
fn entry_names(entry: &Value) -> Vec<String> {
    let res = &entry["resource"];
    let full_url = entry["fullUrl"].as_str().map(str::to_string);
    let local = match (res["resourceType"].as_str(), res["id"].as_str()) {
        (Some(rt), Some(id)) => Some(format!("{rt}/{id}")),
        _ => None,
    };
    full_url.into_iter().chain(local).collect()
}

/// The `reference` strings of a Reference array.
fn references(v: &Value) -> impl Iterator<Item = String> + '_ {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["reference"].as_str().map(str::to_string))
}

fn care_team(o: &mut Obj) -> Res {
    let p = "CareTeam";
    context_to_encounter(o, p);
    each(o, "participant", p, |pt, _| {
        widen(pt, "role");
        Ok(())
    })
}

fn service_request_status(o: &mut Obj, p: &str) -> Res {
    let mut table = same(&[
        "draft",
        "active",
        "completed",
        "entered-in-error",
        "unknown",
    ]);
    table.push(("suspended", Some("on-hold")));
    table.push(("cancelled", Some("revoked")));
    status(o, "status", p, &table)
}

fn procedure_request(o: &mut Obj) -> Res {
    let p = "ProcedureRequest";
    service_request_status(o, p)?;
    context_to_encounter(o, p);
    requester_agent(o, p);
    definition_to_instantiates(o, p);
    widen(o, "performer");
    Ok(())
}

fn referral_request(o: &mut Obj) -> Res {
    let p = "ReferralRequest";
    service_request_status(o, p)?;
    context_to_encounter(o, p);
    requester_agent(o, p);
    definition_to_instantiates(o, p);
    rename(o, "groupIdentifier", "requisition");
    rename(o, "specialty", "performerType");
    rename(o, "recipient", "performer");
    // A referral's "what" is its type; extra requested services become order details.
    let mut services = match take(o, "serviceRequested") {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    match take(o, "type") {
        Some(t) => {
            o.insert("code".into(), t);
        }
        None if !services.is_empty() => {
            o.insert("code".into(), services.remove(0));
        }
        None => {}
    }
    if !services.is_empty() {
        o.insert("orderDetail".into(), Value::Array(services));
    }
    if let Some(Value::String(d)) = take(o, "description") {
        match o.get_mut("note") {
            Some(Value::Array(a)) => a.push(json!({ "text": d })),
            _ => {
                o.insert("note".into(), json!([{ "text": d }]));
            }
        }
    }
    // Marks the request as a referral, which the R4 type no longer says by itself.
    let referral = json!({"coding": [{"system": "http://snomed.info/sct", "code": "3457005",
        "display": "Patient referral"}]});
    match o.get_mut("category") {
        Some(Value::Array(a)) => a.push(referral),
        _ => {
            o.insert("category".into(), Value::Array(vec![referral]));
        }
    }
    Ok(())
}
