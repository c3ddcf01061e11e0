//! Records typed in by hand, encounter notes, and attachments.

use super::extract::{Access, Edit, Read};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/manual/{type}", create)
        .put("/profiles/{profile}/manual/{type}/{id}", update)
        .delete("/profiles/{profile}/manual/{type}/{id}", delete)
        .post("/profiles/{profile}/encounters/{id}/notes", add_note)
        .post("/profiles/{profile}/attachments", attach)
        .get("/profiles/{profile}/attachments/{id}", download)
}

fn created(profile: &str, record: Value) -> Response {
    let location = format!(
        "/api/profiles/{profile}/records/{}/{}",
        record["resourceType"].as_str().unwrap_or_default(),
        record["id"].as_str().unwrap_or_default()
    );
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(record),
    )
        .into_response()
}

async fn create(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((profile, resource_type)): ApiPath<(String, String)>,
    ApiJson(record): ApiJson<Value>,
) -> Result<Response, Problem> {
    let stored = state
        .records
        .manual_create(&access.scope, &resource_type, record)
        .await?;
    Ok(created(&profile, stored))
}

async fn update(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
    ApiJson(record): ApiJson<Value>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        state
            .records
            .manual_update(&access.scope, &resource_type, &id, record)
            .await?,
    ))
}

async fn delete(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
) -> Result<StatusCode, Problem> {
    state
        .records
        .manual_delete(&state.files, &access.scope, &resource_type, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST …/encounters/{id}/notes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath((profile, encounter)): ApiPath<(String, String)>,
    ApiJson(note): ApiJson<NewNote>,
) -> Result<Response, Problem> {
    let stored = state
        .records
        .manual_note(&access.scope, &encounter, &note.text)
        .await?;
    Ok(created(&profile, stored))
}

/// Query of `POST …/attachments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachParams {
    /// What the document is ("Discharge letter").
    title: String,
    /// When it was written (default: now).
    date: Option<String>,
}

async fn attach(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiPath(profile): ApiPath<String>,
    ApiQuery(q): ApiQuery<AttachParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let content_type = super::transfer::media_type(&headers);
    let max = state.max_attachment_bytes;
    let bytes = axum::body::to_bytes(body, max as usize)
        .await
        .map_err(|_| {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "attachment-too-large",
                format!("the attachment is larger than the {max}-byte limit"),
            )
        })?;
    let document = state
        .records
        .attach(
            &state.files,
            &access.scope,
            &content_type,
            &q.title,
            q.date.as_deref(),
            &bytes,
        )
        .await?;
    Ok(created(&profile, document))
}

async fn download(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    let (content_type, bytes) = state
        .records
        .attachment(&state.files, &access.scope, &id)
        .await?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no attachment {id:?} in this profile"),
            )
        })?;
    let mut response = Body::from(bytes).into_response();
    let h = response.headers_mut();
    // Shown as what it claims to be and never sniffed into something else.
    // Types not accepted for upload (a provider's HTML, XML, ...) are only
    // downloaded, and sandboxed should they be opened directly.
    let inline = crate::records::manual::shown_inline(&content_type);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if inline {
            "default-src 'none'; img-src 'self'; object-src 'self'; style-src 'unsafe-inline'"
        } else {
            "sandbox; default-src 'none'"
        }),
    );
    let disposition = format!(
        "{}; filename=\"{id}{}\"",
        if inline { "inline" } else { "attachment" },
        crate::records::export::extension(&content_type)
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
