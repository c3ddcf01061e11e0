//! The transport to the model endpoint an administrator configured. Adapters
//! name a path under it and a body; the host adds the credentials, refuses
//! anything outside the endpoint (no other host, no `..`, no redirects),
//! and streams the reply with a limit on how long it may go quiet.

use crate::plugins::ports::{ModelBody, ModelEndpoint, ModelError};
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, TryStreamExt};
use std::time::Duration;
use url::Url;

/// Time allowed to connect to the endpoint.
const CONNECT: Duration = Duration::from_secs(10);
/// Bytes of an error reply kept for the message.
const ERROR_EXCERPT: usize = 300;

/// The configured endpoint, ready to post to.
#[derive(Clone)]
pub struct HttpEndpoint {
    client: reqwest::Client,
    base: Url,
    api_key: Option<String>,
    quiet: Duration,
}

impl HttpEndpoint {
    /// Posts under `base`, with `api_key` as a bearer token when set; a reply
    /// may go quiet (before its head, or between pieces) for at most `quiet`.
    pub fn new(base: &Url, api_key: Option<String>, quiet: Duration) -> Result<Self, ModelError> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT)
            // A redirect could lead anywhere; the endpoint is where it is.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| ModelError::Upstream(format!("the HTTP client failed to start: {e}")))?;
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(HttpEndpoint {
            client,
            base,
            api_key,
            quiet,
        })
    }

    /// The URL of `path` under the endpoint, if it stays under it.
    pub fn url_of(&self, path: &str) -> Result<Url, ModelError> {
        let fine = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
            && !path.starts_with('/')
            && !path.split('/').any(|seg| seg == ".." || seg == ".");
        if !fine {
            return Err(ModelError::Invalid(format!(
                "{path:?} is not a path under the model endpoint (letters, digits, `/`, `-`, `_`, `.`; no `..`)"
            )));
        }
        self.base
            .join(path)
            .map_err(|e| ModelError::Invalid(format!("{path:?}: {e}")))
    }

    async fn post_now(&self, path: String, body: String) -> Result<ModelBody, ModelError> {
        let url = self.url_of(&path)?;
        let mut request = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let quiet = self.quiet;
        let response = tokio::time::timeout(quiet, request.send())
            .await
            .map_err(|_| {
                ModelError::Upstream(format!(
                    "{} did not answer within {} s",
                    host_of(&url),
                    quiet.as_secs()
                ))
            })?
            .map_err(|e| ModelError::Upstream(format!("{}: {}", host_of(&url), plain(e))))?;
        let status = response.status();
        if !status.is_success() {
            let excerpt = tokio::time::timeout(quiet, response.bytes())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(ERROR_EXCERPT)]).into_owned())
                .unwrap_or_default();
            let message = format!("HTTP {}: {}", status.as_u16(), excerpt.trim());
            return Err(match status.as_u16() {
                401 | 403 => ModelError::Unauthorized(message),
                429 => ModelError::RateLimited(message),
                _ => ModelError::Upstream(message),
            });
        }
        let host = host_of(&url);
        let stream = response
            .bytes_stream()
            .map_err(move |e| ModelError::Upstream(format!("the reply broke off: {}", plain(e))));
        // Each piece must come within `quiet` of the one before.
        let body = futures_util::stream::unfold((Box::pin(stream), false), move |(mut s, done)| {
            let host = host.clone();
            async move {
                if done {
                    return None;
                }
                match tokio::time::timeout(quiet, s.next()).await {
                    Ok(Some(item)) => {
                        let failed = item.is_err();
                        Some((item, (s, failed)))
                    }
                    Ok(None) => None,
                    Err(_) => Some((
                        Err(ModelError::Upstream(format!(
                            "{host} went quiet for {} s in the middle of its reply",
                            quiet.as_secs()
                        ))),
                        (s, true),
                    )),
                }
            }
        });
        Ok(body.boxed())
    }
}

/// An endpoint as people name it: host and port.
pub(super) fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

/// A transport error without the URL's query or the request's details.
fn plain(e: reqwest::Error) -> String {
    if e.is_connect() {
        "could not connect".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        e.without_url().to_string()
    }
}

impl ModelEndpoint for HttpEndpoint {
    fn post(&self, path: String, body: String) -> BoxFuture<'_, Result<ModelBody, ModelError>> {
        Box::pin(self.post_now(path, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_endpoint() {
        let base = Url::parse("https://models.example/v1").expect("url");
        let e = HttpEndpoint::new(&base, None, Duration::from_secs(5)).expect("client");
        assert_eq!(
            e.url_of("chat/completions").expect("fine").as_str(),
            "https://models.example/v1/chat/completions"
        );
        assert_eq!(
            e.url_of("").expect("fine").as_str(),
            "https://models.example/v1/"
        );
        for bad in [
            "../admin",
            "/etc",
            "//evil.example/x",
            "https://evil.example/",
            "a?b=c",
            "chat/../../x",
        ] {
            assert!(
                matches!(e.url_of(bad), Err(ModelError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
