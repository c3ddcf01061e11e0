//! The International Patient Summary: a FHIR `document` Bundle whose
//! Composition has the IPS sections (problems, allergies, medications
//! required; immunizations, procedures, results, vital signs when there are
//! any), built from the profile's shown records. Sections list the current
//! items: active problems, allergies and medications, the latest result of
//! each test, every immunization, recent procedures.

use super::export::urn_for;
use super::{RecordStore, StoreError};
use crate::auth::ProfileScope;
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::HashSet;

/// Why no summary could be made.
#[derive(Debug, thiserror::Error)]
pub enum IpsError {
    /// A summary is about a patient; the profile holds no Patient record.
    #[error(
        "the profile has no Patient record to summarise; connect a source, upload records or add one"
    )]
    NoPatient,
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IpsError {
    fn from(e: sqlx::Error) -> Self {
        IpsError::Store(StoreError::Db(e))
    }
}

struct Section {
    title: &'static str,
    loinc: &'static str,
    loinc_display: &'static str,
    required: bool,
}

const PROBLEMS: Section = Section {
    title: "Active Problems",
    loinc: "11450-4",
    loinc_display: "Problem list - Reported",
    required: true,
};
const ALLERGIES: Section = Section {
    title: "Allergies and Intolerances",
    loinc: "48765-2",
    loinc_display: "Allergies and adverse reactions Document",
    required: true,
};
const MEDICATIONS: Section = Section {
    title: "Medication Summary",
    loinc: "10160-0",
    loinc_display: "History of Medication use Narrative",
    required: true,
};
const IMMUNIZATIONS: Section = Section {
    title: "Immunizations",
    loinc: "11369-6",
    loinc_display: "History of Immunization Narrative",
    required: false,
};
const PROCEDURES: Section = Section {
    title: "History of Procedures",
    loinc: "47519-4",
    loinc_display: "History of Procedures Document",
    required: false,
};
const RESULTS: Section = Section {
    title: "Results",
    loinc: "30954-2",
    loinc_display: "Relevant diagnostic tests/laboratory data Narrative",
    required: false,
};
const VITALS: Section = Section {
    title: "Vital Signs",
    loinc: "8716-3",
    loinc_display: "Vital signs",
    required: false,
};

/// One resource picked for the summary.
struct Picked {
    resource_type: String,
    id: String,
    display: Option<String>,
    json: Value,
}

impl RecordStore {
    /// Up to `limit` shown resources of a type, newest first, whose status is
    /// one of `statuses` (or unknown); all statuses when `statuses` is empty.
    async fn ips_rows(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        statuses: &[&str],
        limit: i64,
    ) -> Result<Vec<Picked>, IpsError> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT resource_type, resource_id, display, json FROM resources WHERE profile_id = ",
        );
        q.push_bind(scope.id().to_string())
            .push(" AND resource_type = ")
            .push_bind(resource_type.to_string());
        if !statuses.is_empty() {
            q.push(" AND (status IS NULL OR status IN (");
            let mut list = q.separated(", ");
            for s in statuses {
                list.push_bind(s.to_string());
            }
            q.push("))");
        }
        q.push(" ORDER BY sort_key DESC, id DESC LIMIT ")
            .push_bind(limit);
        picked(q.build().fetch_all(&self.db).await?)
    }

    /// The latest Observation of each code in a category.
    async fn ips_latest(
        &self,
        scope: &ProfileScope,
        category: &str,
    ) -> Result<Vec<Picked>, IpsError> {
        let rows = sqlx::query(
            "SELECT r.resource_type, r.resource_id, r.display, r.json FROM resource_tokens t
             CROSS JOIN resources r ON r.id = t.resource
             WHERE t.profile_id = ? AND t.resource_type = 'Observation' AND t.param = 'category' AND t.code = ?
               AND (r.status IS NULL OR r.status IN ('final', 'amended', 'corrected', 'preliminary'))
             ORDER BY t.sort_key DESC, t.resource DESC LIMIT 5000",
        )
        .bind(scope.id())
        .bind(category)
        .fetch_all(&self.db)
        .await?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for p in picked(rows)? {
            let code = p.json.pointer("/code/coding/0").map(|c| {
                format!(
                    "{}|{}",
                    c["system"].as_str().unwrap_or_default(),
                    c["code"].as_str().unwrap_or_default()
                )
            });
            if seen.insert(code.unwrap_or_else(|| p.id.clone())) {
                out.push(p);
            }
            if out.len() == 100 {
                break;
            }
        }
        Ok(out)
    }
}

