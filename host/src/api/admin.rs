//! Administration: accounts and the audit log. Administrators manage
//! accounts; they do not thereby see anyone's records.

use super::extract::{Admin, Client};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::auth::users::{NewUser, UserChanges};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/users", list_users)
        .post("/users", create_user)
        .get("/users/{user}", get_user)
        .patch("/users/{user}", update_user)
        .post("/users/{user}/password", reset_password)
        .delete("/users/{user}", delete_user)
        .get("/audit", audit)
}

async fn list_users(State(state): State<AppState>, _: Admin) -> Result<impl IntoResponse, Problem> {
    Ok(Json(json!({ "users": state.auth.users().await? })))
}

async fn create_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<impl IntoResponse, Problem> {
    let user = state.auth.create_user(&admin, new, &client).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn get_user(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.auth.user(&id).await?))
}

async fn update_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    ApiJson(changes): ApiJson<UserChanges>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        state
            .auth
            .update_user(&admin, &id, changes, &client)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    new_password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<StatusCode, Problem> {
    state
        .auth
        .reset_password(Some(&admin), &id, &body.new_password, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    state.auth.delete_user(&admin, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

async fn audit(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<impl IntoResponse, Problem> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`limit` must be 1 to 1000",
        ));
    }
    Ok(Json(
        json!({ "entries": state.auth.audit().list(limit, q.before).await? }),
    ))
}
