//! Outbound HTTP for plugins: an allowlist of origins and credential injection.
//!
//! Plugins reach the network only through `wasi:http/outgoing-handler`, and
//! every request passes [`Outbound::send_request`] here. Two rules hold:
//!
//! * **Only permitted origins.** A connector may reach the origins (scheme,
//!   host and port) of the source it is syncing and nothing else; an empty
//!   allowlist denies everything. A denied request is answered with
//!   `HTTP-request-denied` and recorded, and the host fails the call naming the
//!   host and the rule, because a plugin that probes elsewhere is misbehaving
//!   even if it recovers.
//! * **Credentials never enter the plugin.** The plugin cannot set
//!   `Authorization` or `Cookie` (they are forbidden headers); the host adds
//!   the source's bearer token to permitted requests itself. A compromised
//!   plugin can therefore use a token only towards the provider it was issued
//!   for, and can never exfiltrate it.

use http::header::{AUTHORIZATION, COOKIE, HeaderValue};
use http::uri::Scheme;
use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, ForbiddenHeaderFilter, RequestOptions, WasiBody,
    WasiHttpHooks,
};

/// Longest waits the host allows per request; a plugin may ask for shorter ones.
/// A provider that stops answering then fails the request, not the whole call budget.
pub const MAX_CONNECT: Duration = Duration::from_secs(30);
/// See [`MAX_CONNECT`].
pub const MAX_FIRST_BYTE: Duration = Duration::from_secs(120);
/// See [`MAX_CONNECT`].
pub const MAX_BETWEEN_BYTES: Duration = Duration::from_secs(120);

/// The plugin's request options with every timeout capped at the host's maximum.
pub fn capped(options: Option<RequestOptions>) -> RequestOptions {
    let options = options.unwrap_or_default();
    let cap = |asked: Option<Duration>, max: Duration| Some(asked.map_or(max, |a| a.min(max)));
    RequestOptions {
        connect_timeout: cap(options.connect_timeout, MAX_CONNECT),
        first_byte_timeout: cap(options.first_byte_timeout, MAX_FIRST_BYTE),
        between_bytes_timeout: cap(options.between_bytes_timeout, MAX_BETWEEN_BYTES),
    }
}

/// A scheme + host + port that a plugin may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// Lower-case host name or IP literal.
    pub host: String,
    /// Port, with the scheme's default filled in.
    pub port: u16,
}

