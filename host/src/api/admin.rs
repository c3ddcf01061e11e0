//! Administration: accounts and the audit log. Administrators manage
//! accounts; they do not thereby see anyone's records.

use super::extract::{Admin, Client};
use super::openapi::{BadRequest, Conflict, NotFound, Unprocessable};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::auth::audit::AuditEntry;
use crate::auth::users::{NewUser, User, UserChanges};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The administration routes' description.
#[derive(OpenApi)]
#[openapi(paths(
    list_users,
    create_user,
    get_user,
    update_user,
    reset_password,
    delete_user,
    audit,
    reload_catalog,
    download_backup
))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/users", list_users)
        .post("/users", create_user)
        .get("/users/{user}", get_user)
        .patch("/users/{user}", update_user)
        .post("/users/{user}/password", reset_password)
        .delete("/users/{user}", delete_user)
        .get("/audit", audit)
        .post("/admin/catalog/reload", reload_catalog)
        .get("/admin/backup", download_backup)
}

/// A backup of the whole instance as `hearth backup` makes it: every
/// profile's records, the accounts, the keys and the attachments, in one zip
/// that `hearth restore` reads. Administrators only, and audited: it holds
/// everything, secrets included.
#[utoipa::path(
    get,
    path = "/api/admin/backup",
    tag = "admin",
    operation_id = "download_backup",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The backup zip", content_type = "application/zip", body = super::openapi::Binary),
        (status = 403, response = super::openapi::Forbidden),
    )
)]
async fn download_backup(
    State(state): State<AppState>,
    admin: Admin,
    Client(client): Client,
) -> Result<axum::response::Response, Problem> {
    let internal = |e: anyhow::Error| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the backup failed: {e:#}"),
        )
    };
    let name = format!(
        "hearth-backup-{}.zip",
        chrono::Utc::now().format("%Y-%m-%d-%H%M%S")
    );
    let path = state.data_dir.join("tmp").join(format!(
        "backup-{}.zip",
        hex::encode(rand::random::<[u8; 8]>())
    ));
    let summary = crate::backup::backup(&state.data_dir, &path)
        .await
        .map_err(internal)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| internal(e.into()))?;
    // Unlinked at once: the open handle still reads it, and nothing is left behind.
    let _ = tokio::fs::remove_file(&path).await;
    state
        .auth
        .audit()
        .record(
            "backup-downloaded",
            Some(&admin.0.user.id),
            None,
            None,
            &client,
            serde_json::json!({"resources": summary.resources, "attachments": summary.attachments, "bytes": summary.bytes}),
        )
        .await;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition =
        axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
            .map_err(|e| internal(e.into()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/zip"),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CONTENT_LENGTH,
                axum::http::HeaderValue::from(summary.bytes),
            ),
        ],
        body,
    )
        .into_response())
}

/// Read the plugins folder again: packages a `hearth catalog import` wrote
/// (or removed) load, and catalog search finds their endpoints, without a restart.
#[utoipa::path(
    post,
    path = "/api/admin/catalog/reload",
    tag = "admin",
    operation_id = "reload_catalog",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "What is installed now", body = crate::catalog::ReloadReport),
        (status = 403, response = super::openapi::Forbidden),
    )
)]
async fn reload_catalog(
    State(state): State<AppState>,
    _: Admin,
) -> Json<crate::catalog::ReloadReport> {
    Json(state.catalog.reload(&state.plugins).await)
}

/// `GET /api/users`.
#[derive(Serialize, ToSchema)]
struct UserList {
    /// Every account.
    users: Vec<User>,
}

/// Every account.
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "admin",
    operation_id = "list_users",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The accounts", body = UserList),
        (status = 403, response = super::openapi::Forbidden),
    )
)]
async fn list_users(State(state): State<AppState>, _: Admin) -> Result<Json<UserList>, Problem> {
    Ok(Json(UserList {
        users: state.auth.users().await?,
    }))
}

/// Create an account.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "admin",
    operation_id = "create_user",
    security(("bearer" = []), ("cookie" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<impl IntoResponse, Problem> {
    let user = state.auth.create_user(&admin, new, &client).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/users/{user}",
    tag = "admin",
    operation_id = "get_user",
    security(("bearer" = []), ("cookie" = [])),
    params(("user" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The account", body = User),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_user(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.auth.user(&id).await?))
}

/// Rename, change the role of, disable or re-enable an account.
#[utoipa::path(
    patch,
    path = "/api/users/{user}",
    tag = "admin",
    operation_id = "update_user",
    security(("bearer" = []), ("cookie" = [])),
    params(("user" = String, Path, description = "User id")),
    request_body = UserChanges,
    responses(
        (status = 200, description = "The changed account", body = User),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
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

/// `POST /api/users/{user}/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    /// The new password (policy-checked).
    new_password: String,
}

/// Set a new password for an account (its sessions end).
#[utoipa::path(
    post,
    path = "/api/users/{user}/password",
    tag = "admin",
    operation_id = "reset_password",
    security(("bearer" = []), ("cookie" = [])),
    params(("user" = String, Path, description = "User id")),
    request_body = NewPassword,
    responses(
        (status = 204, description = "The password is set"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
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

/// Delete an account (not the last administrator).
#[utoipa::path(
    delete,
    path = "/api/users/{user}",
    tag = "admin",
    operation_id = "delete_user",
    security(("bearer" = []), ("cookie" = [])),
    params(("user" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn delete_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    state.auth.delete_user(&admin, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /api/audit`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// Entries per page (default 100, 1-1000).
    limit: Option<u32>,
    /// Only entries with a smaller `id` (the next page).
    before: Option<i64>,
}

/// `GET /api/audit`.
#[derive(Serialize, ToSchema)]
struct AuditList {
    /// Newest first.
    entries: Vec<AuditEntry>,
}

/// The security audit log, newest first.
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "admin",
    operation_id = "list_audit",
    security(("bearer" = []), ("cookie" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries", body = AuditList),
        (status = 400, response = BadRequest),
        (status = 403, response = super::openapi::Forbidden),
    )
)]
async fn audit(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>, Problem> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`limit` must be 1 to 1000",
        ));
    }
    Ok(Json(AuditList {
        entries: state.auth.audit().list(limit, q.before).await?,
    }))
}
