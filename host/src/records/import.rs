//! Uploads: a FHIR R4 Bundle (collection, transaction, batch, searchset or
//! document) or NDJSON, imported as a source of its own, all or nothing.
//!
//! The upload is spooled to disk first and read twice, streaming, so memory
//! holds one entry (plus a map of `urn:` full URLs), not the file. An entry
//! is noted as the byte span its resource takes in the file; the resource is
//! parsed from there, and an unchanged one's bytes are read from there again
//! for storage once the parsed value is gone, so even a large resource is
//! held whole only once at a time:
//! 1. check every entry and note the `Type/id` each `urn:uuid:` full URL
//!    names; the first bad entry stops the import, naming its index, path
//!    and reason, before anything is written;
//! 2. rewrite `urn:` references to `Type/id`, and store the entries in
//!    batches, a transaction each, into a hidden staging source that is
//!    published in one short transaction at the end ([`super::staging`]).
//!    Any failure deletes what was staged; nothing was ever shown.

use super::intake::{VersionBasis, VersionDetector, admit};
use super::validate::check_resource;
use super::{StoreError, staging, upsert_placed};
use crate::db::Db;
use hearth_dstu3::FhirVersion;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::rc::Rc;

/// Resources per write batch.
const BATCH: usize = 1000;
/// Longest NDJSON line (one resource).
const MAX_LINE: u64 = 64 << 20;
/// Bytes a Bundle entry (or the Bundle's own fields) may take while it is
/// read: a resource's limit plus room for the entry around it. Counted as
/// the parser consumes them, so a giant entry is refused before it is read whole.
const ENTRY_BUDGET: u64 = MAX_LINE + (2 << 20);
/// Bundle types an upload may be.
const BUNDLE_TYPES: &[&str] = &[
    "collection",
    "transaction",
    "batch",
    "searchset",
    "document",
];

/// What an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One FHIR Bundle (JSON).
    Bundle,
    /// One resource per line.
    Ndjson,
}

/// Why an upload was refused; nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not well-formed JSON (or not a Bundle where one is expected).
    #[error("{0}")]
    Malformed(String),
    /// An entry is not an acceptable resource.
    #[error("entry {index}{}: {path}: {reason}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Entry {
        /// 0-based position among the entries (Bundle) or resources (NDJSON).
        index: u64,
        /// 1-based line, for NDJSON.
        line: Option<u64>,
        /// Where in the entry (`entry[3].resource.code.coding[0].system`, or within the line's resource).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// There is nothing to import.
    #[error("the upload holds no resources")]
    Empty,
    /// The file is about someone else than the profile: nothing was stored.
    #[error("this file is about {}, not the person it was uploaded for", patient.name.as_deref().unwrap_or("someone else"))]
    DifferentPerson {
        /// Who the file is about.
        patient: super::person::Person,
        /// What differs from the profile.
        differences: Vec<super::person::Difference>,
    },
    /// Reading the spooled upload failed.
    #[error("reading the upload failed: {0}")]
    Io(#[from] std::io::Error),
    /// Storing failed; everything was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(StoreError::Db(e))
    }
}

/// What an import stored.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// The new source holding the upload.
    pub source_id: String,
    /// Resources stored (a type/id given twice counts once).
    pub resources: u64,
    /// Of which, per type.
    pub by_type: BTreeMap<String, u64>,
    /// The FHIR version the upload was read as (`4.0`, or `3.0` converted to R4).
    pub fhir_version: &'static str,
    /// Why that version: `declared`, `default`, or the DSTU3 shape found and where.
    pub version_basis: String,
}

/// Where an entry's resource lies in the upload, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    len: u64,
}

/// An upload that can be read from its start, and in parts.
trait Upload {
    /// The whole upload, from its first byte.
    fn whole(&self) -> std::io::Result<Box<dyn Read + '_>>;
    /// The bytes of `span`.
    fn part(&self, span: Span) -> std::io::Result<Box<dyn Read + '_>>;
}

impl Upload for [u8] {
    fn whole(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self))
    }

    fn part(&self, span: Span) -> std::io::Result<Box<dyn Read + '_>> {
        let start = usize::try_from(span.start).map_err(std::io::Error::other)?;
        let end = start.saturating_add(usize::try_from(span.len).map_err(std::io::Error::other)?);
        let bytes = self
            .get(start..end)
            .ok_or_else(|| std::io::Error::other("a part outside the upload"))?;
        Ok(Box::new(bytes))
    }
}

