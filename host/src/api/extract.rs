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
/// Device cookie (HttpOnly, sent to the sign-in route only): this browser signed in before.
pub const DEVICE_COOKIE: &str = "hearth_device";
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

impl FromRequestParts<AppState> for Client {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let address = client_address(peer, &parts.headers, &state.trusted_proxies);
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

/// The client's address: the peer, unless the peer is a trusted proxy, in
/// which case the forwarding chain is read from the right (the end the
/// proxies appended to) and the first hop that is not itself a trusted proxy
/// is the client. Hops further left were written by that client and could
/// be anything, so they are never believed. Headers from an untrusted peer
/// are ignored entirely.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain = forwarded_for(headers);
    let mut client = peer;
    for hop in chain.iter().rev() {
        let Some(hop) = hop else {
            // An unknown or obfuscated hop: stop at the last address known.
            break;
        };
        client = *hop;
        if !is_trusted(hop) {
            break;
        }
    }
    canonical(client)
}

/// An IPv4 address carried as IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The hops of `Forwarded: for=` (RFC 7239), else `X-Forwarded-For`, in order;
/// `None` for a hop that is not an address (`unknown`, an obfuscated name).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|hop| !hop.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let forwarded = values(header::FORWARDED.as_str());
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_hop(v.trim().trim_matches('"')))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .map(|hop| parse_hop(hop))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
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

/// The `Set-Cookie` value carrying a device token. It outlives sessions (sign-out keeps it).
pub fn device_cookie(token: &str, secure: bool) -> Option<HeaderValue> {
    let c = cookie::Cookie::build((DEVICE_COOKIE, token.to_string()))
        .path("/api/auth/sign-in")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(
            crate::auth::tokens::DEVICE_TTL.as_secs() as i64,
        ))
        .build();
    HeaderValue::from_str(&c.to_string()).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let proxy: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        // A client that is not a proxy cannot name another address.
        assert_eq!(
            client_address(ip("198.51.100.4"), &spoofed, &proxy),
            ip("198.51.100.4")
        );
        assert_eq!(
            client_address(ip("10.0.0.7"), &spoofed, &[]),
            ip("10.0.0.7"),
            "no proxies configured: the headers are ignored"
        );
        // Through the proxy the client's own hop is used...
        assert_eq!(
            client_address(ip("10.0.0.7"), &spoofed, &proxy),
            ip("203.0.113.9")
        );
        // ...and hops the client wrote itself, left of it, are not.
        let chained = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.8")]);
        assert_eq!(
            client_address(ip("10.0.0.7"), &chained, &proxy),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forwarded_header_wins_and_its_forms_are_read() {
        let proxy: Vec<ipnet::IpNet> = vec!["::1/128".parse().unwrap()];
        let both = headers(&[
            ("forwarded", "for=\"[2001:db8::17]:4711\";proto=https"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(client_address(ip("::1"), &both, &proxy), ip("2001:db8::17"));
        let v4 = headers(&[("forwarded", "for=192.0.2.60;by=203.0.113.43")]);
        assert_eq!(client_address(ip("::1"), &v4, &proxy), ip("192.0.2.60"));
        // An unknown hop stops the walk at the proxy itself.
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(client_address(ip("::1"), &unknown, &proxy), ip("::1"));
        // An IPv4-mapped peer matches an IPv4 range.
        let mapped: Vec<ipnet::IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let xff = headers(&[("x-forwarded-for", "192.0.2.1")]);
        assert_eq!(
            client_address(ip("::ffff:127.0.0.1"), &xff, &mapped),
            ip("192.0.2.1")
        );
    }
}
