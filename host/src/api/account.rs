//! Public and per-user routes: health, first-run setup, sign-in and out,
//! token refresh, sign-up, one's own sessions, password and second factor.

use super::extract::{
    CSRF_HEADER, Client, DEVICE_COOKIE, REFRESH_COOKIE, cookie, device_cookie, session_cookies,
};
use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, TooManyAttempts, Unauthenticated,
    Unprocessable,
};
use super::{ApiJson, ApiPath, AppState, Problem, Routes};
use crate::auth::profiles::Profile;
use crate::auth::sessions::SessionInfo;
use crate::auth::sessions::{Issued, REFRESH_TTL, SignIn};
use crate::auth::tokens::ACCESS_TTL;
use crate::auth::totp::TotpSetup;
use crate::auth::users::NewUser;
use crate::auth::{Caller, User};
use crate::plugins::{LoadFailure, PluginSummary};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The account routes' description.
#[derive(OpenApi)]
#[openapi(paths(
    health,
    setup_status,
    setup,
    sign_in,
    sign_up,
    refresh,
    sign_out,
    sessions,
    revoke_session,
    me,
    change_password,
    totp_begin,
    totp_confirm,
    totp_disable,
    plugins
))]
pub(super) struct Doc;

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

/// `GET /api/health`.
#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok` when the host answers.
    status: HealthStatus,
    /// The host's version.
    version: &'static str,
    /// Plugins loaded.
    plugins: usize,
    /// Plugin packages that could not be loaded.
    plugin_failures: usize,
}

/// The health status.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum HealthStatus {
    /// Up.
    Ok,
}

/// Whether the host is up, its version and how many plugins it loaded.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "account",
    operation_id = "health",
    responses((status = 200, description = "The host is up", body = Health))
)]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: HealthStatus::Ok,
        version: env!("CARGO_PKG_VERSION"),
        plugins: state.plugins.summaries().len(),
        plugin_failures: state.plugins.failures().len(),
    })
}

/// `GET /api/plugins`.
#[derive(Serialize, ToSchema)]
struct PluginList {
    /// The loaded plugins.
    plugins: Vec<PluginSummary>,
    /// Packages that could not be loaded, and why.
    failures: Vec<LoadFailure>,
}

/// The loaded plugins and the packages that failed to load.
#[utoipa::path(
    get,
    path = "/api/plugins",
    tag = "account",
    operation_id = "list_plugins",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The plugins", body = PluginList))
)]
async fn plugins(State(state): State<AppState>, _: Caller) -> Json<PluginList> {
    Json(PluginList {
        plugins: state.plugins.summaries(),
        failures: state.plugins.failures().to_vec(),
    })
}

/// The token type of a session answer.
#[derive(Serialize, ToSchema)]
enum TokenType {
    /// Send the access token as `Authorization: Bearer <token>`.
    Bearer,
}

