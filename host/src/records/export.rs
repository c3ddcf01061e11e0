//! Export: a profile's shown records (duplicates from other sources are
//! left out: their canonical copy stands for them) as one FHIR Bundle, as
//! NDJSON per type in the Bulk Data layout, as an International Patient
//! Summary document, or as a zip of the NDJSON files with the attachment
//! files. Large outputs are streamed page by page, never built in memory.

use super::search::Cursor;
use super::{RecordStore, StoreError};
use crate::auth::ProfileScope;
use crate::files::Files;
use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashMap;
use std::io::Write;
use tokio::sync::mpsc::Sender;

/// Resources per page read.
const PAGE: i64 = 500;
/// Output chunk size sent down the response.
const CHUNK: usize = 256 << 10;

/// Where streamed output goes: the response body.
pub type Out = Sender<Result<Bytes, std::io::Error>>;

/// One exported resource.
#[derive(Debug)]
struct ExportRow {
    row: i64,
    resource_type: String,
    id: String,
    json: String,
}

/// A stable `urn:uuid:` for a resource (the same resource, the same URN).
pub fn urn_for(resource_type: &str, id: &str) -> String {
    let d = Sha256::digest(format!("hearth:{resource_type}/{id}").as_bytes());
    let mut b: [u8; 16] = [0; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50; // name-based
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

impl RecordStore {
    /// The types a profile holds, with counts, by name.
    pub async fn export_types(
        &self,
        scope: &ProfileScope,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT resource_type, COUNT(*) FROM resources WHERE profile_id = ? GROUP BY resource_type ORDER BY resource_type",
        )
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?;
        Ok(rows.into_iter().map(|(t, n)| (t, n as u64)).collect())
    }

    /// One page of a type, newest first, after `cursor`.
    async fn export_page(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        cursor: Option<&Cursor>,
    ) -> Result<(Vec<ExportRow>, Option<Cursor>), StoreError> {
        // Two static statements rather than `(? IS NULL OR …)`, which would
        // keep SQLite from starting the range at the cursor: every page would
        // rescan the type from its newest row.
        let rows = match cursor {
            None => sqlx::query(
                "SELECT id, sort_key, resource_type, resource_id, json FROM resources
                 WHERE profile_id = ?1 AND resource_type = ?2
                 ORDER BY sort_key DESC, id DESC LIMIT ?3",
            )
            .bind(scope.id())
            .bind(resource_type)
            .bind(PAGE),
            Some(c) => sqlx::query(
                "SELECT id, sort_key, resource_type, resource_id, json FROM resources
                 WHERE profile_id = ?1 AND resource_type = ?2 AND (sort_key, id) < (?4, ?5)
                 ORDER BY sort_key DESC, id DESC LIMIT ?3",
            )
            .bind(scope.id())
            .bind(resource_type)
            .bind(PAGE)
            .bind(c.key.clone())
            .bind(c.id),
        }
        .fetch_all(&self.db)
        .await?;
        let next = match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => Some(Cursor {
                key: last.try_get("sort_key")?,
                id: last.try_get("id")?,
            }),
            _ => None,
        };
        let out = rows
            .iter()
            .map(|r| {
                Ok(ExportRow {
                    row: r.try_get("id")?,
                    resource_type: r.try_get("resource_type")?,
                    id: r.try_get("resource_id")?,
                    json: r.try_get("json")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((out, next))
    }

    /// Attachment files of Binary rows: row → (sha256, content type).
    async fn attachment_files(
        &self,
        rows: &[ExportRow],
    ) -> Result<HashMap<i64, (String, String)>, StoreError> {
        let binaries: Vec<i64> = rows
            .iter()
            .filter(|r| r.resource_type == "Binary")
            .map(|r| r.row)
            .collect();
        let mut out = HashMap::new();
        for id in binaries {
            if let Some((sha, ct)) = sqlx::query_as::<_, (String, String)>(
                "SELECT sha256, content_type FROM attachments WHERE resource = ?",
            )
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            {
                out.insert(id, (sha, ct));
            }
        }
        Ok(out)
    }

    /// Every page of every type (or of one), in turn.
    async fn for_each_page(
        &self,
        scope: &ProfileScope,
        only: Option<&str>,
        mut each: impl AsyncPage,
    ) -> Result<(), ExportError> {
        let types: Vec<String> = match only {
            Some(t) => vec![t.to_string()],
            None => self
                .export_types(scope)
                .await?
                .into_iter()
                .map(|(t, _)| t)
                .collect(),
        };
        for ty in types {
            let mut cursor = None;
            loop {
                let (rows, next) = self.export_page(scope, &ty, cursor.as_ref()).await?;
                let files = self.attachment_files(&rows).await?;
                each.page(&ty, rows, files).await?;
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        Ok(())
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An attachment file is missing or unreadable.
    #[error("attachment file: {0}")]
    Io(#[from] std::io::Error),
    /// The client went away.
    #[error("the client stopped reading")]
    Gone,
    /// Building the zip failed.
    #[error("zip: {0}")]
    Zip(String),
}

/// Something that takes pages in turn (a hand-written async closure).
trait AsyncPage {
    async fn page(
        &mut self,
        resource_type: &str,
        rows: Vec<ExportRow>,
        files: HashMap<i64, (String, String)>,
    ) -> Result<(), ExportError>;
}

/// Buffers output and sends it in chunks.
struct Chunked {
    out: Out,
    buf: Vec<u8>,
}

impl Chunked {
    fn new(out: Out) -> Self {
        Chunked {
            out,
            buf: Vec::with_capacity(CHUNK + (64 << 10)),
        }
    }

    async fn push(&mut self, bytes: &[u8]) -> Result<(), ExportError> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ExportError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK + (64 << 10)),
        ));
        self.out
            .send(Ok(chunk))
            .await
            .map_err(|_| ExportError::Gone)
    }
}

/// A Binary's JSON with its attachment bytes inlined as `data`.
fn with_data(files: &Files, json: &str, sha: &str) -> Result<String, ExportError> {
    let bytes = files.read_attachment(sha)?;
    let mut value: Value =
        serde_json::from_str(json).map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
    value["data"] = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    Ok(value.to_string())
}

/// Writes entries as they are read: Bundle entries, or NDJSON lines.
struct EntryWriter<'a> {
    out: Chunked,
    files: &'a Files,
    /// `Some(first)` for Bundle entries (whether none was written yet), `None` for NDJSON.
    bundle: Option<bool>,
}

impl AsyncPage for EntryWriter<'_> {
    async fn page(
        &mut self,
        _: &str,
        rows: Vec<ExportRow>,
        attachments: HashMap<i64, (String, String)>,
    ) -> Result<(), ExportError> {
        for r in rows {
            let json = match attachments.get(&r.row) {
                Some((sha, _)) => with_data(self.files, &r.json, sha)?,
                None if self.bundle.is_none() => compact(&r.json),
                None => r.json,
            };
            match &mut self.bundle {
                Some(first) => {
                    let sep = if std::mem::take(first) { "" } else { "," };
                    let head = format!(
                        "{sep}\n{{\"fullUrl\":\"{}\",\"resource\":",
                        urn_for(&r.resource_type, &r.id)
                    );
                    self.out.push(head.as_bytes()).await?;
                    self.out.push(json.as_bytes()).await?;
                    self.out.push(b"}").await?;
                }
                None => {
                    self.out.push(json.as_bytes()).await?;
                    self.out.push(b"\n").await?;
                }
            }
        }
        Ok(())
    }
}

/// Stream the profile as one `collection` Bundle; Binary attachments are inlined.
pub async fn bundle(
    store: &RecordStore,
    files: &Files,
    scope: &ProfileScope,
    out: Out,
) -> Result<(), ExportError> {
    let mut w = EntryWriter {
        out: Chunked::new(out),
        files,
        bundle: Some(true),
    };
    let head = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": super::index::format_instant(chrono::Utc::now()),
    })
    .to_string();
    // The object is opened by hand so entries can follow as they are read.
    let head = format!("{},\"entry\":[", head.trim_end_matches('}'));
    w.out.push(head.as_bytes()).await?;
    store.for_each_page(scope, None, &mut w).await?;
    w.out.push(b"\n]}\n").await?;
    w.out.flush().await
}