/// A spooled upload, opened once for its parts.
struct Spool {
    reader: crate::files::SpoolReader,
    file: std::fs::File,
}

impl Spool {
    fn open(reader: crate::files::SpoolReader) -> std::io::Result<Spool> {
        let file = reader.open()?;
        Ok(Spool { reader, file })
    }
}

impl Upload for Spool {
    fn whole(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.reader.open()?))
    }

    fn part(&self, span: Span) -> std::io::Result<Box<dyn Read + '_>> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(span.start))?;
        Ok(Box::new(file.take(span.len)))
    }
}

/// The resource of `item`, parsed from its bytes in the upload.
fn value_of(
    upload: &(impl Upload + ?Sized),
    item: &Item,
    format: Format,
) -> Result<Value, ImportError> {
    let part = upload.part(item.span)?;
    serde_json::from_reader(BufReader::with_capacity(64 << 10, part)).map_err(|e| {
        if e.is_io() {
            ImportError::Io(e.into())
        } else {
            item.error(format, "", format!("not valid JSON: {e}"))
        }
    })
}

/// The bytes of `span` as text, without the whitespace before the resource.
fn text_of(upload: &(impl Upload + ?Sized), span: Span) -> Result<String, ImportError> {
    let mut text = String::with_capacity(usize::try_from(span.len).unwrap_or(0));
    upload.part(span)?.read_to_string(&mut text)?;
    let lead = text.len() - text.trim_start().len();
    text.drain(..lead);
    Ok(text)
}

/// One entry as read from the upload.
struct Item {
    index: u64,
    line: Option<u64>,
    full_url: Option<String>,
    put_url: Option<String>,
    span: Span,
}

impl Item {
    /// Where the entry is, in the uploader's terms (`entry[3]`, `line 4`).
    fn place(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}"),
            None => format!("entry[{}]", self.index),
        }
    }

    fn error(&self, format: Format, path: &str, reason: impl Into<String>) -> ImportError {
        let path = match format {
            Format::Bundle if path.is_empty() => format!("entry[{}].resource", self.index),
            Format::Bundle => format!("entry[{}].resource.{path}", self.index),
            Format::Ndjson => path.to_string(),
        };
        ImportError::Entry {
            index: self.index,
            line: self.line,
            path,
            reason: reason.into(),
        }
    }
}

/// A Bundle entry's fields; its resource only as the span it takes.
#[derive(Default)]
struct RawEntry {
    full_url: Option<String>,
    resource: Option<Span>,
    request: Option<RawRequest>,
    search: Option<RawSearch>,
}

struct EntryFields(Rc<Position>);

impl<'de> Visitor<'de> for EntryFields {
    type Value = RawEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Bundle entry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEntry, A::Error> {
        let mut entry = RawEntry::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "fullUrl" => entry.full_url = map.next_value()?,
                "resource" => entry.resource = map.next_value_seed(SpanOf(self.0.clone()))?,
                "request" => entry.request = map.next_value()?,
                "search" => entry.search = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(entry)
    }
}

/// Skips a value, noting the span it took (`None` for `null`), without
/// holding it: `at` is the count of bytes the parser has consumed.
struct SpanOf(Rc<Position>);

impl<'de> DeserializeSeed<'de> for SpanOf {
    type Value = Option<Span>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Span>, D::Error> {
        let start = self.0.at.get();
        let present = d.deserialize_any(Skip)?;
        let end = self.0.at.get();
        Ok(present.then_some(Span {
            start,
            len: end - start,
        }))
    }
}

/// Reads past any value; false for `null`.
struct Skip;

impl<'de> Visitor<'de> for Skip {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a resource")
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(true)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(true)
    }
}

/// Counts the bytes a reader above it has taken. serde_json reads a byte at
/// a time, so the count is where the parser stands.
struct Counted<R> {
    inner: R,
    at: Rc<Position>,
}

/// Where the parser stands in a Bundle, and where the entry it reads began.
#[derive(Default)]
struct Position {
    at: Cell<u64>,
    entry_start: Cell<u64>,
}

