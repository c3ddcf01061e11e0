//! Public and per-user routes: health, first-run setup, sign-in and out,
//! token refresh, sign-up, one's own sessions, password and second factor.

use super::extract::{CSRF_HEADER, Client, REFRESH_COOKIE, cookie, session_cookies};
use super::{ApiJson, ApiPath, AppState, Problem, Routes};
use crate::auth::sessions::{Issued, REFRESH_TTL, SignIn};
use crate::auth::tokens::ACCESS_TTL;
use crate::auth::users::NewUser;
use crate::auth::{Caller, User};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/health", health)
        .get("/setup", setup_status)
        .post("/setup", setup)
        .post("/auth/sign-in", sign_in)
        .post("/auth/sign-up", sign_up)
        .post("/auth/refresh", refresh)
        .post("/auth/sign-out", sign_out)
        .get("/auth/sessions", sessions)
        .delete("/auth/sessions/{session}", revoke_session)
        .get("/me", me)
        .post("/me/password", change_password)
        .post("/me/totp", totp_begin)
        .post("/me/totp/confirm", totp_confirm)
        .post("/me/totp/disable", totp_disable)
        .get("/plugins", plugins)
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "plugins": state.plugins.summaries().len(),
        "plugin_failures": state.plugins.failures().len(),
    }))
}

async fn plugins(State(state): State<AppState>, _: Caller) -> Json<serde_json::Value> {
    Json(json!({
        "plugins": state.plugins.summaries(),
        "failures": state.plugins.failures(),
    }))
}

/// The answer to a successful sign-in, setup or refresh. Browser clients
/// (`use_cookies`) get the tokens as cookies and never see them in the body.
fn session_response(
    state: &AppState,
    status: StatusCode,
    user: &User,
    issued: &Issued,
    use_cookies: bool,
) -> Response {
    let mut body = json!({
        "user": user,
        "session_id": issued.session_id,
        "token_type": "Bearer",
        "expires_in": ACCESS_TTL.as_secs(),
        "refresh_expires_in": REFRESH_TTL.as_secs(),
        "csrf_token": issued.csrf_token,
    });
    if !use_cookies {
        body["access_token"] = issued.access_token.clone().into();
        body["refresh_token"] = issued.refresh_token.clone().into();
    }
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
    if use_cookies {
        for value in session_cookies(Some(issued), state.secure_cookies) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn setup_status(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Problem> {
    Ok(Json(json!({
        "setup_needed": state.auth.setup_needed().await?,
        "signup_allowed": state.auth.signup_allowed(),
    })))
}

/// First-run setup: the first administrator and, optionally, their profile's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    username: String,
    password: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    profile_name: Option<String>,
    #[serde(default)]
    use_cookies: bool,
}

async fn setup(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<Setup>,
) -> Result<Response, Problem> {
    let user = state
        .auth
        .setup(
            NewUser {
                username: body.username,
                password: body.password,
                display_name: body.display_name,
                role: None,
            },
            body.profile_name,
            &client,
        )
        .await?;
    new_session(&state, &client, &user, body.use_cookies).await
}

/// A first session for a just-created account (setup, sign-up).
async fn new_session(
    state: &AppState,
    client: &crate::auth::ClientInfo,
    user: &User,
    use_cookies: bool,
) -> Result<Response, Problem> {
    let issued = state.auth.start_session(&user.id, client).await?;
    Ok(session_response(
        state,
        StatusCode::CREATED,
        user,
        &issued,
        use_cookies,
    ))
}

async fn sign_in(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(creds): ApiJson<SignIn>,
) -> Result<Response, Problem> {
    let (user, issued) = state.auth.sign_in(&creds, &client).await?;
    Ok(session_response(
        &state,
        StatusCode::OK,
        &user,
        &issued,
        creds.use_cookies,
    ))
}

/// Self sign-up (when the instance allows it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignUp {
    username: String,
    password: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    use_cookies: bool,
}

async fn sign_up(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<Response, Problem> {
    let user = state
        .auth
        .sign_up(
            NewUser {
                username: body.username,
                password: body.password,
                display_name: body.display_name,
                role: None,
            },
            &client,
        )
        .await?;
    new_session(&state, &client, &user, body.use_cookies).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

/// Trade a refresh token for new tokens: from the JSON body (API clients) or
/// from the refresh cookie plus the CSRF header (browsers).
async fn refresh(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                e.body_text(),
            )
        } else {
            Problem::new(StatusCode::BAD_REQUEST, "bad-body", e.body_text())
        }
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        let token = cookie(&headers, REFRESH_COOKIE).ok_or_else(|| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send {\"refresh_token\": ...} or the refresh cookie",
            )
        })?;
        let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let (user, issued) = state.auth.refresh(token, Some(csrf), &client).await?;
        return Ok(session_response(
            &state,
            StatusCode::OK,
            &user,
            &issued,
            true,
        ));
    }
    let parsed: RefreshBody = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                e.to_string(),
            )
        } else {
            Problem::new(StatusCode::BAD_REQUEST, "malformed-json", e.to_string())
        }
    })?;
    let (user, issued) = state
        .auth
        .refresh(&parsed.refresh_token, None, &client)
        .await?;
    Ok(session_response(
        &state,
        StatusCode::OK,
        &user,
        &issued,
        false,
    ))
}

async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
) -> Result<Response, Problem> {
    state.auth.sign_out(&caller, &client).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    for value in session_cookies(None, state.secure_cookies) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        json!({ "sessions": state.auth.sessions(&caller).await? }),
    ))
}

async fn revoke_session(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiPath(session): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    state
        .auth
        .revoke_session(&caller, &session, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, caller: Caller) -> Result<impl IntoResponse, Problem> {
    Ok(Json(json!({
        "user": caller.user,
        "session_id": caller.session_id,
        "profiles": state.auth.profiles(&caller).await?,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, Problem> {
    state
        .auth
        .change_password(&caller, &body.current_password, &body.new_password, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordOnly {
    password: String,
}

async fn totp_begin(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordOnly>,
) -> Result<impl IntoResponse, Problem> {
    let setup = state.auth.totp_begin(&caller, &body.password).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(setup)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TotpCode {
    code: String,
}

async fn totp_confirm(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiJson(body): ApiJson<TotpCode>,
) -> Result<impl IntoResponse, Problem> {
    let codes = state
        .auth
        .totp_confirm(&caller, &body.code, &client)
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "recovery_codes": codes })),
    ))
}

async fn totp_disable(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiJson(body): ApiJson<PasswordOnly>,
) -> Result<StatusCode, Problem> {
    state
        .auth
        .totp_disable(&caller, &body.password, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
