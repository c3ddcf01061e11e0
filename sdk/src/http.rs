//! A small blocking HTTP client over `wasi:http/outgoing-handler`.
//!
//! The host decides which hosts a plugin may reach and adds credentials itself,
//! so this client never handles tokens.

use crate::bindings::connector::wasi::http::outgoing_handler;
use crate::bindings::connector::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingRequest, Scheme,
};
use crate::bindings::connector::wasi::io::streams::StreamError;

/// Largest response body the client reads (protects the plugin's memory).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A complete HTTP response.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (names lower-case).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive) as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpError {
    /// The URL could not be used (scheme, host or path).
    InvalidUrl(String),
    /// The host refused the request (not on the plugin's allowlist).
    Denied(String),
    /// The request failed on the way (connection, TLS, protocol, timeout).
    Failed(String),
    /// The response body was unreadable or too large.
    Body(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::InvalidUrl(m) => write!(f, "invalid URL: {m}"),
            HttpError::Denied(m) => write!(f, "request denied by the host: {m}"),
            HttpError::Failed(m) => write!(f, "request failed: {m}"),
            HttpError::Body(m) => write!(f, "response body: {m}"),
        }
    }
}

/// The parts of an absolute http(s) URL that `wasi:http` wants separately.
#[derive(Debug, PartialEq)]
pub struct UrlParts<'a> {
    /// `true` for https.
    pub https: bool,
    /// Host and optional port.
    pub authority: &'a str,
    /// Path and query, starting with `/`.
    pub path_with_query: &'a str,
}

/// Split an absolute http(s) URL.
pub fn split_url(url: &str) -> Result<UrlParts<'_>, HttpError> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(HttpError::InvalidUrl(format!(
            "{url:?} is not an absolute http(s) URL"
        )));
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.is_empty() || authority.contains('@') {
        return Err(HttpError::InvalidUrl(format!("{url:?} has no usable host")));
    }
    let path_with_query = if path.is_empty() { "/" } else { path };
    Ok(UrlParts {
        https,
        authority,
        path_with_query,
    })
}

/// `GET url` with extra headers, reading the whole body.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<Response, HttpError> {
    let parts = split_url(url)?;
    let fields = Fields::new();
    for (name, value) in headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|e| HttpError::InvalidUrl(format!("header {name}: {e:?}")))?;
    }
    let request = OutgoingRequest::new(fields);
    let bad = |what: &str| HttpError::InvalidUrl(format!("{url:?}: bad {what}"));
    request
        .set_method(&Method::Get)
        .map_err(|()| bad("method"))?;
    let scheme = if parts.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| bad("scheme"))?;
    request
        .set_authority(Some(parts.authority))
        .map_err(|()| bad("authority"))?;
    request
        .set_path_with_query(Some(parts.path_with_query))
        .map_err(|()| bad("path"))?;

    let pending = outgoing_handler::handle(request, None).map_err(error_code)?;
    let response = loop {
        match pending.get() {
            Some(result) => break result,
            None => pending.subscribe().block(),
        }
    };
    let response = response
        .map_err(|()| HttpError::Failed("response already taken".into()))?
        .map_err(error_code)?;

    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let body = response
        .consume()
        .map_err(|()| HttpError::Body("body already consumed".into()))?;
    let bytes = read_body(&body)?;
    let _trailers = IncomingBody::finish(body);
    Ok(Response {
        status,
        headers,
        body: bytes,
    })
}

fn read_body(body: &IncomingBody) -> Result<Vec<u8>, HttpError> {
    let stream = body
        .stream()
        .map_err(|()| HttpError::Body("stream already taken".into()))?;
    let mut buf = Vec::new();
    loop {
        match stream.blocking_read(256 * 1024) {
            Ok(chunk) => {
                if buf.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(HttpError::Body(format!(
                        "larger than {MAX_BODY_BYTES} bytes"
                    )));
                }
                buf.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => return Ok(buf),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(HttpError::Body(e.to_debug_string()));
            }
        }
    }
}

fn error_code(code: ErrorCode) -> HttpError {
    match code {
        ErrorCode::HttpRequestDenied => HttpError::Denied("host not allowed".into()),
        ErrorCode::DestinationIpProhibited => HttpError::Denied(
            "the provider's address is on this machine or a private network".into(),
        ),
        other => HttpError::Failed(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_address_reads_as_a_denial_in_words() {
        let e = error_code(ErrorCode::DestinationIpProhibited);
        assert!(matches!(e, HttpError::Denied(_)));
        assert!(e.to_string().contains("private network"), "{e}");
    }

    #[test]
    fn splits_urls() {
        let p = split_url("https://fhir.example.org:8443/r4/Patient?_id=1").unwrap();
        assert!(p.https);
        assert_eq!(p.authority, "fhir.example.org:8443");
        assert_eq!(p.path_with_query, "/r4/Patient?_id=1");
        let p = split_url("http://h").unwrap();
        assert_eq!(p.path_with_query, "/");
        assert!(!p.https);
        let p = split_url("http://h?x=1").unwrap();
        assert_eq!((p.authority, p.path_with_query), ("h", "?x=1"));
    }

    #[test]
    fn rejects_unusable_urls() {
        for bad in ["ftp://h/x", "h/x", "https:///x", "https://user@h/x"] {
            assert!(
                matches!(split_url(bad), Err(HttpError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }
}
