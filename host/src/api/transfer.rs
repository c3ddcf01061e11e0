//! Uploads and exports: `POST …/imports` (a Bundle or NDJSON becomes a new
//! source), `GET …/export` (Bundle, NDJSON manifest, IPS or zip) and
//! `GET …/export/ndjson/{type}`.

use super::extract::{Access, Edit, Read};
use super::openapi::{
    BadRequest, Binary, FhirBundle, NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType,
};
use super::{ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::records::person::Person;
use crate::records::{export, import, ips, is_type_name};
use crate::sources::Source;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_dstu3::FhirVersion;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The transfer routes' description.
#[derive(OpenApi)]
#[openapi(
    paths(upload, export, export_ndjson),
    // Named by a query parameter, which utoipa does not collect from.
    components(schemas(ExportFormat))
)]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/imports", upload)
        .get("/profiles/{profile}/export", export)
        .get("/profiles/{profile}/export/ndjson/{type}", export_ndjson)
}

/// Query of `POST …/imports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct UploadParams {
    /// Name of the new source (default: from the file's name, else "Upload <date>").
    name: Option<String>,
    /// Store it even though the file's patient is not this profile's person
    /// (after a `different-person` answer).
    confirm_person: Option<bool>,
    /// Convert the file with this importer plugin first (any media type it
    /// reads); what it produces is checked and stored exactly as an upload.
    importer: Option<String>,
}

/// The media type without parameters, lowercased.
pub(super) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The `fhirVersion` parameter of the media type (`application/fhir+json; fhirVersion=3.0`), if given.
fn declared_version(headers: &HeaderMap) -> Result<Option<FhirVersion>, Problem> {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    for param in value.split(';').skip(1) {
        let Some((key, v)) = param.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("fhirversion") {
            let v = v.trim().trim_matches('"');
            return FhirVersion::parse(v).map(Some).ok_or_else(|| {
                Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    format!("fhirVersion={v:?}: Hearth reads FHIR R4 (4.0) and DSTU3 (3.0)"),
                )
            });
        }
    }
    Ok(None)
}

/// What an upload stored.
#[derive(Serialize, ToSchema)]
struct ImportAnswer {
    /// The new source holding the upload.
    source: Source,
    /// Resources stored (a type/id given twice counts once).
    resources: u64,
    /// Of which, per type.
    by_type: BTreeMap<String, u64>,
    /// The FHIR version the upload was read as: `4.0`, or `3.0` (converted to R4 before it was stored).
    fhir_version: String,
    /// Why: `declared` (the media type's `fhirVersion`), `default`, or the DSTU3-only shape found and where.
    version_basis: String,
    /// With `importer`: parts of the document it could not convert, in its words.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    warnings: Vec<String>,
}

