//! Taking things out and putting them back ([`crate::removals`]): hide a
//! record, choose which copy of a record is shown, and undo a removal while
//! it is kept. Removing a source, a typed-in record or a person answers with
//! the removal (`data`, `manual`, `profiles`), so the page can offer "Undo".

use super::extract::{Access, Client, Edit, Read};
use super::openapi::{BadRequest, Conflict, NotFound};
use super::{ApiJson, ApiPath, AppState, Problem, Routes};
use crate::auth::{Caller, ClientInfo, ProfileScope};
use crate::removals::Removal;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The removal routes' description.
#[derive(OpenApi)]
#[openapi(paths(hide, show_copy, list, undo, people, undo_person))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/records/{type}/{id}/hide", hide)
        .post(
            "/profiles/{profile}/records/{type}/{id}/shown-copy",
            show_copy,
        )
        .get("/profiles/{profile}/removals", list)
        .post("/profiles/{profile}/removals/{removal}/undo", undo)
        .get("/removals", people)
        .post("/removals/{removal}/undo", undo_person)
}

/// Note a removal or an undo in the audit log.
pub(super) async fn audit(
    state: &AppState,
    event: &str,
    user: &str,
    profile: &str,
    client: &ClientInfo,
    removal: &Removal,
) {
    state
        .auth
        .audit()
        .record(
            event,
            Some(user),
            None,
            Some(profile),
            client,
            serde_json::json!({
                "removal": removal.id,
                "kind": removal.kind,
                "target": removal.target,
                "label": removal.label,
                "records": removal.records,
            }),
        )
        .await;
}

/// Hide a record the profile shows, with the copies other sources sent of
/// it (editor). It stays stored and comes back with an undo.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/records/{type}/{id}/hide",
    tag = "records",
    operation_id = "hide_record",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type"),
        ("id" = String, Path, description = "Resource id"),
    ),
    responses(
        (status = 201, description = "Hidden; undo it with the removal's id", body = Removal),
        (status = 404, response = NotFound),
    )
)]
async fn hide(
    State(state): State<AppState>,
    access: Access<Edit>,
    Client(client): Client,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
) -> Result<impl IntoResponse, Problem> {
    let removal = state
        .removals
        .hide_record(&access.scope, &resource_type, &id)
        .await?;
    audit(
        &state,
        "record-hidden",
        access.scope.user_id(),
        access.scope.id(),
        &client,
        &removal,
    )
    .await;
    Ok((StatusCode::CREATED, Json(removal)))
}

/// Body of `POST …/shown-copy`: one of the record's copies (from its provenance).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CopyChoice {
    /// The source that sent the copy.
    source_id: String,
    /// The id that source gave it.
    id: String,
}

/// The record shown now.
#[derive(Debug, Serialize, ToSchema)]
struct ShownCopy {
    /// Its type.
    resource_type: String,
    /// Its id (the chosen copy's).
    id: String,
}

/// Show another copy of a record: one that another source sent of the same
/// fact (editor). The choice holds through later syncs.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/records/{type}/{id}/shown-copy",
    tag = "records",
    operation_id = "show_copy",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type"),
        ("id" = String, Path, description = "Id of the record shown now"),
    ),
    request_body = CopyChoice,
    responses(
        (status = 200, description = "The record shown now", body = ShownCopy),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn show_copy(
    State(state): State<AppState>,
    access: Access<Edit>,
    Client(client): Client,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<CopyChoice>,
) -> Result<Json<ShownCopy>, Problem> {
    let shown = state
        .records
        .show_copy(
            &access.scope,
            &resource_type,
            &id,
            &body.source_id,
            &body.id,
        )
        .await?;
    if !shown {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "{resource_type}/{id} has no copy {:?} from source {:?} here",
                body.id, body.source_id
            ),
        ));
    }
    state
        .auth
        .audit()
        .record(
            "copy-chosen",
            Some(access.scope.user_id()),
            None,
            Some(access.scope.id()),
            &client,
            serde_json::json!({"record": format!("{resource_type}/{id}"), "source": body.source_id, "id": body.id}),
        )
        .await;
    Ok(Json(ShownCopy {
        resource_type,
        id: body.id,
    }))
}

/// `GET …/removals`.
#[derive(Serialize, ToSchema)]
struct RemovalList {
    /// Hidden records, deleted typed-in records and removed sources, newest first.
    removals: Vec<Removal>,
}

/// What was taken out of the profile and can still be put back.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/removals",
    tag = "records",
    operation_id = "list_removals",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "Removals that can be undone", body = RemovalList),
        (status = 404, response = NotFound),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<Json<RemovalList>, Problem> {
    Ok(Json(RemovalList {
        removals: state.removals.list(&access.scope).await?,
    }))
}

/// Put back what a removal took out (editor): a hidden record is shown, a
/// deleted typed-in record or a removed source returns with its records.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/removals/{removal}/undo",
    tag = "records",
    operation_id = "undo_removal",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("removal" = String, Path, description = "Removal id")),
    responses(
        (status = 200, description = "Put back", body = Removal),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn undo(
    State(state): State<AppState>,
    access: Access<Edit>,
    Client(client): Client,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<Json<Removal>, Problem> {
    let removal = state.removals.undo(&access.scope, &id).await?;
    audit(
        &state,
        "removal-undone",
        access.scope.user_id(),
        access.scope.id(),
        &client,
        &removal,
    )
    .await;
    Ok(Json(removal))
}

/// `GET /api/removals`.
#[derive(Serialize, ToSchema)]
struct DeletedPeople {
    /// People the caller owned who were deleted and can still be brought back, newest first.
    removals: Vec<Removal>,
}

/// The deleted people the caller can bring back.
#[utoipa::path(
    get,
    path = "/api/removals",
    tag = "profiles",
    operation_id = "deleted_people",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Deleted people", body = DeletedPeople))
)]
async fn people(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<DeletedPeople>, Problem> {
    Ok(Json(DeletedPeople {
        removals: state.removals.people(&caller.user.id).await?,
    }))
}

/// Bring a deleted person back with everyone's access as it was (one of
/// their owners).
#[utoipa::path(
    post,
    path = "/api/removals/{removal}/undo",
    tag = "profiles",
    operation_id = "undo_person",
    security(("bearer" = []), ("cookie" = [])),
    params(("removal" = String, Path, description = "Removal id")),
    responses(
        (status = 200, description = "Brought back", body = Removal),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn undo_person(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Removal>, Problem> {
    let removal = state.removals.undo_person(&caller.user.id, &id).await?;
    audit(
        &state,
        "person-restored",
        &caller.user.id,
        &removal.profile_id,
        &client,
        &removal,
    )
    .await;
    Ok(Json(removal))
}

/// Delete a person (owner), undoable by an owner until it is purged.
pub(super) async fn remove_person(
    state: &AppState,
    scope: &ProfileScope,
    client: &ClientInfo,
) -> Result<Removal, Problem> {
    let profile = state.auth.profile(scope).await?;
    let removal = state.removals.remove_person(scope, &profile.name).await?;
    audit(
        state,
        "profile-deleted",
        scope.user_id(),
        scope.id(),
        client,
        &removal,
    )
    .await;
    Ok(removal)
}
