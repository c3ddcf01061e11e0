//! Records typed in by the family: conditions, medications, allergies,
//! immunizations, procedures, encounters (with notes), observations and
//! practitioners, kept in the profile's own `manual` source; and attachments
//! (PDF and images) stored as files, each a Binary with a DocumentReference.
//!
//! The manual source and a Patient standing for the profile are created with
//! the first record. Every record is checked ([`validate::check_manual`])
//! and points at that Patient; only records of the manual source can be
//! edited or deleted here (what came from a provider is the provider's).

use super::validate::{self, Invalid};
use super::{RecordStore, StoreError, parse, upsert_in};
use crate::auth::ProfileScope;
use crate::files::Files;
use serde_json::{Value, json};
use sqlx::{Row, Sqlite};

/// The types that can be typed in.
pub const TYPES: &[&str] = &[
    "Condition",
    "MedicationStatement",
    "AllergyIntolerance",
    "Immunization",
    "Procedure",
    "Encounter",
    "Observation",
    "Practitioner",
];

/// Whether attachments of this content type are shown in the browser (the
/// types accepted for upload); anything else a provider sent is downloaded.
pub fn shown_inline(content_type: &str) -> bool {
    ATTACHMENT_TYPES.iter().any(|(t, _)| *t == content_type)
}

/// Attachment content types, with the bytes their files start with.
const ATTACHMENT_TYPES: &[(&str, &[u8])] = &[
    ("application/pdf", b"%PDF-"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF8"),
    ("image/webp", b"RIFF"),
];

/// Why a manual change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    /// The record fails validation.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No typed-in record with that type and id in this profile.
    #[error("no typed-in {0} with id {1:?} in this profile")]
    NotFound(String, String),
    /// The record came from a provider or an upload; it cannot be changed here.
    #[error("{0}/{1} came from a connected source or an upload and cannot be changed here")]
    NotEditable(String, String),
    /// The attachment's type is not accepted, or its bytes are not of that type.
    #[error("{0}")]
    Attachment(String),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing or reading an attachment file failed.
    #[error("attachment file: {0}")]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for ManualError {
    fn from(e: sqlx::Error) -> Self {
        ManualError::Store(StoreError::Db(e))
    }
}

/// The field that names the patient, per type.
fn patient_field(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "AllergyIntolerance" | "Immunization" => Some("patient"),
        "Practitioner" | "Binary" => None,
        _ => Some("subject"),
    }
}

fn invalid(path: &str, reason: &str) -> ManualError {
    ManualError::Invalid(Invalid {
        path: path.to_string(),
        reason: reason.to_string(),
    })
}

fn now() -> String {
    super::index::format_instant(chrono::Utc::now())
}

/// The profile's manual source and its Patient's id, created on first use.
async fn manual_source(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    scope: &ProfileScope,
) -> Result<(String, String), ManualError> {
    let patient = format!("self-{}", scope.id().chars().take(32).collect::<String>());
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM sources WHERE profile_id = ? AND kind = 'manual'")
            .bind(scope.id())
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = found {
        return Ok((id, patient));
    }
    let name: String = sqlx::query_scalar("SELECT name FROM profiles WHERE id = ?")
        .bind(scope.id())
        .fetch_one(&mut **tx)
        .await?;
    let source = insert_local(tx, scope.id(), "manual", "Added by hand").await?;
    let record = json!({
        "resourceType": "Patient",
        "id": patient,
        "meta": {"lastUpdated": now()},
        "name": [{"text": name}],
    });
    store_one(tx, &source, &record).await?;
    Ok((source, patient))
}

async fn store_one(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    source: &str,
    value: &Value,
) -> Result<(), ManualError> {
    let parsed = parse(&value.to_string()).map_err(|e| invalid("", &e.to_string()))?;
    upsert_in(tx, source, &[parsed]).await?;
    Ok(())
}

