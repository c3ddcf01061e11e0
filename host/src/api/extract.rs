//! Extractors that decide who is calling and what they may touch. A handler
//! states its requirement in its signature: [`Caller`] (signed in), [`Admin`],
//! or [`Access<Read | Edit | Own>`] for a route under `/profiles/{profile}`.

use super::{AppState, Problem};
use crate::auth::sessions::Presented;
use crate::auth::{Caller, ClientInfo, ProfileRole, ProfileScope};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Access cookie (HttpOnly).
pub const ACCESS_COOKIE: &str = "hearth_access";
/// Refresh cookie (HttpOnly, sent to `/api/auth` only).
pub const REFRESH_COOKIE: &str = "hearth_refresh";
/// CSRF cookie (readable by the page, which echoes it in `X-CSRF-Token`).
pub const CSRF_COOKIE: &str = "hearth_csrf";
/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name` on the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| cookie::Cookie::split_parse(v).filter_map(Result::ok))
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Where the request came from.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(200).collect());
        Ok(Client(ClientInfo {
            address,
            user_agent,
        }))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let changes_state = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let presented = Presented {
            bearer: bearer(&parts.headers),
            cookie: cookie(&parts.headers, ACCESS_COOKIE),
            csrf: parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()),
            changes_state,
        };
        let caller = state.auth.authenticate(presented).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A signed-in administrator.
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.is_admin() {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "only administrators may do this",
            ));
        }
        Ok(Admin(caller))
    }
}

/// The profile role a route needs.
pub trait Need: Send + Sync {
    /// The least role that passes.
    const ROLE: ProfileRole;
}

/// Read a profile (viewer or more).
pub struct Read;
/// Change a profile's records and sources (editor or more).
pub struct Edit;
/// Manage a profile and its grants (owner).
pub struct Own;

impl Need for Read {
    const ROLE: ProfileRole = ProfileRole::Viewer;
}
impl Need for Edit {
    const ROLE: ProfileRole = ProfileRole::Editor;
}
impl Need for Own {
    const ROLE: ProfileRole = ProfileRole::Owner;
}

/// The caller, checked to hold at least `N`'s role on the `{profile}` of the path.
pub struct Access<N: Need> {
    /// Who is calling.
    pub caller: Caller,
    /// The profile they may act on.
    pub scope: ProfileScope,
    need: PhantomData<N>,
}

impl<N: Need> FromRequestParts<AppState> for Access<N> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let params =
            axum::extract::Path::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|e| {
                    Problem::new(StatusCode::BAD_REQUEST, "invalid-path", e.body_text())
                })?;
        let profile = params.0.get("profile").ok_or_else(|| {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "route has no {profile} parameter",
            )
        })?;
        let scope = state.auth.access(&caller, profile, N::ROLE).await?;
        Ok(Access {
            caller,
            scope,
            need: PhantomData,
        })
    }
}

/// `Set-Cookie` values that deliver a session to a browser, or (with `None`) clear it.
pub fn session_cookies(
    issued: Option<&crate::auth::sessions::Issued>,
    secure: bool,
) -> Vec<HeaderValue> {
    use cookie::{Cookie, SameSite};
    let make =
        |name: &'static str, value: &str, path: &'static str, http_only: bool, max_age: u64| {
            let mut c = Cookie::build((name, value.to_string()))
                .path(path)
                .http_only(http_only)
                .same_site(SameSite::Strict)
                .secure(secure)
                .max_age(cookie::time::Duration::seconds(if issued.is_some() {
                    max_age as i64
                } else {
                    0
                }))
                .build();
            if issued.is_none() {
                c.set_value("");
            }
            HeaderValue::from_str(&c.to_string()).ok()
        };
    let access_ttl = crate::auth::tokens::ACCESS_TTL.as_secs();
    let refresh_ttl = crate::auth::sessions::REFRESH_TTL.as_secs();
    [
        make(
            ACCESS_COOKIE,
            issued.map_or("", |i| &i.access_token),
            "/api",
            true,
            access_ttl,
        ),
        make(
            REFRESH_COOKIE,
            issued.map_or("", |i| &i.refresh_token),
            "/api/auth",
            true,
            refresh_ttl,
        ),
        make(
            CSRF_COOKIE,
            issued.map_or("", |i| &i.csrf_token),
            "/",
            false,
            refresh_ttl,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}