/// The answer to a successful setup, sign-up, sign-in or refresh.
#[derive(Serialize, ToSchema)]
pub(super) struct SessionAnswer {
    /// The signed-in account.
    user: User,
    /// The new session.
    session_id: String,
    /// Always `Bearer`.
    token_type: TokenType,
    /// Seconds the access token lives.
    expires_in: u64,
    /// Seconds the refresh token lives (unless used).
    refresh_expires_in: u64,
    /// Echo it in `X-CSRF-Token` on cookie-authenticated changes.
    csrf_token: String,
    /// The access JWT; absent when the tokens were set as cookies (`use_cookies`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    access_token: Option<String>,
    /// The single-use refresh token; absent when set as a cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    refresh_token: Option<String>,
    /// Keep it and send it with later sign-ins (`device_token`): this device is
    /// then throttled on its own, so others' wrong guesses cannot lock it out.
    /// New sessions only; a cookie instead with `use_cookies`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    device_token: Option<String>,
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
    let body = SessionAnswer {
        user: user.clone(),
        session_id: issued.session_id.clone(),
        token_type: TokenType::Bearer,
        expires_in: ACCESS_TTL.as_secs(),
        refresh_expires_in: REFRESH_TTL.as_secs(),
        csrf_token: issued.csrf_token.clone(),
        access_token: (!use_cookies).then(|| issued.access_token.clone()),
        refresh_token: (!use_cookies).then(|| issued.refresh_token.clone()),
        device_token: issued.device_token.clone().filter(|_| !use_cookies),
    };
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
    if use_cookies {
        let device = issued
            .device_token
            .as_deref()
            .and_then(|t| device_cookie(t, state.secure_cookies));
        for value in session_cookies(Some(issued), state.secure_cookies)
            .into_iter()
            .chain(device)
        {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `GET /api/setup`.
#[derive(Serialize, ToSchema)]
struct SetupStatus {
    /// Whether the first administrator is still to be created (`POST /api/setup`).
    setup_needed: bool,
    /// Whether people may sign up by themselves.
    signup_allowed: bool,
}

/// Whether first-run setup is needed and whether sign-up is open.
#[utoipa::path(
    get,
    path = "/api/setup",
    tag = "account",
    operation_id = "setup_status",
    responses((status = 200, description = "The setup state", body = SetupStatus))
)]
async fn setup_status(State(state): State<AppState>) -> Result<Json<SetupStatus>, Problem> {
    Ok(Json(SetupStatus {
        setup_needed: state.auth.setup_needed().await?,
        signup_allowed: state.auth.signup_allowed(),
    }))
}

/// First-run setup: the first administrator and, optionally, their profile's name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Setup {
    /// Sign-in name.
    username: String,
    /// Password (policy-checked).
    password: String,
    /// Name shown in the UI (default: the username).
    #[serde(default)]
    display_name: Option<String>,
    /// Name of the administrator's own profile (default: the display name).
    #[serde(default)]
    profile_name: Option<String>,
    /// Browser clients: deliver the tokens as HttpOnly cookies, not in the body.
    #[serde(default)]
    use_cookies: bool,
}

/// Create the first administrator (only while no account exists) and sign them in.
#[utoipa::path(
    post,
    path = "/api/setup",
    tag = "account",
    operation_id = "setup",
    request_body = Setup,
    responses(
        (status = 201, description = "Set up and signed in; with `use_cookies` the tokens come as cookies", body = SessionAnswer),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
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
pub(super) async fn new_session(
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

/// Sign in with a password (and a second factor when it is on).
#[utoipa::path(
    post,
    path = "/api/auth/sign-in",
    tag = "account",
    operation_id = "sign_in",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; with `use_cookies` the tokens come as cookies", body = SessionAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(mut creds): ApiJson<SignIn>,
) -> Result<Response, Problem> {
    if creds.device_token.is_none() {
        creds.device_token = cookie(&headers, DEVICE_COOKIE).map(str::to_string);
    }
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
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SignUp {
    /// Sign-in name.
    pub(super) username: String,
    /// Password (policy-checked).
    pub(super) password: String,
    /// Name shown in the UI (default: the username).
    #[serde(default)]
    pub(super) display_name: Option<String>,
    /// Browser clients: deliver the tokens as HttpOnly cookies, not in the body.
    #[serde(default)]
    pub(super) use_cookies: bool,
}

/// Create one's own account (when the host allows sign-up) and sign in.
#[utoipa::path(
    post,
    path = "/api/auth/sign-up",
    tag = "account",
    operation_id = "sign_up",
    request_body = SignUp,
    responses(
        (status = 201, description = "Signed up and signed in", body = SessionAnswer),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
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

/// `POST /api/auth/refresh` from an API client.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    /// The refresh token from the last sign-in or refresh (single-use).
    refresh_token: String,
}

/// Trade a refresh token for new tokens: from the JSON body (API clients) or
/// from the refresh cookie plus the CSRF header (browsers).
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "account",
    operation_id = "refresh",
    request_body(
        content = Option<RefreshBody>,
        description = "API clients send the refresh token; browsers send no body, the refresh cookie and header `X-CSRF-Token`"
    ),
    responses(
        (status = 200, description = "New tokens (as cookies when the cookie was used)", body = SessionAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
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

/// End the current session (and clear the session cookies).
#[utoipa::path(
    post,
    path = "/api/auth/sign-out",
    tag = "account",
    operation_id = "sign_out",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Signed out"))
)]
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

/// `GET /api/auth/sessions`.
#[derive(Serialize, ToSchema)]
struct SessionList {
    /// One's sessions, the current one marked.
    sessions: Vec<SessionInfo>,
}

/// One's own sessions.
#[utoipa::path(
    get,
    path = "/api/auth/sessions",
    tag = "account",
    operation_id = "list_sessions",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The sessions", body = SessionList))
)]
async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SessionList>, Problem> {
    Ok(Json(SessionList {
        sessions: state.auth.sessions(&caller).await?,
    }))
}