impl Position {
    /// Bytes read since the current entry began (or the Bundle, before the first).
    fn in_entry(&self) -> u64 {
        self.at.get() - self.entry_start.get()
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.at.at.set(self.at.at.get() + n as u64);
        // A giant entry is refused as it streams in, before it is read whole.
        if self.at.in_entry() > ENTRY_BUDGET {
            return Err(std::io::Error::other("entry too large"));
        }
        Ok(n)
    }
}

#[derive(Deserialize)]
struct RawRequest {
    method: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawSearch {
    mode: Option<String>,
}

type OnItem<'f> = dyn FnMut(Item) -> Result<(), ImportError> + 'f;

/// Reads a Bundle's top level, handing each entry to `on_item` as it is read.
struct Sink<'f> {
    on_item: &'f mut OnItem<'f>,
    /// Where the parser stands.
    at: Rc<Position>,
    failure: Option<ImportError>,
    resource_type: Option<String>,
    bundle_type: Option<String>,
    entries: u64,
}

impl Sink<'_> {
    fn entry(&mut self, e: RawEntry) -> Result<(), ImportError> {
        let index = self.entries;
        self.entries += 1;
        let at = |path: &str, reason: &str| ImportError::Entry {
            index,
            line: None,
            path: format!("entry[{index}].{path}"),
            reason: reason.to_string(),
        };
        // A searchset's OperationOutcome about the search is not part of the record.
        if e.search.and_then(|s| s.mode).as_deref() == Some("outcome") {
            return Ok(());
        }
        let mut put_url = None;
        if let Some(request) = e.request {
            match request.method.as_deref() {
                None | Some("POST") => {}
                Some("PUT") => put_url = request.url,
                Some(_) => {
                    return Err(at(
                        "request.method",
                        "only POST and PUT entries can be imported",
                    ));
                }
            }
        }
        let span = e.resource.ok_or_else(|| at("resource", "is required"))?;
        // As for an NDJSON line: one resource may not be larger than this,
        // refused before it is parsed (each parse costs its size over).
        if span.len > MAX_LINE {
            return Err(at(
                "resource",
                &format!("is larger than {MAX_LINE} bytes, the most one resource may be"),
            ));
        }
        (self.on_item)(Item {
            index,
            line: None,
            full_url: e.full_url,
            put_url,
            span,
        })
    }
}

struct BundleVisitor<'s, 'f>(&'s mut Sink<'f>);

impl<'de> Visitor<'de> for BundleVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a FHIR Bundle object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "resourceType" => self.0.resource_type = Some(map.next_value()?),
                "type" => self.0.bundle_type = Some(map.next_value()?),
                "entry" => map.next_value_seed(Entries(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Entries<'s, 'f>(&'s mut Sink<'f>);

impl<'de> DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Entry(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct Entry<'s, 'f>(&'s mut Sink<'f>);

impl<'de> DeserializeSeed<'de> for Entry<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.at.entry_start.set(self.0.at.at.get());
        let entry = d.deserialize_map(EntryFields(self.0.at.clone()))?;
        self.0.entry(entry).map_err(|e| {
            // The real error travels beside serde's, which only stops the parse.
            self.0.failure = Some(e);
            serde::de::Error::custom("stopped")
        })
    }
}

/// Read every entry of the upload in order.
fn read_items(
    file: impl Read,
    format: Format,
    on_item: &mut OnItem<'_>,
) -> Result<(), ImportError> {
    match format {
        Format::Bundle => read_bundle(file, on_item),
        Format::Ndjson => read_ndjson(file, on_item),
    }
}