/// Upload a FHIR Bundle or NDJSON; it becomes a new source of the profile.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/imports",
    tag = "transfer",
    operation_id = "import_upload",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), UploadParams),
    request_body(
        description = "A FHIR Bundle (`application/fhir+json` or `application/json`), or one resource per line \
            (`application/fhir+ndjson`, `application/ndjson`, `application/x-ndjson`). R4, or DSTU3 converted to R4: \
            a `fhirVersion` media-type parameter (`3.0`, `4.0`) decides, else a DSTU3-only shape in any resource. \
            Every resource must pass the strict R4 check.",
        content(
            (FhirBundle = "application/fhir+json"),
            (FhirBundle = "application/json"),
            (Binary = "application/fhir+ndjson"),
            (Binary = "application/ndjson"),
            (Binary = "application/x-ndjson"),
        )
    ),
    responses(
        (status = 201, description = "Stored as a new source; `Location` is the source", body = ImportAnswer,
            headers(("Location" = String, description = "`/api/profiles/{profile}/sources/{source}`"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
async fn upload(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiQuery(q): ApiQuery<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let importer = match q.importer.as_deref() {
        Some(id) => Some(state.plugins.get(id).ok_or_else(|| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-importer",
                format!("`importer`: no plugin {id:?} is installed"),
            )
        })?),
        None => None,
    };
    let format = match media_type(&headers).as_str() {
        // An importer reads its own formats.
        _ if importer.is_some() => import::Format::Bundle,
        "application/fhir+json" | "application/json" => import::Format::Bundle,
        "application/fhir+ndjson" | "application/ndjson" | "application/x-ndjson" => {
            import::Format::Ndjson
        }
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!(
                    "{other:?}: send a FHIR Bundle as application/fhir+json or resources as application/fhir+ndjson"
                ),
            ));
        }
    };
    let declared = declared_version(&headers)?;
    let name = match q.name.map(|n| n.trim().to_string()) {
        Some(n) if n.is_empty() || n.chars().count() > 200 => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "`name`: must be 1-200 characters",
            ));
        }
        Some(n) => {
            crate::text::check_line(&n).map_err(|e| {
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-field",
                    format!("`name`: {e}"),
                )
            })?;
            n
        }
        None => format!("Upload {}", chrono::Utc::now().format("%Y-%m-%d %H:%M")),
    };
    // Taken before the body is read, so a refused upload costs nothing.
    let _slot = state.imports.clone().try_acquire_owned().map_err(|_| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "imports-busy",
            format!(
                "{} uploads are being imported now; send this one again when one of them is done",
                super::MAX_CONCURRENT_IMPORTS
            ),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(10))
    })?;
    let spooled = state
        .files
        .spool(body.into_data_stream(), state.max_upload_bytes)
        .await?;
    let expected = if q.confirm_person == Some(true) {
        None
    } else {
        let profile = state.auth.profile(&access.scope).await?;
        Some(Person::profile(
            &profile.name,
            profile.birth_date.as_deref(),
        ))
    };
    let (summary, warnings) = match importer {
        Some(plugin) => {
            if spooled.len > crate::records::convert::MAX_DOCUMENT_BYTES as u64 {
                return Err(
                    crate::records::convert::ConvertError::TooLarge { size: spooled.len }.into(),
                );
            }
            let reader = spooled.reader();
            let content = tokio::task::spawn_blocking(move || {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut reader.open()?, &mut bytes).map(|_| bytes)
            })
            .await
            .map_err(std::io::Error::other)
            .and_then(|r| r)
            .map_err(|e| {
                tracing::error!(error = %e, "reading a spooled document failed");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?;
            let document = crate::plugins::importer::Document {
                name: name.clone(),
                media_type: media_type(&headers),
                content,
            };
            let converted = crate::records::convert::convert(
                &state.plugins,
                &plugin,
                &state.files,
                state.records.db(),
                &access.scope,
                expected.as_ref(),
                &name,
                document,
            )
            .await?;
            (converted.import, converted.report.warnings)
        }
        None => {
            let summary = import::import(
                state.records.db(),
                &access.scope,
                expected.as_ref(),
                &name,
                format,
                declared,
                &spooled,
            )
            .await?;
            (summary, Vec::new())
        }
    };
    let source = state.sources.get(&access.scope, &summary.source_id).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/profiles/{}/sources/{}", access.scope.id(), source.id),
        )],
        Json(ImportAnswer {
            source,
            resources: summary.resources,
            by_type: summary.by_type,
            fhir_version: summary.fhir_version.to_string(),
            version_basis: summary.version_basis,
            warnings,
        }),
    )
        .into_response())
}

/// Query of `GET …/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ExportParams {
    /// `bundle` (default), `ndjson` (a Bulk Data manifest), `ips` or `zip`.
    #[param(value_type = Option<ExportFormat>)]
    format: Option<String>,
}

/// The export formats (schema of the `format` query parameter).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ExportFormat {
    /// One FHIR collection Bundle with everything (`application/fhir+json`).
    Bundle,
    /// A Bulk Data manifest naming one NDJSON file per type (`application/json`).
    Ndjson,
    /// An International Patient Summary document Bundle (`application/fhir+json`).
    Ips,
    /// A zip of NDJSON files and attachments (`application/zip`).
    Zip,
}

impl ExportFormat {
    /// The format named `s` in the query.
    fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "bundle" => Some(ExportFormat::Bundle),
            "ndjson" => Some(ExportFormat::Ndjson),
            "ips" => Some(ExportFormat::Ips),
            "zip" => Some(ExportFormat::Zip),
            _ => None,
        }
    }
}