/// Every string a person typed into a record: no control characters but
/// line breaks and tabs, and no bidirectional controls; the first one's path.
fn typed_text(value: &Value, path: &mut String) -> Result<(), ManualError> {
    match value {
        Value::String(s) => crate::text::check_text(s).map_err(|e| invalid(path, &e.to_string())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                typed_text(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(o) => {
            for (key, item) in o {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                typed_text(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Fill in what the host owns (id, patient, last update) and check the rest.
fn prepare(
    resource_type: &str,
    mut value: Value,
    id: &str,
    patient: &str,
) -> Result<Value, ManualError> {
    if !TYPES.contains(&resource_type) {
        return Err(invalid(
            "resourceType",
            &format!("manual entry supports {}", TYPES.join(", ")),
        ));
    }
    typed_text(&value, &mut String::new())?;
    let Value::Object(object) = &mut value else {
        return Err(invalid("", "a record must be a JSON object"));
    };
    if let Some(given) = object.get("id")
        && given.as_str() != Some(id)
    {
        return Err(invalid(
            "id",
            "is assigned by the server; leave it out or give the id in the path",
        ));
    }
    object.insert("id".into(), Value::String(id.to_string()));
    object.insert("meta".into(), json!({"lastUpdated": now()}));
    if let Some(field) = patient_field(resource_type) {
        object.insert(
            field.into(),
            json!({"reference": format!("Patient/{patient}")}),
        );
    }
    for (i, note) in object
        .get("note")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if note["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
            return Err(invalid(&format!("note[{i}].text"), "is required"));
        }
    }
    validate::check_manual(resource_type, &value, chrono::Utc::now().date_naive())?;
    // The same gate as every other intake: typed-in records are R4 that passes the strict check.
    Ok(super::intake::admit(value, hearth_dstu3::FhirVersion::R4)?)
}

/// The manual source holding `type/id` in the profile, or why not.
async fn editable(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    scope: &ProfileScope,
    resource_type: &str,
    id: &str,
) -> Result<String, ManualError> {
    let rows = sqlx::query(
        "SELECT s.id, s.kind FROM resources r JOIN sources s ON s.id = r.source_id
         WHERE s.profile_id = ? AND r.resource_type = ? AND r.resource_id = ?
           AND NOT EXISTS (SELECT 1 FROM withheld w WHERE w.resource = r.id)",
    )
    .bind(scope.id())
    .bind(resource_type)
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let mut seen = false;
    for row in &rows {
        seen = true;
        if row.try_get::<String, _>("kind")? == "manual" {
            return Ok(row.try_get("id")?);
        }
    }
    if seen {
        Err(ManualError::NotEditable(resource_type.into(), id.into()))
    } else {
        Err(ManualError::NotFound(resource_type.into(), id.into()))
    }
}

/// Register the profile's typed-in source inside the caller's transaction,
/// so it exists only if what it holds is stored too.
async fn insert_local(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    profile: &str,
    kind: &'static str,
    name: &str,
) -> Result<String, sqlx::Error> {
    let id = crate::ids::new_id();
    sqlx::query(
        "INSERT INTO sources (id, profile_id, kind, name, connector, fhir_base_url, patient_id, token, status, created_at)
         VALUES (?, ?, ?, ?, '', '', '', x'', 'ok', ?)",
    )
    .bind(&id)
    .bind(profile)
    .bind(kind)
    .bind(name)
    .bind(chrono::Utc::now().to_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A typed-in record about to be taken out: its rows (a DocumentReference
/// takes its Binary along) and what it says, for the list of removals.
pub(crate) struct TypedInParts {
    /// Row ids of the record and what goes with it.
    pub rows: Vec<i64>,
    /// The record's display text.
    pub label: Option<String>,
}

/// The parts of the typed-in record `resource_type`/`id` of the profile
/// (not found, or `not-editable` when it came from elsewhere).
pub(crate) async fn typed_in_parts(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    scope: &ProfileScope,
    resource_type: &str,
    id: &str,
) -> Result<TypedInParts, ManualError> {
    let source = editable(tx, scope, resource_type, id).await?;
    let row = sqlx::query(
        "SELECT id, json, display FROM resources WHERE source_id = ? AND resource_type = ? AND resource_id = ?",
    )
    .bind(&source)
    .bind(resource_type)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let mut rows = vec![row.try_get::<i64, _>("id")?];
    if resource_type == "DocumentReference" {
        let json: String = row.try_get("json")?;
        let value: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        for content in value["content"].as_array().into_iter().flatten() {
            if let Some(binary) = content
                .pointer("/attachment/url")
                .and_then(Value::as_str)
                .and_then(|u| u.strip_prefix("Binary/"))
            {
                let binary: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM resources WHERE source_id = ? AND resource_type = 'Binary' AND resource_id = ?",
                )
                .bind(&source)
                .bind(binary)
                .fetch_optional(&mut **tx)
                .await?;
                rows.extend(binary);
            }
        }
    }
    Ok(TypedInParts {
        rows,
        label: row.try_get("display")?,
    })
}

/// A typed-in record replaced by an edit.
pub(crate) struct Edited {
    /// The record as stored now.
    pub value: Value,
    /// The stored text it had before.
    pub previous: String,
    /// Its title before.
    pub label: Option<String>,
}

/// Replace the typed-in record `resource_type`/`id` inside the caller's transaction.
pub(crate) async fn update_in(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    scope: &ProfileScope,
    resource_type: &str,
    id: &str,
    value: Value,
) -> Result<Edited, ManualError> {
    let source = editable(tx, scope, resource_type, id).await?;
    let (previous, label): (String, Option<String>) = sqlx::query_as(
        "SELECT json, display FROM resources WHERE source_id = ? AND resource_type = ? AND resource_id = ?",
    )
    .bind(&source)
    .bind(resource_type)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let (_, patient) = manual_source(tx, scope).await?;
    let value = prepare(resource_type, value, id, &patient)?;
    store_one(tx, &source, &value).await?;
    Ok(Edited {
        value,
        previous,
        label,
    })
}

/// Put back the text a typed-in record had before an edit (the edit undone).
pub(crate) async fn restore_in(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    scope: &ProfileScope,
    resource_type: &str,
    id: &str,
    previous: &str,
) -> Result<(), ManualError> {
    let source = editable(tx, scope, resource_type, id).await?;
    let parsed = parse(previous).map_err(|e| invalid("", &e.to_string()))?;
    upsert_in(tx, &source, &[parsed]).await?;
    Ok(())
}

impl RecordStore {
    /// Add a typed-in record; returns it as stored.
    pub async fn manual_create(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        value: Value,
    ) -> Result<Value, ManualError> {
        let mut tx = crate::db::write_tx(&self.db).await?;
        let (source, patient) = manual_source(&mut tx, scope).await?;
        let id = crate::ids::new_id();
        let value = prepare(resource_type, value, &id, &patient)?;
        store_one(&mut tx, &source, &value).await?;
        tx.commit().await?;
        tracing::info!(profile = %scope.id(), resource_type, id, "record added by hand");
        Ok(value)
    }

    /// Add a typed-in note to an Encounter, as a DocumentReference in its context.
    pub async fn manual_note(
        &self,
        scope: &ProfileScope,
        encounter: &str,
        text: &str,
    ) -> Result<Value, ManualError> {
        let text = text.trim();
        if text.is_empty() || text.len() > 100_000 {
            return Err(invalid("text", "must be 1-100000 characters"));
        }
        crate::text::check_text(text).map_err(|e| invalid("text", &e.to_string()))?;
        let mut tx = crate::db::write_tx(&self.db).await?;
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM resources WHERE profile_id = ? AND resource_type = 'Encounter' AND resource_id = ? LIMIT 1",
        )
        .bind(scope.id())
        .bind(encounter)
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_none() {
            return Err(ManualError::NotFound("Encounter".into(), encounter.into()));
        }
        let (source, patient) = manual_source(&mut tx, scope).await?;
        let id = crate::ids::new_id();
        use base64::Engine;
        let note = json!({
            "resourceType": "DocumentReference",
            "id": id,
            "meta": {"lastUpdated": now()},
            "status": "current",
            "type": {"coding": [{"system": "http://loinc.org", "code": "34109-9", "display": "Note"}], "text": "Note"},
            "subject": {"reference": format!("Patient/{patient}")},
            "date": now(),
            "description": text.chars().take(200).collect::<String>(),
            "content": [{"attachment": {
                "contentType": "text/plain; charset=utf-8",
                "data": base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
            }}],
            "context": {"encounter": [{"reference": format!("Encounter/{encounter}")}]},
        });
        store_one(&mut tx, &source, &note).await?;
        tx.commit().await?;
        Ok(note)
    }

    /// Store an attachment file as a Binary with a DocumentReference describing it.
    pub async fn attach(
        &self,
        files: &Files,
        scope: &ProfileScope,
        content_type: &str,
        title: &str,
        date: Option<&str>,
        bytes: &[u8],
    ) -> Result<Value, ManualError> {
        let Some((_, magic)) = ATTACHMENT_TYPES.iter().find(|(t, _)| *t == content_type) else {
            return Err(ManualError::Attachment(format!(
                "{content_type:?} is not accepted; attach {}",
                ATTACHMENT_TYPES
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let webp_ok = content_type != "image/webp" || bytes.get(8..12) == Some(b"WEBP");
        if !bytes.starts_with(magic) || !webp_ok {
            return Err(ManualError::Attachment(format!(
                "the file's content is not {content_type}"
            )));
        }
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(invalid("title", "must be 1-200 characters"));
        }
        crate::text::check_line(title).map_err(|e| invalid("title", &e.to_string()))?;
        if let Some(d) = date
            && !validate::is_date_time(d)
        {
            return Err(invalid("date", "must be a FHIR date or date-time"));
        }
        let sha = {
            let files = files.clone();
            let bytes = bytes.to_vec();
            tokio::task::spawn_blocking(move || files.put_attachment(&bytes))
                .await
                .map_err(std::io::Error::other)??
        };
        let mut tx = crate::db::write_tx(&self.db).await?;
        let (source, patient) = manual_source(&mut tx, scope).await?;
        let binary_id = crate::ids::new_id();
        let binary = json!({
            "resourceType": "Binary",
            "id": binary_id,
            "meta": {"lastUpdated": now()},
            "contentType": content_type,
            "securityContext": {"reference": format!("Patient/{patient}")},
        });
        store_one(&mut tx, &source, &binary).await?;
        let row: i64 = sqlx::query_scalar(
            "SELECT id FROM resources WHERE source_id = ? AND resource_type = 'Binary' AND resource_id = ?",
        )
        .bind(&source)
        .bind(&binary_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO attachments (resource, profile_id, content_type, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(row)
        .bind(scope.id())
        .bind(content_type)
        .bind(bytes.len() as i64)
        .bind(&sha)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let document = json!({
            "resourceType": "DocumentReference",
            "id": crate::ids::new_id(),
            "meta": {"lastUpdated": now()},
            "status": "current",
            "subject": {"reference": format!("Patient/{patient}")},
            "date": date.map(super::index::normalize_date).unwrap_or_else(now),
            "description": title,
            "content": [{"attachment": {
                "contentType": content_type,
                "url": format!("Binary/{binary_id}"),
                "size": bytes.len(),
                "title": title,
                "creation": now(),
            }}],
        });
        store_one(&mut tx, &source, &document).await?;
        tx.commit().await?;
        tracing::info!(profile = %scope.id(), binary = %binary_id, size = bytes.len(), content_type, "attachment stored");
        Ok(document)
    }

    /// The bytes and content type of a profile's Binary: its attachment file,
    /// or the `data` it carries inline (as providers send them).
    pub async fn attachment(
        &self,
        files: &Files,
        scope: &ProfileScope,
        id: &str,
    ) -> Result<Option<(String, Vec<u8>)>, ManualError> {
        let row = sqlx::query(
            "SELECT r.json, a.sha256, a.content_type FROM resources r LEFT JOIN attachments a ON a.resource = r.id
             WHERE r.profile_id = ? AND r.resource_type = 'Binary' AND r.resource_id = ?
             ORDER BY a.sha256 IS NULL LIMIT 1",
        )
        .bind(scope.id())
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if let Some(sha) = row.try_get::<Option<String>, _>("sha256")? {
            let files = files.clone();
            let bytes = tokio::task::spawn_blocking(move || files.read_attachment(&sha))
                .await
                .map_err(std::io::Error::other)??;
            return Ok(Some((row.try_get("content_type")?, bytes)));
        }
        let json: String = row.try_get("json")?;
        let value: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        use base64::Engine;
        let data = value["data"]
            .as_str()
            .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok());
        Ok(data.map(|bytes| {
            let ct = value["contentType"]
                .as_str()
                .unwrap_or("application/octet-stream")
                .to_string();
            (ct, bytes)
        }))
    }
}