/// End one of one's own sessions.
#[utoipa::path(
    delete,
    path = "/api/auth/sessions/{session}",
    tag = "account",
    operation_id = "revoke_session",
    security(("bearer" = []), ("cookie" = [])),
    params(("session" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "The session ended"),
        (status = 404, response = NotFound),
    )
)]
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

/// `GET /api/me`.
#[derive(Serialize, ToSchema)]
struct Me {
    /// The signed-in account.
    user: User,
    /// The session this request belongs to.
    session_id: String,
    /// The profiles the account has a grant on, with its role on each.
    profiles: Vec<Profile>,
}

/// The signed-in account, its session and its profiles.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "account",
    operation_id = "me",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Who is signed in", body = Me))
)]
async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, Problem> {
    let profiles = state.auth.profiles(&caller).await?;
    Ok(Json(Me {
        user: caller.user,
        session_id: caller.session_id,
        profiles,
    }))
}

/// `POST /api/me/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    /// The password now.
    current_password: String,
    /// The new one (policy-checked).
    new_password: String,
}

/// Change one's password (other sessions end).
#[utoipa::path(
    post,
    path = "/api/me/password",
    tag = "account",
    operation_id = "change_password",
    security(("bearer" = []), ("cookie" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
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

/// A request confirmed by one's password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordOnly {
    /// The account's password.
    password: String,
}

/// Start turning on two-factor sign-in: a new secret for the authenticator app.
#[utoipa::path(
    post,
    path = "/api/me/totp",
    tag = "account",
    operation_id = "totp_begin",
    security(("bearer" = []), ("cookie" = [])),
    request_body = PasswordOnly,
    responses(
        (status = 200, description = "The secret; confirm with a code", body = TotpSetup),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
async fn totp_begin(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordOnly>,
) -> Result<impl IntoResponse, Problem> {
    let setup = state.auth.totp_begin(&caller, &body.password).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(setup)))
}

/// `POST /api/me/totp/confirm`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TotpCode {
    /// A current code from the authenticator app.
    code: String,
}

/// The recovery codes, shown once.
#[derive(Serialize, ToSchema)]
struct RecoveryCodes {
    /// Each signs in once instead of an app code.
    recovery_codes: Vec<String>,
}

/// Finish turning on two-factor sign-in with a code from the app.
#[utoipa::path(
    post,
    path = "/api/me/totp/confirm",
    tag = "account",
    operation_id = "totp_confirm",
    security(("bearer" = []), ("cookie" = [])),
    request_body = TotpCode,
    responses(
        (status = 200, description = "Two-factor sign-in is on", body = RecoveryCodes),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
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
        Json(RecoveryCodes {
            recovery_codes: codes,
        }),
    ))
}

/// Turn two-factor sign-in off.
#[utoipa::path(
    post,
    path = "/api/me/totp/disable",
    tag = "account",
    operation_id = "totp_disable",
    security(("bearer" = []), ("cookie" = [])),
    request_body = PasswordOnly,
    responses(
        (status = 204, description = "Two-factor sign-in is off"),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
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
