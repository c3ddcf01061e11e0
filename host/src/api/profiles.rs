//! Profiles and the grants on them.

use super::extract::{Access, Client, Own, Read};
use super::{ApiJson, ApiPath, AppState, Problem, Routes};
use crate::auth::profiles::ProfileFields;
use crate::auth::{Caller, ProfileRole};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/profiles", list_profiles)
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

async fn list_profiles(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        json!({ "profiles": state.auth.profiles(&caller).await? }),
    ))
}

async fn create_profile(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiJson(fields): ApiJson<ProfileFields>,
) -> Result<impl IntoResponse, Problem> {
    let profile = state.auth.create_profile(&caller, fields, &client).await?;
    Ok((StatusCode::CREATED, Json(profile)))
}

async fn get_profile(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.auth.profile(&access.scope).await?))
}

async fn update_profile(
    State(state): State<AppState>,
    access: Access<Own>,
    ApiJson(fields): ApiJson<ProfileFields>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        state.auth.update_profile(&access.scope, fields).await?,
    ))
}

async fn delete_profile(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
) -> Result<StatusCode, Problem> {
    state.auth.delete_profile(&access.scope, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_grants(
    State(state): State<AppState>,
    access: Access<Own>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        json!({ "grants": state.auth.grants(&access.scope).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGrant {
    username: String,
    role: ProfileRole,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRole {
    role: ProfileRole,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    username: String,
    /// The role the current owner keeps (`editor`, `viewer`; absent or null for none).
    #[serde(default)]
    keep: Option<ProfileRole>,
}

async fn transfer(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
    ApiJson(body): ApiJson<Transfer>,
) -> Result<impl IntoResponse, Problem> {
    let grants = state
        .auth
        .transfer_profile(&access.scope, &body.username, body.keep, &client)
        .await?;
    Ok(Json(json!({ "grants": grants })))
}