/// The Bulk Data manifest of `GET …/export?format=ndjson`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ExportManifest {
    /// When the manifest was made (FHIR instant).
    transaction_time: String,
    /// The request that made it.
    request: String,
    /// Always true: the files need the same credentials.
    requires_access_token: bool,
    /// One NDJSON file per resource type.
    output: Vec<ExportFile>,
    /// Files of OperationOutcomes; always empty here.
    error: Vec<ExportFile>,
}

/// One file of an export manifest.
#[derive(Serialize, ToSchema)]
struct ExportFile {
    /// The resource type.
    #[serde(rename = "type")]
    resource_type: String,
    /// Where to get it (`GET …/export/ndjson/{type}`).
    url: String,
    /// Resources in it.
    count: u64,
}

/// A response body fed by an export task; a failure part-way is logged and
/// cuts the body short, so the client sees an incomplete download.
fn streamed(
    content_type: &'static str,
    file_name: Option<String>,
    run: impl FnOnce(
        export::Out,
    ) -> futures_util::future::BoxFuture<'static, Result<(), export::ExportError>>,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let task = run(tx.clone());
    tokio::spawn(async move {
        match task.await {
            Ok(()) | Err(export::ExportError::Gone) => {}
            Err(e) => {
                tracing::error!(error = %e, "export failed part-way");
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    if let Some(name) = file_name
        && let Ok(v) = header::HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// Export the whole profile: a FHIR Bundle (default), an NDJSON manifest, an IPS or a zip.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/export",
    tag = "transfer",
    operation_id = "export",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ExportParams),
    responses(
        (status = 200, description = "`bundle` and `ips`: a FHIR Bundle; `ndjson`: the manifest; `zip`: the archive", content(
            (FhirBundle = "application/fhir+json"),
            (ExportManifest = "application/json"),
            (Binary = "application/zip"),
        )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = super::openapi::Conflict),
    )
)]
async fn export(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> Result<Response, Problem> {
    let scope = access.scope;
    let stamp = chrono::Utc::now().format("%Y%m%d");
    let requested = q.format.as_deref().unwrap_or("bundle");
    let format = ExportFormat::parse(requested).ok_or_else(|| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("`format`: {requested:?} is not one of bundle, ndjson, ips, zip"),
        )
    })?;
    match format {
        ExportFormat::Bundle => Ok(streamed(
            "application/fhir+json",
            Some(format!("hearth-{stamp}.json")),
            move |out| {
                Box::pin(
                    async move { export::bundle(&state.records, &state.files, &scope, out).await },
                )
            },
        )),
        ExportFormat::Zip => Ok(streamed(
            "application/zip",
            Some(format!("hearth-{stamp}.zip")),
            move |out| {
                Box::pin(
                    async move { export::zip(&state.records, &state.files, &scope, out).await },
                )
            },
        )),
        ExportFormat::Ips => {
            let doc = ips::ips(&state.records, &scope).await?;
            Ok((
                [(header::CONTENT_TYPE, "application/fhir+json")],
                doc.to_string(),
            )
                .into_response())
        }
        ExportFormat::Ndjson => {
            let types = state.records.export_types(&scope).await?;
            let base = format!("/api/profiles/{}/export/ndjson", scope.id());
            Ok(Json(ExportManifest {
                transaction_time: crate::records::index::format_instant(chrono::Utc::now()),
                request: format!("/api/profiles/{}/export?format=ndjson", scope.id()),
                requires_access_token: true,
                output: types
                    .into_iter()
                    .map(|(t, n)| ExportFile {
                        url: format!("{base}/{t}"),
                        resource_type: t,
                        count: n,
                    })
                    .collect(),
                error: Vec::new(),
            })
            .into_response())
        }
    }
}

/// One resource type of the profile as NDJSON (a file of the export manifest).
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/export/ndjson/{type}",
    tag = "transfer",
    operation_id = "export_ndjson",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type (`Observation`)"),
    ),
    responses(
        (status = 200, description = "One resource per line", content_type = "application/fhir+ndjson", body = Binary),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn export_ndjson(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, resource_type)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    if !is_type_name(&resource_type) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-path",
            format!("{resource_type:?} is not a FHIR resource type"),
        ));
    }
    let scope = access.scope;
    Ok(streamed("application/fhir+ndjson", None, move |out| {
        Box::pin(async move {
            export::ndjson(&state.records, &state.files, &scope, &resource_type, out).await
        })
    }))
}
