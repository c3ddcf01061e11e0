//! Uploads and exports: `POST …/imports` (a Bundle or NDJSON becomes a new
//! source), `GET …/export` (Bundle, NDJSON manifest, IPS or zip) and
//! `GET …/export/ndjson/{type}`.

use super::extract::{Access, Edit, Read};
use super::{ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::records::{export, import, ips, is_type_name};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/imports", upload)
        .get("/profiles/{profile}/export", export)
        .get("/profiles/{profile}/export/ndjson/{type}", export_ndjson)
}

/// Query of `POST …/imports`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadParams {
    /// Name of the new source (default "Upload <date>").
    name: Option<String>,
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

async fn upload(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiQuery(q): ApiQuery<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let format = match media_type(&headers).as_str() {
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
    let name = match q.name.map(|n| n.trim().to_string()) {
        Some(n) if n.is_empty() || n.chars().count() > 200 => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "`name`: must be 1-200 characters",
            ));
        }
        Some(n) => n,
        None => format!("Upload {}", chrono::Utc::now().format("%Y-%m-%d %H:%M")),
    };
    let spooled = state
        .files
        .spool(body.into_data_stream(), state.max_upload_bytes)
        .await?;
    let summary = import::import(
        state.records.db(),
        access.scope.id(),
        &name,
        format,
        &spooled,
    )
    .await?;
    let source = state.sources.get(&access.scope, &summary.source_id).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/profiles/{}/sources/{}", access.scope.id(), source.id),
        )],
        Json(json!({
            "source": source,
            "resources": summary.resources,
            "by_type": summary.by_type,
        })),
    )
        .into_response())
}

/// Query of `GET …/export`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportParams {
    /// `bundle` (default), `ndjson` (a Bulk Data manifest), `ips` or `zip`.
    format: Option<String>,
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

async fn export(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> Result<Response, Problem> {
    let scope = access.scope;
    let stamp = chrono::Utc::now().format("%Y%m%d");
    match q.format.as_deref().unwrap_or("bundle") {
        "bundle" => Ok(streamed(
            "application/fhir+json",
            Some(format!("hearth-{stamp}.json")),
            move |out| {
                Box::pin(
                    async move { export::bundle(&state.records, &state.files, &scope, out).await },
                )
            },
        )),
        "zip" => Ok(streamed(
            "application/zip",
            Some(format!("hearth-{stamp}.zip")),
            move |out| {
                Box::pin(
                    async move { export::zip(&state.records, &state.files, &scope, out).await },
                )
            },
        )),
        "ips" => {
            let doc = ips::ips(&state.records, &scope).await?;
            Ok((
                [(header::CONTENT_TYPE, "application/fhir+json")],
                doc.to_string(),
            )
                .into_response())
        }
        "ndjson" => {
            let types = state.records.export_types(&scope).await?;
            let base = format!("/api/profiles/{}/export/ndjson", scope.id());
            Ok(Json(json!({
                "transactionTime": crate::records::index::format_instant(chrono::Utc::now()),
                "request": format!("/api/profiles/{}/export?format=ndjson", scope.id()),
                "requiresAccessToken": true,
                "output": types.iter().map(|(t, n)| json!({"type": t, "url": format!("{base}/{t}"), "count": n})).collect::<Vec<_>>(),
                "error": [],
            }))
            .into_response())
        }
        other => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("`format`: {other:?} is not one of bundle, ndjson, ips, zip"),
        )),
    }
}

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
