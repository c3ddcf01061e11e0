//! Records typed in by hand, encounter notes, and attachments.

use super::extract::{Access, Client, Edit, Read};
use super::openapi::{
    BadRequest, Binary, Conflict, FhirResource, NotFound, PayloadTooLarge, Unprocessable,
    UnsupportedMediaType,
};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The manual routes' description.
#[derive(OpenApi)]
#[openapi(paths(create, update, delete, add_note, attach, download))]
pub(super) struct Doc;

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

/// Type in a record: a Condition, MedicationStatement, AllergyIntolerance,
/// Immunization, Procedure, Encounter, Observation or Practitioner.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/manual/{type}",
    tag = "manual",
    operation_id = "create_manual",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("type" = String, Path, description = "FHIR resource type (`Condition`)")),
    request_body(content = FhirResource, description = "The resource; `id` and the subject are filled in"),
    responses(
        (status = 201, description = "The stored record; `Location` is its record URL", body = FhirResource,
            headers(("Location" = String, description = "`/api/profiles/{profile}/records/{type}/{id}`"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
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

/// Replace a typed-in record.
#[utoipa::path(
    put,
    path = "/api/profiles/{profile}/manual/{type}/{id}",
    tag = "manual",
    operation_id = "update_manual",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type"),
        ("id" = String, Path, description = "Resource id"),
    ),
    request_body(content = FhirResource, description = "The whole new resource"),
    responses(
        (status = 200, description = "The stored record", body = FhirResource,
            headers(("X-Hearth-Undo" = String, description = "The removal that puts back what the record said before (`POST …/removals/{id}/undo`)"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
async fn update(
    State(state): State<AppState>,
    access: Access<Edit>,
    Client(client): Client,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
    ApiJson(record): ApiJson<Value>,
) -> Result<impl IntoResponse, Problem> {
    let (stored, removal) = state
        .removals
        .edit_typed_in(&access.scope, &resource_type, &id, record)
        .await?;
    super::removals::audit(
        &state,
        "record-edited",
        access.scope.user_id(),
        access.scope.id(),
        &client,
        &removal,
    )
    .await;
    // The removal's id travels in a header: the body stays the FHIR resource.
    let undo = HeaderValue::from_str(&removal.id)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(([(UNDO_HEADER, undo)], Json(stored)))
}

/// The header naming the removal that undoes an edit.
const UNDO_HEADER: &str = "x-hearth-undo";

/// Delete a typed-in record (and an attachment's file).
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}/manual/{type}/{id}",
    tag = "manual",
    operation_id = "delete_manual",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type"),
        ("id" = String, Path, description = "Resource id"),
    ),
    responses(
        (status = 200, description = "Deleted; undo it with the removal's id until `purge_after`", body = crate::removals::Removal),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn delete(
    State(state): State<AppState>,
    access: Access<Edit>,
    Client(client): Client,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
) -> Result<Json<crate::removals::Removal>, Problem> {
    let removal = state
        .removals
        .delete_typed_in(&access.scope, &resource_type, &id)
        .await?;
    super::removals::audit(
        &state,
        "record-deleted",
        access.scope.user_id(),
        access.scope.id(),
        &client,
        &removal,
    )
    .await;
    Ok(Json(removal))
}

/// Body of `POST …/encounters/{id}/notes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewNote {
    /// The note.
    text: String,
}

/// Add a note to an encounter.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/encounters/{id}/notes",
    tag = "manual",
    operation_id = "add_note",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("id" = String, Path, description = "Encounter id")),
    request_body = NewNote,
    responses(
        (status = 201, description = "The stored note; `Location` is its record URL", body = FhirResource,
            headers(("Location" = String, description = "`/api/profiles/{profile}/records/{type}/{id}`"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
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
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AttachParams {
    /// What the document is ("Discharge letter").
    title: String,
    /// When it was written (default: now).
    date: Option<String>,
}

/// Attach a document (PDF or image): stored as a file, with a DocumentReference.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/attachments",
    tag = "manual",
    operation_id = "attach",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), AttachParams),
    request_body(
        description = "The file's bytes, with its type as `Content-Type`",
        content(
            (Binary = "application/pdf"),
            (Binary = "image/png"),
            (Binary = "image/jpeg"),
            (Binary = "image/gif"),
            (Binary = "image/webp"),
        )
    ),
    responses(
        (status = 201, description = "The DocumentReference; its `content[0].attachment.url` is `Binary/{id}`", body = FhirResource,
            headers(("Location" = String, description = "`/api/profiles/{profile}/records/DocumentReference/{id}`"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
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

/// An attachment's bytes, as the type it was stored with.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/attachments/{id}",
    tag = "manual",
    operation_id = "download_attachment",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("id" = String, Path, description = "The Binary's id")),
    responses(
        (status = 200, description = "The file, with its stored `Content-Type` and a `Content-Disposition`", content(
            (Binary = "application/pdf"),
            (Binary = "image/*"),
            (Binary = "application/octet-stream"),
        )),
        (status = 404, response = NotFound),
    )
)]
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