impl<T: AsyncPage> AsyncPage for &mut T {
    async fn page(
        &mut self,
        resource_type: &str,
        rows: Vec<ExportRow>,
        files: HashMap<i64, (String, String)>,
    ) -> Result<(), ExportError> {
        (**self).page(resource_type, rows, files).await
    }
}

/// NDJSON needs one line per resource: stored JSON is verbatim and may span lines.
fn compact(json: &str) -> String {
    if json.contains('\n') || json.contains('\r') {
        serde_json::from_str::<Value>(json)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| json.replace(['\n', '\r'], " "))
    } else {
        json.to_string()
    }
}

/// Stream one type as NDJSON (a Bulk Data output file).
pub async fn ndjson(
    store: &RecordStore,
    files: &Files,
    scope: &ProfileScope,
    resource_type: &str,
    out: Out,
) -> Result<(), ExportError> {
    let mut w = EntryWriter {
        out: Chunked::new(out),
        files,
        bundle: None,
    };
    store
        .for_each_page(scope, Some(resource_type), &mut w)
        .await?;
    w.out.flush().await
}

/// A `Write` that hands bytes to the response from a blocking thread.
struct ChannelWriter {
    out: Out,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.out
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

/// Stream a zip: `manifest.json`, one `{Type}.ndjson` per type (Binary
/// without inline data) and `attachments/{Binary id}` files.
pub async fn zip(
    store: &RecordStore,
    files: &Files,
    scope: &ProfileScope,
    out: Out,
) -> Result<(), ExportError> {
    let types = store.export_types(scope).await?;
    let store = store.clone();
    let files = files.clone();
    let scope = scope.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let zip_err = |e: zip::result::ZipError| ExportError::Zip(e.to_string());
        let mut zip = zip::ZipWriter::new_stream(ChannelWriter {
            out,
            buf: Vec::new(),
        });
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        let manifest = json!({
            "transactionTime": super::index::format_instant(chrono::Utc::now()),
            "output": types.iter().map(|(t, n)| json!({"type": t, "url": format!("{t}.ndjson"), "count": n})).collect::<Vec<_>>(),
            "attachments": "attachments/",
        });
        zip.start_file("manifest.json", options).map_err(zip_err)?;
        zip.write_all(serde_json::to_string_pretty(&manifest).unwrap_or_default().as_bytes())?;
        let mut attachments: Vec<(String, String, String)> = Vec::new();
        for (ty, _) in &types {
            zip.start_file(format!("{ty}.ndjson"), options).map_err(zip_err)?;
            let mut cursor = None;
            loop {
                let (rows, next) = handle.block_on(store.export_page(&scope, ty, cursor.as_ref()))?;
                let found = handle.block_on(store.attachment_files(&rows))?;
                for r in rows {
                    if let Some((sha, ct)) = found.get(&r.row) {
                        attachments.push((r.id.clone(), sha.clone(), ct.clone()));
                    }
                    zip.write_all(compact(&r.json).as_bytes())?;
                    zip.write_all(b"\n")?;
                }
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        for (id, sha, content_type) in attachments {
            let name = format!("attachments/{id}{}", extension(&content_type));
            zip.start_file(name, options.large_file(false)).map_err(zip_err)?;
            zip.write_all(&files.read_attachment(&sha)?)?;
        }
        let mut inner = zip.finish().map_err(zip_err)?.into_inner();
        inner.flush()?;
        Ok(())
    })
    .await
    .map_err(|e| ExportError::Io(std::io::Error::other(e)))?
}

/// A file name extension for a content type.
pub fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => ".pdf",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "image/heic" => ".heic",
        "image/tiff" => ".tiff",
        "text/plain" => ".txt",
        _ => ".bin",
    }
}
