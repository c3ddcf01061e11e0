//! Profiles and the grants on them.

use super::extract::{Access, Client, Own, Read};
use super::openapi::{BadRequest, Conflict, Forbidden, NotFound, Unprocessable};
use super::{ApiJson, ApiPath, AppState, Problem, Routes};
use crate::auth::profiles::{Grant, Profile, ProfileFields};
use crate::auth::{Caller, ProfileRole};
use crate::records::summary::Attention;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The profile routes' description.
#[derive(OpenApi)]
#[openapi(paths(
    list_profiles,
    family,
    create_profile,
    get_profile,
    update_profile,
    delete_profile,
    list_grants,
    add_grant,
    change_grant,
    remove_grant,
    transfer
))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/profiles", list_profiles)
        .get("/family", family)
        .post("/profiles", create_profile)
        .get("/profiles/{profile}", get_profile)
        .patch("/profiles/{profile}", update_profile)
        .delete("/profiles/{profile}", delete_profile)
        .get("/profiles/{profile}/grants", list_grants)
        .post("/profiles/{profile}/grants", add_grant)
        .put("/profiles/{profile}/grants/{user}", change_grant)
        .delete("/profiles/{profile}/grants/{user}", remove_grant)
        .post("/profiles/{profile}/transfer", transfer)
}

/// `GET /api/profiles`.
#[derive(Serialize, ToSchema)]
struct ProfileList {
    /// The profiles the caller has a grant on.
    profiles: Vec<Profile>,
}

/// The profiles the caller has a grant on, with their role on each.
#[utoipa::path(
    get,
    path = "/api/profiles",
    tag = "profiles",
    operation_id = "list_profiles",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The profiles", body = ProfileList))
)]
async fn list_profiles(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ProfileList>, Problem> {
    Ok(Json(ProfileList {
        profiles: state.auth.profiles(&caller).await?,
    }))
}

/// `GET /api/family`.
#[derive(Serialize, ToSchema)]
struct Family {
    /// Each person the caller looks after, in the order of `GET /api/profiles`.
    people: Vec<FamilyMember>,
}

/// One person and what needs a look in their record.
#[derive(Serialize, ToSchema)]
struct FamilyMember {
    /// The profile.
    profile: Profile,
    /// What needs a look.
    attention: Attention,
}

/// Everyone the caller looks after, each with what needs a look: results
/// out of range, sources that stopped syncing, the newest record.
#[utoipa::path(
    get,
    path = "/api/family",
    tag = "profiles",
    operation_id = "family",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The family view", body = Family))
)]
async fn family(State(state): State<AppState>, caller: Caller) -> Result<Json<Family>, Problem> {
    let now = crate::records::index::format_instant(chrono::Utc::now());
    let mut people = Vec::new();
    for profile in state.auth.profiles(&caller).await? {
        let scope = state
            .auth
            .access(&caller, &profile.id, ProfileRole::Viewer)
            .await?;
        let attention = state.records.attention(&scope, &now).await?;
        people.push(FamilyMember { profile, attention });
    }
    Ok(Json(Family { people }))
}

/// Create a profile; the caller owns it.
#[utoipa::path(
    post,
    path = "/api/profiles",
    tag = "profiles",
    operation_id = "create_profile",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ProfileFields,
    responses(
        (status = 201, description = "Created", body = Profile),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
async fn create_profile(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiJson(fields): ApiJson<ProfileFields>,
) -> Result<impl IntoResponse, Problem> {
    let profile = state.auth.create_profile(&caller, fields, &client).await?;
    Ok((StatusCode::CREATED, Json(profile)))
}

/// One profile.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}",
    tag = "profiles",
    operation_id = "get_profile",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 404, response = NotFound),
    )
)]
async fn get_profile(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.auth.profile(&access.scope).await?))
}

