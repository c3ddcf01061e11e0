//! The login, consent and error pages. Every interpolated value goes through `escape`.

use super::super::{Sandbox, escape};
use super::Pending;
use super::scopes::describe;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f4f0;color:#222}\
main{max-width:32rem;margin:3rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px}\
label{font-weight:600}select,input{font:inherit;width:100%;padding:.4rem;box-sizing:border-box}\
button{font:inherit;padding:.5rem 1.2rem;margin-right:.5rem}.error{color:#a00;font-weight:600}";

/// A whole HTML page; `body` must already be escaped.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Hearth sandbox</title><style>{CSS}</style></head>\
         <body><main>{body}</main></body></html>",
        escape(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // The consent page must not be framed (clickjacking).
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response()
}

/// A page for a request that cannot be sent back to the client.
pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "Request refused",
        &format!(
            "<h1>This request cannot go on</h1><p role=\"alert\" id=\"error\" class=\"error\">{}</p>",
            escape(message)
        ),
    )
}

/// The login page: pick a patient (`#patient`), type the password (`#password`), `#sign-in`.
pub(super) fn login_page(
    state: &Sandbox,
    req: &str,
    pending: &Pending,
    error: Option<(StatusCode, &str)>,
) -> Response {
    let hint = pending
        .login_hint
        .as_deref()
        .map(|h| h.strip_prefix("Patient/").unwrap_or(h));
    let options: String = state
        .data
        .patients
        .iter()
        .map(|p| {
            let label = if p.name.is_empty() {
                p.id.clone()
            } else {
                format!("{} ({})", p.name, p.id)
            };
            let selected = if hint == Some(p.id.as_str()) {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                escape(&p.id),
                escape(&label)
            )
        })
        .collect();
    let (status, alert) = match error {
        Some((status, text)) => (
            status,
            format!(
                "<p role=\"alert\" id=\"error\" class=\"error\">{}</p>",
                escape(text)
            ),
        ),
        None => (StatusCode::OK, String::new()),
    };
    let body = format!(
        "<h1>Sign in</h1>\
         <p><strong>{client}</strong> asks to read health records from the Hearth sandbox.</p>\
         {alert}\
         <form method=\"post\" action=\"login\" id=\"login\">\
         <input type=\"hidden\" name=\"req\" value=\"{req}\">\
         <p><label for=\"patient\">Patient</label><br>\
         <select id=\"patient\" name=\"patient\" required>{options}</select></p>\
         <p><label for=\"password\">Password</label><br>\
         <input type=\"password\" id=\"password\" name=\"password\" required \
         autocomplete=\"current-password\" aria-describedby=\"password-hint\"></p>\
         <p id=\"password-hint\">This is a sandbox: the password is <code>{password}</code>.</p>\
         <p><button type=\"submit\" id=\"sign-in\">Sign in</button></p>\
         </form>",
        client = escape(&pending.client_id),
        req = escape(req),
        password = escape(&state.options.password),
    );
    page(status, "Sign in", &body)
}

/// The consent page: the scopes in words, then `#allow` / `#deny` (`decision=allow|deny`).
pub(super) fn consent_page(
    state: &Sandbox,
    req: &str,
    pending: &Pending,
    patient: &str,
) -> Response {
    let name = state
        .data
        .by_id
        .get(patient)
        .map(|&i| state.data.patients[i].name.as_str())
        .filter(|n| !n.is_empty());
    let who = match name {
        Some(n) => format!("{} ({})", escape(n), escape(patient)),
        None => escape(patient),
    };
    let items: String = pending
        .scopes
        .granted
        .iter()
        .map(|s| {
            format!(
                "<li>{} <code>{}</code></li>",
                escape(&describe(s)),
                escape(s)
            )
        })
        .collect();
    let not_offered = if pending.not_offered.is_empty() {
        String::new()
    } else {
        format!(
            "<p id=\"not-offered\">Also asked for, but not offered by the sandbox: <code>{}</code></p>",
            escape(&pending.not_offered.join(" "))
        )
    };
    let body = format!(
        "<h1>Allow access?</h1>\
         <p><strong>{client}</strong> asks to access the records of <strong>{who}</strong>:</p>\
         <ul id=\"scopes\">{items}</ul>{not_offered}\
         <form method=\"post\" action=\"consent\" id=\"consent\">\
         <input type=\"hidden\" name=\"req\" value=\"{req}\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\
         </form>",
        client = escape(&pending.client_id),
        req = escape(req),
    );
    page(StatusCode::OK, "Allow access", &body)
}