fn picked(rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<Picked>, IpsError> {
    rows.iter()
        .map(|r| {
            let json: String = r.try_get("json")?;
            Ok(Picked {
                resource_type: r.try_get("resource_type")?,
                id: r.try_get("resource_id")?,
                display: r.try_get("display")?,
                json: serde_json::from_str(&json).unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// HTML-escape text for a narrative.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn section(s: &Section, items: &[Picked]) -> Option<Value> {
    if items.is_empty() && !s.required {
        return None;
    }
    let code = json!({"coding": [{"system": "http://loinc.org", "code": s.loinc, "display": s.loinc_display}]});
    if items.is_empty() {
        return Some(json!({
            "title": s.title,
            "code": code,
            "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">No information available.</div>"},
            "emptyReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "unavailable", "display": "Unavailable"}]},
        }));
    }
    let list: String = items
        .iter()
        .map(|p| format!("<li>{}</li>", escape(p.display.as_deref().unwrap_or(&p.id))))
        .collect();
    Some(json!({
        "title": s.title,
        "code": code,
        "text": {"status": "generated", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><ul>{list}</ul></div>")},
        "entry": items.iter().map(|p| json!({"reference": urn_for(&p.resource_type, &p.id)})).collect::<Vec<_>>(),
    }))
}

/// Build the profile's Patient Summary document Bundle.
pub async fn ips(store: &RecordStore, scope: &ProfileScope) -> Result<Value, IpsError> {
    let patient = store
        .ips_rows(scope, "Patient", &[], 1)
        .await?
        .pop()
        .ok_or(IpsError::NoPatient)?;
    let mut medications = store
        .ips_rows(
            scope,
            "MedicationStatement",
            &["active", "intended", "on-hold"],
            200,
        )
        .await?;
    medications.extend(
        store
            .ips_rows(scope, "MedicationRequest", &["active", "on-hold"], 200)
            .await?,
    );
    let sections = [
        (
            &PROBLEMS,
            store
                .ips_rows(
                    scope,
                    "Condition",
                    &["active", "recurrence", "relapse"],
                    500,
                )
                .await?,
        ),
        (
            &ALLERGIES,
            store
                .ips_rows(scope, "AllergyIntolerance", &["active"], 200)
                .await?,
        ),
        (&MEDICATIONS, medications),
        (
            &IMMUNIZATIONS,
            store
                .ips_rows(scope, "Immunization", &["completed"], 500)
                .await?,
        ),
        (
            &PROCEDURES,
            store
                .ips_rows(scope, "Procedure", &["completed"], 200)
                .await?,
        ),
        (&RESULTS, store.ips_latest(scope, "laboratory").await?),
        (&VITALS, store.ips_latest(scope, "vital-signs").await?),
    ];
    let now = super::index::format_instant(chrono::Utc::now());
    let patient_ref = urn_for("Patient", &patient.id);
    let author = json!({
        "resourceType": "Device",
        "id": "hearth",
        "deviceName": [{"name": "Hearth", "type": "user-friendly-name"}],
    });
    let composition_id = crate::ids::new_id();
    let composition = json!({
        "resourceType": "Composition",
        "id": composition_id,
        "status": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "60591-5", "display": "Patient summary Document"}]},
        "subject": {"reference": patient_ref},
        "date": now,
        "author": [{"reference": urn_for("Device", "hearth")}],
        "title": format!("Patient Summary of {}", patient.display.as_deref().unwrap_or("the patient")),
        "section": sections.iter().filter_map(|(s, items)| section(s, items)).collect::<Vec<_>>(),
    });
    let mut entries = vec![
        json!({"fullUrl": urn_for("Composition", &composition_id), "resource": composition}),
        json!({"fullUrl": patient_ref, "resource": patient.json}),
        json!({"fullUrl": urn_for("Device", "hearth"), "resource": author}),
    ];
    let mut included = HashSet::new();
    for (_, items) in sections {
        for p in items {
            if included.insert((p.resource_type.clone(), p.id.clone())) {
                entries
                    .push(json!({"fullUrl": urn_for(&p.resource_type, &p.id), "resource": p.json}));
            }
        }
    }
    Ok(json!({
        "resourceType": "Bundle",
        "id": crate::ids::new_id(),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{}", uuid_of(&composition_id))},
        "type": "document",
        "timestamp": now,
        "entry": entries,
    }))
}

/// A 128-bit hex id shaped as a UUID.
fn uuid_of(hex: &str) -> String {
    if hex.len() != 32 {
        return hex.to_string();
    }
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