/// Rename a profile or change its birth date (owner).
#[utoipa::path(
    patch,
    path = "/api/profiles/{profile}",
    tag = "profiles",
    operation_id = "update_profile",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = ProfileFields,
    responses(
        (status = 200, description = "The changed profile", body = Profile),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn update_profile(
    State(state): State<AppState>,
    access: Access<Own>,
    ApiJson(fields): ApiJson<ProfileFields>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        state.auth.update_profile(&access.scope, fields).await?,
    ))
}

/// Delete a person: the profile with all its records and sources (owner),
/// kept for a while so an owner can bring it back.
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}",
    tag = "profiles",
    operation_id = "delete_profile",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "Deleted; an owner can bring the person back until `purge_after` (`POST /api/removals/{removal}/undo`)", body = crate::removals::Removal),
        (status = 404, response = NotFound),
        (status = 409, response = super::openapi::Conflict),
    )
)]
async fn delete_profile(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
) -> Result<Json<crate::removals::Removal>, Problem> {
    Ok(Json(
        super::removals::remove_person(&state, &access.scope, &client).await?,
    ))
}

/// A profile's grants.
#[derive(Serialize, ToSchema)]
struct GrantList {
    /// Who has access, and with which role.
    grants: Vec<Grant>,
}

/// Who has access to a profile (owner).
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/grants",
    tag = "profiles",
    operation_id = "list_grants",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The grants", body = GrantList),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn list_grants(
    State(state): State<AppState>,
    access: Access<Own>,
) -> Result<Json<GrantList>, Problem> {
    Ok(Json(GrantList {
        grants: state.auth.grants(&access.scope).await?,
    }))
}

/// `POST …/grants`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewGrant {
    /// Who gets access.
    username: String,
    /// With which role.
    role: ProfileRole,
}

/// Give someone access to a profile (owner).
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/grants",
    tag = "profiles",
    operation_id = "add_grant",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = NewGrant,
    responses(
        (status = 201, description = "Granted", body = Grant),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
async fn add_grant(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
    ApiJson(body): ApiJson<NewGrant>,
) -> Result<impl IntoResponse, Problem> {
    let grant = state
        .auth
        .add_grant(&access.scope, &body.username, body.role, &client)
        .await?;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// `PUT …/grants/{user}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GrantRole {
    /// The new role.
    role: ProfileRole,
}

/// Change someone's role on a profile (owner).
#[utoipa::path(
    put,
    path = "/api/profiles/{profile}/grants/{user}",
    tag = "profiles",
    operation_id = "change_grant",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("user" = String, Path, description = "User id")),
    request_body = GrantRole,
    responses(
        (status = 200, description = "The changed grant", body = Grant),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
async fn change_grant(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
    ApiPath((_, user)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<GrantRole>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        state
            .auth
            .change_grant(&access.scope, &user, body.role, &client)
            .await?,
    ))
}

/// An owner removes someone's access, or anyone removes their own (leaves).
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}/grants/{user}",
    tag = "profiles",
    operation_id = "remove_grant",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("user" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn remove_grant(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiPath((profile, user)): ApiPath<(String, String)>,
) -> Result<StatusCode, Problem> {
    state
        .auth
        .remove_grant(&caller, &profile, &user, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/transfer`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Transfer {
    /// The new owner.
    username: String,
    /// The role the current owner keeps (`editor`, `viewer`; absent or null for none).
    #[serde(default)]
    keep: Option<ProfileRole>,
}

/// Make someone else the owner of a profile (owner).
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/transfer",
    tag = "profiles",
    operation_id = "transfer_profile",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = Transfer,
    responses(
        (status = 200, description = "The grants after the transfer", body = GrantList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
async fn transfer(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
    ApiJson(body): ApiJson<Transfer>,
) -> Result<Json<GrantList>, Problem> {
    let grants = state
        .auth
        .transfer_profile(&access.scope, &body.username, body.keep, &client)
        .await?;
    Ok(Json(GrantList { grants }))
}