fn read_bundle(file: impl Read, on_item: &mut OnItem<'_>) -> Result<(), ImportError> {
    let at = Rc::new(Position::default());
    let mut sink = Sink {
        at: at.clone(),
        on_item,
        failure: None,
        resource_type: None,
        bundle_type: None,
        entries: 0,
    };
    let counted = Counted {
        inner: BufReader::with_capacity(1 << 20, file),
        at: at.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(counted);
    let parsed = de
        .deserialize_map(BundleVisitor(&mut sink))
        .and_then(|_| de.end());
    if let Some(failure) = sink.failure.take() {
        return Err(failure);
    }
    if at.in_entry() > ENTRY_BUDGET {
        let index = sink.entries;
        return Err(ImportError::Entry {
            index,
            line: None,
            path: format!("entry[{index}].resource"),
            reason: format!("is larger than {MAX_LINE} bytes, the most one resource may be"),
        });
    }
    parsed.map_err(|e| {
        ImportError::Malformed(format!(
            "not a well-formed JSON Bundle at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    match sink.resource_type.as_deref() {
        Some("Bundle") => {}
        Some(other) => {
            return Err(ImportError::Malformed(format!(
                "resourceType: expected Bundle, found {other:?}; upload single resources as NDJSON"
            )));
        }
        None => return Err(ImportError::Malformed("resourceType: is required".into())),
    }
    match sink.bundle_type.as_deref() {
        Some(t) if BUNDLE_TYPES.contains(&t) => Ok(()),
        Some(t) => Err(ImportError::Malformed(format!(
            "type: a {t:?} Bundle cannot be imported; use one of {}",
            BUNDLE_TYPES.join(", ")
        ))),
        None => Err(ImportError::Malformed("type: is required".into())),
    }
}

fn read_ndjson(file: impl Read, on_item: &mut OnItem<'_>) -> Result<(), ImportError> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let (mut number, mut index, mut offset) = (0u64, 0u64, 0u64);
    loop {
        line.clear();
        let at = |number: u64, reason: String| ImportError::Entry {
            index,
            line: Some(number),
            path: String::new(),
            reason,
        };
        let read = match (&mut reader).take(MAX_LINE + 1).read_line(&mut line) {
            Ok(read) => read,
            // A refusal in words with the line, not a server error.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(at(number + 1, "the line is not UTF-8 text".into()));
            }
            Err(e) => return Err(e.into()),
        };
        if read == 0 {
            return Ok(());
        }
        let line_start = offset;
        offset += read as u64;
        number += 1;
        let at = |reason: String| at(number, reason);
        if read as u64 > MAX_LINE {
            return Err(at(format!("the line is longer than {MAX_LINE} bytes")));
        }
        let content = line.trim();
        if content.is_empty() {
            continue;
        }
        let span = Span {
            start: line_start + (line.len() - line.trim_start().len()) as u64,
            len: content.len() as u64,
        };
        // A long line's buffer is let go before its resource is parsed.
        if line.capacity() > 1 << 20 {
            line = String::new();
        }
        on_item(Item {
            index,
            line: Some(number),
            full_url: None,
            put_url: None,
            span,
        })?;
        index += 1;
    }
}

/// The `Type/id` each entry is stored as, how many there are, and the version they are in.
struct Plan {
    urns: HashMap<String, String>,
    resources: u64,
    version: VersionDetector,
    /// The file's Patients, as a reference to each (`Patient/id`).
    patients: Vec<String>,
    /// Who those Patients are.
    people: Vec<super::person::Person>,
}

/// The id an entry is stored under: its own, else what its full URL or PUT
/// URL names, else one derived from its content (the same upload gives the
/// same ids).
fn entry_id(
    upload: &(impl Upload + ?Sized),
    item: &Item,
    resource_type: &str,
    value: &Value,
) -> Result<String, ImportError> {
    if let Some(id) = value["id"].as_str() {
        return Ok(id.to_string());
    }
    let named = item
        .full_url
        .as_deref()
        .and_then(|u| u.strip_prefix("urn:uuid:"))
        .or_else(|| {
            item.put_url
                .as_deref()
                .and_then(|u| u.strip_prefix(resource_type)?.strip_prefix('/'))
        })
        .filter(|id| super::is_fhir_id(id));
    Ok(match named {
        Some(id) => id.to_string(),
        None => {
            // The entry's bytes as written (without the whitespace before them).
            let mut digest = Sha256::new().chain_update(item.index.to_le_bytes());
            let mut part = BufReader::new(upload.part(item.span)?);
            let mut started = false;
            loop {
                let chunk = part.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                let n = chunk.len();
                let from = if started {
                    0
                } else {
                    chunk
                        .iter()
                        .position(|b| !b.is_ascii_whitespace())
                        .unwrap_or(n)
                };
                started |= from < n;
                digest.update(&chunk[from..]);
                part.consume(n);
            }
            hex::encode(&digest.finalize()[..16])
        }
    })
}

/// Pass 1: check every entry's shape; note what each `urn:` full URL stands
/// for and which FHIR version the file is in.
fn plan(
    upload: &(impl Upload + ?Sized),
    format: Format,
    declared: Option<FhirVersion>,
) -> Result<Plan, ImportError> {
    let mut plan = Plan {
        urns: HashMap::new(),
        resources: 0,
        version: VersionDetector::new(declared),
        patients: Vec::new(),
        people: Vec::new(),
    };
    read_items(upload.whole()?, format, &mut |item: Item| {
        let value = value_of(upload, &item, format)?;
        check_resource(&value).map_err(|bad| item.error(format, &bad.path, bad.reason))?;
        plan.version.observe(&value, || item.place());
        let resource_type = value["resourceType"].as_str().unwrap_or_default();
        let id = entry_id(upload, &item, resource_type, &value)?;
        if let Some(url) = item.full_url.as_deref().filter(|u| u.starts_with("urn:")) {
            plan.urns
                .insert(url.to_string(), format!("{resource_type}/{id}"));
        }
        if resource_type == "Patient" && plan.patients.len() < 2 {
            plan.patients.push(format!("Patient/{id}"));
            plan.people
                .push(super::person::Person::from_patient(&value));
        }
        plan.resources += 1;
        Ok(())
    })?;
    if plan.resources == 0 {
        return Err(ImportError::Empty);
    }
    Ok(plan)
}

/// Point `urn:` references at the `Type/id` they were given in this upload.
fn rewrite_references(value: &mut Value, urns: &HashMap<String, String>, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    let mut changed = false;
    match value {
        Value::Object(o) => {
            for (key, v) in o.iter_mut() {
                match v {
                    Value::String(s) if key == "reference" => {
                        if let Some(target) = urns.get(s.as_str()) {
                            *s = target.clone();
                            changed = true;
                        }
                    }
                    _ => changed |= rewrite_references(v, urns, depth + 1),
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                changed |= rewrite_references(v, urns, depth + 1);
            }
        }
        _ => {}
    }
    changed
}

/// Pass 2's reading half: entries admitted (converted to R4 when the file
/// is DSTU3, checked strictly) and ready to store, in batches. A refused
/// entry stops the import; what was written is rolled back.
fn prepare(
    upload: &(impl Upload + ?Sized),
    format: Format,
    version: FhirVersion,
    patient: Option<&str>,
    urns: &HashMap<String, String>,
    send: &mut dyn FnMut(Vec<super::Parsed>) -> bool,
) -> Result<(), ImportError> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut stopped = false;
    read_items(upload.whole()?, format, &mut |item: Item| {
        if stopped {
            return Ok(());
        }
        let mut value = value_of(upload, &item, format)?;
        let resource_type = value["resourceType"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // R4 requires a Goal's subject, DSTU3 does not: a one-patient file's goals are that patient's.
        if version == FhirVersion::Dstu3
            && resource_type == "Goal"
            && value.get("subject").is_none()
            && let (Some(patient), Value::Object(o)) = (patient, &mut value)
        {
            o.insert(
                "subject".into(),
                serde_json::json!({ "reference": patient }),
            );
        }
        let mut changed = rewrite_references(&mut value, urns, 0);
        if value.get("id").is_none() {
            let id = entry_id(upload, &item, &resource_type, &value)?;
            if let Value::Object(o) = &mut value {
                o.insert("id".into(), Value::String(id));
                changed = true;
            }
        }
        let value =
            admit(value, version).map_err(|bad| item.error(format, &bad.path, bad.reason))?;
        let invalid = |e: super::InvalidResource| item.error(format, "", e.to_string());
        let parsed = if changed || version != FhirVersion::R4 {
            super::parse_value(value.to_string(), &value).map_err(invalid)?
        } else {
            // An R4 entry nobody changed is stored as the bytes it came as,
            // read from the upload once its parsed value is gone.
            let described = super::describe(&value).map_err(invalid)?;
            drop(value);
            described.with_json(text_of(upload, item.span)?)
        };
        batch.push(parsed);
        if batch.len() == BATCH && !send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))) {
            stopped = true;
        }
        Ok(())
    })?;
    if !batch.is_empty() && !stopped {
        send(batch);
    }
    Ok(())
}

/// Import a spooled upload into `profile` as a new source named `name`.
/// With `expected`, a file whose Patient is clearly someone else is refused
/// before anything is stored ([`ImportError::DifferentPerson`]).
pub async fn import(
    db: &Db,
    scope: &crate::auth::ProfileScope,
    expected: Option<&super::person::Person>,
    name: &str,
    format: Format,
    declared: Option<FhirVersion>,
    upload: &crate::files::Spooled,
) -> Result<ImportSummary, ImportError> {
    let profile = scope.id();
    let first = upload.reader();
    let plan = tokio::task::spawn_blocking(move || plan(&Spool::open(first)?, format, declared))
        .await
        .map_err(|e| ImportError::Io(std::io::Error::other(e)))??;
    if let Some(expected) = expected {
        for person in &plan.people {
            let differences = expected.differences(person);
            if !differences.is_empty() {
                tracing::info!(
                    profile,
                    ?differences,
                    "upload refused: about another person"
                );
                return Err(ImportError::DifferentPerson {
                    patient: person.clone(),
                    differences,
                });
            }
        }
    }
    let second = upload.reader();
    let (tx_batches, mut batches) = tokio::sync::mpsc::channel::<Vec<super::Parsed>>(2);
    let urns = plan.urns;
    let version = plan.version.version();
    let patient = match plan.patients.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    };
    let reader = tokio::task::spawn_blocking(move || {
        prepare(
            &Spool::open(second)?,
            format,
            version,
            patient.as_deref(),
            &urns,
            &mut |batch| tx_batches.blocking_send(batch).is_ok(),
        )
    });
    // Staged in a batch per transaction, so other writes go in between, and
    // shown all at once when every entry is in.
    let source_id = staging::begin(db, "import", name).await?;
    let guard = staging::Guard::new(db, &source_id);
    let shown = staging::placeholder(&source_id);
    let place = super::Placement {
        shown: Some(&shown),
        matched: Some(profile),
    };
    let written: Result<(), ImportError> = async {
        while let Some(batch) = batches.recv().await {
            let mut tx = crate::db::write_tx(db).await?;
            upsert_placed(&mut tx, &source_id, &batch, place).await?;
            tx.commit().await?;
        }
        Ok(())
    }
    .await;
    // A failed write stops the reader: closing the channel fails its next
    // send. Until it is closed a reader blocked on a full channel waits forever.
    drop(batches);
    // Its own error, if any, comes first.
    let read = reader
        .await
        .map_err(|e| ImportError::Io(std::io::Error::other(e)))?;
    if let Err(e) = read.and(written) {
        drop(guard);
        return Err(e);
    }
    staging::publish(db, &source_id, profile).await?;
    guard.disarm();
    // The same type/id twice is stored once: count what the source now holds.
    let by_type: BTreeMap<String, u64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT resource_type, COUNT(*) FROM resources WHERE source_id = ? GROUP BY resource_type",
    )
    .bind(&source_id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|(ty, n)| (ty, n as u64))
    .collect();
    let resources: u64 = by_type.values().sum();
    super::RecordStore::new(db.clone()).reindex_stale().await?;
    crate::db::optimize(db).await;
    let version_basis = match plan.version.basis() {
        VersionBasis::Declared => "declared".to_string(),
        VersionBasis::Default => "default".to_string(),
        VersionBasis::Detected(evidence) => evidence.clone(),
    };
    let fhir_version = version.number();
    tracing::info!(source = %source_id, profile, resources, fhir_version, basis = %version_basis, "upload imported");
    Ok(ImportSummary {
        source_id,
        resources,
        by_type,
        fhir_version,
        version_basis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(text: &str, format: Format) -> Result<Plan, ImportError> {
        plan(text.as_bytes(), format, None)
    }

    fn entry_error(text: &str, format: Format) -> (u64, Option<u64>, String, String) {
        match planned(text, format) {
            Err(ImportError::Entry {
                index,
                line,
                path,
                reason,
            }) => (index, line, path, reason),
            other => panic!(
                "expected an entry error, got {:?}",
                other.map(|p| p.resources)
            ),
        }
    }

    #[test]
    fn bundle_entries_are_checked_with_their_index_and_path() {
        let bundle = r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"Patient","id":"p"}},
            {"resource":{"resourceType":"Observation","id":"o","effectiveDateTime":"2020-02-30"}}]}"#;
        let (index, line, path, reason) = entry_error(bundle, Format::Bundle);
        assert_eq!((index, line), (1, None));
        assert_eq!(path, "entry[1].resource.effectiveDateTime");
        assert!(!reason.is_empty());
        let delete = r#"{"resourceType":"Bundle","type":"transaction","entry":[
            {"request":{"method":"DELETE","url":"Patient/p"}}]}"#;
        let (_, _, path, _) = entry_error(delete, Format::Bundle);
        assert_eq!(path, "entry[0].request.method");
        let missing =
            r#"{"resourceType":"Bundle","type":"batch","entry":[{"fullUrl":"urn:uuid:1"}]}"#;
        let (_, _, path, reason) = entry_error(missing, Format::Bundle);
        assert_eq!(
            (path.as_str(), reason.as_str()),
            ("entry[0].resource", "is required")
        );
    }

    #[test]
    fn the_bundle_itself_must_be_an_importable_bundle() {
        for (text, expected) in [
            (r#"{"resourceType":"Patient","id":"p"}"#, "expected Bundle"),
            (
                r#"{"resourceType":"Bundle","type":"history","entry":[]}"#,
                "history",
            ),
            (
                r#"{"resourceType":"Bundle","entry":[]}"#,
                "type: is required",
            ),
            (
                r#"{"resourceType":"Bundle","type":"collection","entry":[] "#,
                "line 1",
            ),
            (r#"[1,2]"#, "a FHIR Bundle object"),
            (
                r#"{"resourceType":"Bundle","type":"collection"} trailing"#,
                "trailing",
            ),
        ] {
            match planned(text, Format::Bundle) {
                Err(ImportError::Malformed(m)) => assert!(m.contains(expected), "{m}"),
                other => panic!("{text}: {:?}", other.map(|p| p.resources)),
            }
        }
        assert!(matches!(
            planned(
                r#"{"resourceType":"Bundle","type":"collection","entry":[]}"#,
                Format::Bundle
            ),
            Err(ImportError::Empty)
        ));
    }

    #[test]
    fn one_oversized_resource_in_a_bundle_is_refused_as_in_ndjson() {
        // Issue 15, item 9: one 200 MB string cost ~9 times its size in memory.
        let huge = "x".repeat(MAX_LINE as usize + 1);
        let text = format!(
            r#"{{"resourceType":"Bundle","type":"collection","entry":[
                {{"resource":{{"resourceType":"Patient","id":"p"}}}},
                {{"resource":{{"resourceType":"Binary","id":"b","data":"{huge}"}}}}]}}"#
        );
        let (index, _, path, reason) = entry_error(&text, Format::Bundle);
        assert_eq!((index, path.as_str()), (1, "entry[1].resource"));
        assert!(reason.contains("larger than"), "{reason}");
    }

    #[test]
    fn a_giant_entry_is_refused_while_it_streams_in_not_after() {
        // 200 MB of one string, made as it is read: the reader must stop
        // about one resource's limit in, never buffering the whole entry.
        struct Giant<'a> {
            head: &'static [u8],
            left: u64,
            served: &'a Cell<u64>,
        }
        impl Read for Giant<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = if !self.head.is_empty() {
                    let n = self.head.len().min(buf.len());
                    buf[..n].copy_from_slice(&self.head[..n]);
                    self.head = &self.head[n..];
                    n
                } else {
                    let n = (self.left.min(buf.len() as u64)) as usize;
                    buf[..n].fill(b'Q');
                    self.left -= n as u64;
                    n
                };
                self.served.set(self.served.get() + n as u64);
                Ok(n)
            }
        }
        struct GiantUpload(Cell<u64>);
        impl Upload for GiantUpload {
            fn whole(&self) -> std::io::Result<Box<dyn Read + '_>> {
                Ok(Box::new(Giant {
                    head: br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p"}},{"resource":{"resourceType":"Binary","id":"b","data":""#,
                    left: 200 << 20,
                    served: &self.0,
                }))
            }
            fn part(&self, _: Span) -> std::io::Result<Box<dyn Read + '_>> {
                // Only the small Patient is ever read back.
                Ok(Box::new(&br#"{"resourceType":"Patient","id":"p"}"#[..]))
            }
        }
        let giant = GiantUpload(Cell::new(0));
        let result = plan(&giant, Format::Bundle, None);
        match result {
            Err(ImportError::Entry {
                index,
                path,
                reason,
                ..
            }) => {
                assert_eq!((index, path.as_str()), (1, "entry[1].resource"));
                assert!(reason.contains("larger than"), "{reason}");
            }
            other => panic!(
                "expected the entry refused, got {:?}",
                other.map(|p| p.resources)
            ),
        }
        // The readers' buffers let it run a few MiB past the budget, not to the end.
        assert!(
            giant.0.get() <= ENTRY_BUDGET + (8 << 20),
            "read {} bytes of a 200 MB entry before refusing it",
            giant.0.get()
        );
    }

    #[test]
    fn ndjson_lines_are_numbered_and_blank_lines_skipped() {
        let text = "{\"resourceType\":\"Patient\",\"id\":\"p\"}\n\n{\"resourceType\":\"Observation\",\"id\":\"o/1\"}\n";
        let (index, line, path, _) = entry_error(text, Format::Ndjson);
        assert_eq!((index, line, path.as_str()), (1, Some(3), "id"));
        let (index, line, _, reason) = entry_error("{\"resourceType\":\n", Format::Ndjson);
        assert_eq!((index, line), (0, Some(1)));
        assert!(reason.starts_with("not valid JSON"), "{reason}");
        let ok = planned(
            "{\"resourceType\":\"Patient\",\"id\":\"p\"}\r\n",
            Format::Ndjson,
        )
        .unwrap();
        assert_eq!(ok.resources, 1);
    }

    #[test]
    fn urn_references_resolve_to_the_ids_entries_are_stored_under() {
        let bundle = r#"{"resourceType":"Bundle","type":"transaction","entry":[
            {"fullUrl":"urn:uuid:11111111-2222-3333-4444-555555555555",
             "resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
            {"fullUrl":"urn:uuid:aaaa","resource":{"resourceType":"Observation","id":"obs1",
             "status":"final","code":{"text":"Weight"},
             "subject":{"reference":"urn:uuid:11111111-2222-3333-4444-555555555555"}}},
            {"resource":{"resourceType":"Condition","subject":{"reference":"Patient/x"}},
             "request":{"method":"PUT","url":"Condition/c9"}}]}"#;
        let p = planned(bundle, Format::Bundle).unwrap();
        assert_eq!(p.resources, 3);
        let mut stored = Vec::new();
        prepare(
            bundle.as_bytes(),
            Format::Bundle,
            FhirVersion::R4,
            None,
            &p.urns,
            &mut |batch| {
                stored.extend(batch);
                true
            },
        )
        .unwrap();
        let ids: Vec<(&str, &str)> = stored
            .iter()
            .map(|r| (r.resource_type.as_str(), r.id.as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("Patient", "11111111-2222-3333-4444-555555555555"),
                ("Observation", "obs1"),
                ("Condition", "c9")
            ]
        );
        assert_eq!(
            stored[1].index.refs,
            vec![(
                "Patient".to_string(),
                "11111111-2222-3333-4444-555555555555".to_string()
            )]
        );
    }

    #[tokio::test]
    async fn a_write_failing_mid_upload_ends_the_import_and_leaves_nothing() {
        // A full disk fails a batch while the reader has more queued: the
        // import must end with the error, not wait on the reader for ever.
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let files = crate::files::Files::open(dir.path()).unwrap();
        sqlx::query(
            "CREATE TRIGGER full_disk BEFORE INSERT ON resources WHEN NEW.resource_id = 'o1500'
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
        )
        .execute(&db)
        .await
        .unwrap();
        let mut ndjson = String::new();
        for i in 0..8000 {
            ndjson.push_str(&format!(
                r#"{{"resourceType":"Observation","id":"o{i}","status":"final","code":{{"text":"Note {i}"}}}}"#
            ));
            ndjson.push('\n');
        }
        let body =
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(ndjson))]);
        let spooled = files.spool(body, u64::MAX).await.unwrap();
        let outcome = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            import(
                &db,
                &crate::auth::ProfileScope::for_tests("p"),
                None,
                "upload",
                Format::Ndjson,
                None,
                &spooled,
            ),
        )
        .await
        .expect("the import ends instead of hanging");
        let Err(error) = outcome else {
            panic!("the failed write is reported");
        };
        let error = error.to_string();
        assert!(error.contains("disk is full"), "{error}");
        // What was staged is discarded in the background; it was never shown.
        let mut left = i64::MAX;
        for _ in 0..100 {
            left = sqlx::query_scalar("SELECT COUNT(*) FROM resources")
                .fetch_one(&db)
                .await
                .unwrap();
            if left == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(left, 0, "nothing staged is left behind");
    }
}
