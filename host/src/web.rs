//! The browser UI: the built frontend served at `/`, with client-side routing.
//!
//! Any path outside `/api` and `/sandbox` that is not a file of the build is
//! answered with `index.html`, so a deep link (`/profiles/p1/timeline`) or a
//! provider's redirect back to the UI opens the right page. A path that looks
//! like a file (it has an extension) and is missing is a real 404, so a broken
//! asset link shows as an error instead of a page of HTML. Hashed build assets
//! (`/assets/*`) are cached for a year; `index.html` never is, so an upgrade
//! shows at the next load. Without a build, `/` says how to make one instead
//! of answering with a blank page. The build ships each text file also as
//! `.br` and `.gz`; a browser that accepts one gets it as is (phones on a home
//! network load a third of the bytes, and the host compresses nothing itself).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// The UI's content security policy: its own scripts, styles and data only.
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The router serving the UI from `dir` (a Vite build: `index.html` and `assets/`).
pub fn router(dir: Option<&Path>) -> Router {
    let built = dir.filter(|d| d.join("index.html").is_file());
    let router = match built {
        Some(dir) => {
            let index = dir.join("index.html");
            let files = ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(true)
                .fallback(SpaFallback(index));
            Router::new().fallback_service(files)
        }
        None => Router::new().fallback(not_built),
    };
    router.layer(axum::middleware::from_fn(headers))
}

/// What `/` shows when no frontend build is configured.
async fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Hearth</title></head>\
             <body><main><h1>Hearth is running</h1><p>The web interface has not been built. \
             Run <code>make run</code>, or set <code>web_dir</code> to a built <code>frontend/dist</code>. \
             The API is at <a href=\"/api/health\">/api/health</a>.</p></main></body></html>",
        ),
    )
        .into_response()
}

/// Paths without an extension get `index.html` (client-side routes); others are 404.
#[derive(Clone)]
struct SpaFallback(PathBuf);

impl tower::Service<Request<Body>> for SpaFallback {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let index = self.0.clone();
        Box::pin(async move {
            let last = request.uri().path().rsplit('/').next().unwrap_or_default();
            if last.contains('.') {
                return Ok((StatusCode::NOT_FOUND, "no such file").into_response());
            }
            let mut serve = ServeFile::new(index)
                .precompressed_br()
                .precompressed_gzip();
            match tower::ServiceExt::oneshot(&mut serve, request).await {
                Ok(r) => Ok(r.into_response()),
                Err(e) => Ok((StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()),
            }
        })
    }
}

/// Security and caching headers on everything the UI serves.
async fn headers(request: Request<Body>, next: axum::middleware::Next) -> Response {
    // Only Vite's content-hashed assets may be cached for good.
    let hashed = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    let cache = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    if response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}