impl Origin {
    /// The origin of an absolute http(s) URL.
    pub fn of_url(url: &url::Url) -> Option<Origin> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        Some(Origin {
            scheme: scheme.to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }

    fn of_uri(uri: &http::Uri) -> Option<Origin> {
        let scheme = uri.scheme()?;
        let default_port = if *scheme == Scheme::HTTPS {
            443
        } else if *scheme == Scheme::HTTP {
            80
        } else {
            return None;
        };
        Some(Origin {
            scheme: scheme.as_str().to_string(),
            host: uri.host()?.to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(default_port),
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// What the provider's answers said, seen on their way back to the plugin.
///
/// The host acts on these rather than on the plugin's word: a 429's
/// `Retry-After` sets when the job runs again, and a 401 means the access
/// token should be refreshed before the sync resumes.
#[derive(Debug, Default)]
pub struct Signals {
    /// The longest `Retry-After` (seconds) of any 429 or 503 answer.
    pub retry_after_secs: std::sync::atomic::AtomicU64,
    /// 429 answers seen.
    pub rate_limited: std::sync::atomic::AtomicU32,
    /// 401 answers seen.
    pub unauthorized: std::sync::atomic::AtomicU32,
}

impl Signals {
    fn observe(&self, status: http::StatusCode, headers: &http::HeaderMap) {
        use std::sync::atomic::Ordering;
        if status == http::StatusCode::UNAUTHORIZED {
            self.unauthorized.fetch_add(1, Ordering::Relaxed);
        }
        if status == http::StatusCode::TOO_MANY_REQUESTS {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        if (status == http::StatusCode::TOO_MANY_REQUESTS
            || status == http::StatusCode::SERVICE_UNAVAILABLE)
            && let Some(secs) = headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after_secs)
        {
            self.retry_after_secs.fetch_max(secs, Ordering::Relaxed);
        }
    }
}

/// `Retry-After` as seconds from now: delta-seconds, or an HTTP date (RFC 9110 10.2.3).
pub fn retry_after_secs(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.timestamp() - chrono::Utc::now().timestamp();
    Some(delta.max(0) as u64)
}

/// The outbound policy of one plugin call, and what happened under it.
pub struct Outbound {
    allowed: Vec<Origin>,
    /// The addresses allowed origins may resolve to (`None`: not checked).
    reach: Option<crate::reach::Reach>,
    bearer: Option<HeaderValue>,
    /// What the provider's answers said.
    pub signals: Arc<Signals>,
    /// Requests refused, described for the error report.
    pub denials: Vec<String>,
    /// Requests let through.
    pub requests: u32,
}

impl Outbound {
    /// A policy allowing `allowed` and attaching `bearer_token` (if any) to those requests.
    pub fn new(allowed: Vec<Origin>, bearer_token: Option<&str>) -> Outbound {
        let bearer = bearer_token.and_then(|t| {
            let mut v = HeaderValue::from_str(&format!("Bearer {t}")).ok()?;
            // Keeps the token out of debug output and HPACK tables.
            v.set_sensitive(true);
            Some(v)
        });
        Outbound {
            allowed,
            reach: None,
            bearer,
            signals: Arc::default(),
            denials: Vec::new(),
            requests: 0,
        }
    }

    /// Check the address of every request against `reach` before it is sent.
    pub fn reaching(mut self, reach: crate::reach::Reach) -> Outbound {
        self.reach = Some(reach);
        self
    }

    /// Why `uri` may not be reached, or `None` if it may.
    pub fn check(&self, uri: &http::Uri) -> Option<String> {
        let Some(origin) = Origin::of_uri(uri) else {
            return Some(format!("{uri}: not an absolute http(s) URL"));
        };
        if self.allowed.is_empty() {
            return Some(format!(
                "{origin}: this plugin may not make outbound requests"
            ));
        }
        if self.allowed.contains(&origin) {
            return None;
        }
        let list: Vec<String> = self.allowed.iter().map(Origin::to_string).collect();
        Some(format!(
            "{origin}: not an origin of the source being synced (allowed: {})",
            list.join(", ")
        ))
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for Outbound {
    fn forbidden_header_filter(&mut self) -> ForbiddenHeaderFilter {
        Arc::new(|name| {
            *name == AUTHORIZATION || *name == COOKIE || DEFAULT_FORBIDDEN_HEADERS.contains(name)
        })
    }

    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        drop(fut);
        if let Some(reason) = self.check(request.uri()) {
            tracing::warn!(%reason, "plugin request denied");
            self.denials.push(reason);
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        self.requests += 1;
        if let Some(bearer) = &self.bearer {
            request.headers_mut().insert(AUTHORIZATION, bearer.clone());
        }
        let options = Some(capped(options));
        let signals = self.signals.clone();
        let reach = self.reach.clone();
        Box::new(async move {
            use http_body_util::BodyExt;
            // An allowed origin's name may resolve somewhere it must not (a
            // private address now, or ever): checked on every request.
            if let Some(reach) = reach
                && let Some(origin) = Origin::of_uri(request.uri())
                && let Err(e) = reach.resolve(&origin.host, origin.port).await
            {
                tracing::warn!(%origin, error = %e, "plugin request refused: address not allowed");
                return Err(HttpError::DestinationIpProhibited);
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            signals.observe(response.status(), response.headers());
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        Origin::of_url(&url::Url::parse(url).unwrap()).unwrap()
    }

    #[test]
    fn origins_fill_default_ports() {
        assert_eq!(
            origin("https://EHR.example.org/fhir").to_string(),
            "https://ehr.example.org:443"
        );
        assert_eq!(origin("http://127.0.0.1:8080/r4").port, 8080);
        assert!(Origin::of_url(&url::Url::parse("ftp://x/").unwrap()).is_none());
    }

    #[test]
    fn only_exact_origins_pass() {
        let policy = Outbound::new(vec![origin("https://ehr.example.org/fhir")], Some("t"));
        let ok: http::Uri = "https://ehr.example.org/fhir/Patient/1".parse().unwrap();
        assert_eq!(policy.check(&ok), None);
        for bad in [
            "http://ehr.example.org/fhir",       // scheme downgrade
            "https://ehr.example.org:8443/fhir", // other port
            "https://evil.example.org/fhir",     // other host
            "https://ehr.example.org.evil.com/", // suffix trick
        ] {
            let uri: http::Uri = bad.parse().unwrap();
            let reason = policy.check(&uri).expect(bad);
            assert!(reason.contains("not an origin of the source"), "{reason}");
        }
    }

    #[test]
    fn empty_allowlist_denies_everything() {
        let policy = Outbound::new(vec![], None);
        let uri: http::Uri = "https://ehr.example.org/".parse().unwrap();
        assert!(
            policy
                .check(&uri)
                .unwrap()
                .contains("may not make outbound requests")
        );
    }

    #[test]
    fn request_timeouts_are_capped() {
        let c = capped(None);
        assert_eq!(c.connect_timeout, Some(MAX_CONNECT));
        assert_eq!(c.first_byte_timeout, Some(MAX_FIRST_BYTE));
        let asked = RequestOptions {
            connect_timeout: Some(Duration::from_secs(5)),
            first_byte_timeout: Some(Duration::from_secs(99_999)),
            between_bytes_timeout: None,
        };
        let c = capped(Some(asked));
        assert_eq!(
            c.connect_timeout,
            Some(Duration::from_secs(5)),
            "shorter asks are kept"
        );
        assert_eq!(
            c.first_byte_timeout,
            Some(MAX_FIRST_BYTE),
            "longer asks are capped"
        );
        assert_eq!(c.between_bytes_timeout, Some(MAX_BETWEEN_BYTES));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after_secs("120"), Some(120));
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT"), Some(0));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let secs = retry_after_secs(&later).unwrap();
        assert!((88..=90).contains(&secs), "{secs}");
        assert_eq!(retry_after_secs("soon"), None);
        let signals = Signals::default();
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("7"));
        signals.observe(http::StatusCode::TOO_MANY_REQUESTS, &headers);
        signals.observe(http::StatusCode::UNAUTHORIZED, &http::HeaderMap::new());
        use std::sync::atomic::Ordering;
        assert_eq!(signals.retry_after_secs.load(Ordering::Relaxed), 7);
        assert_eq!(signals.rate_limited.load(Ordering::Relaxed), 1);
        assert_eq!(signals.unauthorized.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn plugins_cannot_set_credentials() {
        let mut policy = Outbound::new(vec![], None);
        let filter = policy.forbidden_header_filter();
        assert!(filter(&AUTHORIZATION));
        assert!(filter(&COOKIE));
        assert!(!filter(&http::header::ACCEPT));
    }

    #[tokio::test]
    async fn an_allowed_origin_whose_name_resolves_inside_is_refused_before_connecting() {
        use http_body_util::BodyExt;
        use std::sync::atomic::{AtomicUsize, Ordering};
        // A loopback service that counts who connects.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        });
        // The source's origin is allowed by name; the name is this machine.
        let base = format!("http://localhost:{port}");
        let request = || {
            let body = http_body_util::Empty::<bytes::Bytes>::new()
                .map_err(|never| match never {})
                .boxed_unsync();
            http::Request::get(format!("{base}/Patient/p"))
                .body(body)
                .unwrap()
        };
        let fut = || -> Box<dyn Future<Output = Result<(), HttpError>> + Send> {
            Box::new(async { Ok(()) })
        };
        let mut strict = Outbound::new(vec![origin(&base)], Some("secret"))
            .reaching(crate::reach::Reach::default());
        let refused = Box::into_pin(strict.send_request(request(), None, fut())).await;
        assert!(
            matches!(refused, Err(HttpError::DestinationIpProhibited)),
            "{:?}",
            refused.err()
        );
        assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing was sent");
        // Where the administrator allows private addresses, it goes through.
        let mut open = Outbound::new(vec![origin(&base)], Some("secret"))
            .reaching(crate::reach::Reach::anywhere());
        let (response, _io) = Box::into_pin(open.send_request(request(), None, fut()))
            .await
            .expect("allowed");
        assert_eq!(response.status(), 200);
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }
}
