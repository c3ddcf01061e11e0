//! The OpenAPI 3.1 description of the API, generated from the handlers'
//! `#[utoipa::path]` attributes and the `ToSchema` types they return, so a
//! renamed field changes the document (and the UI's generated types) with it.

use crate::jobs::events::{JobEvent, ProgressEvent};
pub use crate::records::schema::FhirResource;
use crate::records::schema::fhir_object;
use std::borrow::Cow;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Ref, RefOr, Response, ResponseBuilder, ResponsesBuilder, ServerBuilder,
};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse, ToSchema};

/// The root of the document: metadata, the shared components, and the
/// per-module descriptions merged in by [`document`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth API",
        description = "The HTTP API of a Hearth host: accounts, profiles, sources, records, sync jobs. \
            Errors are RFC 9457 problem documents (`application/problem+json`). \
            Sign in with `POST /api/auth/sign-in` and send the access token as a bearer token, \
            or (browsers) ask for cookies with `use_cookies` and echo cookie `hearth_csrf` in \
            header `X-CSRF-Token` on every request that changes something."
    ),
    components(
        schemas(super::ProblemBody, FhirResource, FhirBundle, JobEvent, ProgressEvent),
        responses(
            BadRequest,
            Unauthenticated,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyAttempts,
            Internal,
            BadGateway,
            Unavailable
        )
    ),
    tags(
        (name = "account", description = "Health, first-run setup, sign-in and out, one's own sessions, password and second factor"),
        (name = "admin", description = "Accounts and the audit log (administrators)"),
        (name = "catalog", description = "The provider catalog"),
        (name = "connect", description = "Connecting providers with SMART App Launch"),
        (name = "jobs", description = "Sync jobs and the live event stream"),
        (name = "profiles", description = "Profiles and the grants on them"),
        (name = "transfer", description = "Uploads (imports) and exports"),
        (name = "manual", description = "Records typed in by hand, notes and attachments"),
        (name = "data", description = "A profile's sources and records"),
        (name = "dashboards", description = "Condition dashboards: which apply, drawing them, choices and layout"),
        (name = "chat", description = "Asking about one's records: the model endpoint (administrators), conversations, streamed and checked answers"),
        (name = "recommendations", description = "What is due: immunization forecasts and screenings, set aside with why, and the ImmDS forecast as FHIR"),
    ),
    modifiers(&Conventions)
)]
struct ApiDoc;

/// The whole description: [`ApiDoc`] with every module's paths merged in.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in parts() {
        doc.merge(part);
    }
    // The modifier ran on the root alone; the conventions apply to every operation.
    Conventions.modify(&mut doc);
    doc
}

/// Each module's description.
fn parts() -> [utoipa::openapi::OpenApi; 16] {
    [
        super::account::Doc::openapi(),
        super::admin::Doc::openapi(),
        super::catalog::Doc::openapi(),
        super::connect::Doc::openapi(),
        super::jobs::Doc::openapi(),
        super::profiles::Doc::openapi(),
        super::invitations::Doc::openapi(),
        super::removals::Doc::openapi(),
        super::transfer::Doc::openapi(),
        super::manual::Doc::openapi(),
        super::data::Doc::openapi(),
        super::views::Doc::openapi(),
        super::dashboards::Doc::openapi(),
        super::recommendations::Doc::openapi(),
        super::chat::Doc::openapi(),
        Doc::openapi(),
    ]
}

/// The document as pretty-printed JSON.
pub fn document_json() -> String {
    document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
}

/// This module's own route: the document itself.
#[derive(OpenApi)]
#[openapi(paths(openapi_json))]
pub(super) struct Doc;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.get("/openapi.json", openapi_json)
}

/// This description, as OpenAPI 3.1 JSON.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "account",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
async fn openapi_json() -> impl axum::response::IntoResponse {
    // Built once: the route is public, and the document never changes while the host runs.
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(document_json);
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

/// Shared security schemes, and the error answers every operation can give.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `access_token` from sign-in, setup, sign-up or refresh.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::extract::ACCESS_COOKIE,
                "Browsers: the HttpOnly access cookie set when signing in with `use_cookies`. \
                 Requests that change something (any method but GET) must also send header \
                 `X-CSRF-Token` with the value of cookie `hearth_csrf`.",
            ))),
        );
        if doc.servers.is_none() {
            doc.servers = Some(vec![
                ServerBuilder::new()
                    .url("/")
                    .description(Some("The host serving this document"))
                    .build(),
            ]);
        }
        for item in doc.paths.paths.values_mut() {
            let operations = [
                (false, item.get.as_mut()),
                (true, item.post.as_mut()),
                (true, item.put.as_mut()),
                (true, item.patch.as_mut()),
                (true, item.delete.as_mut()),
            ];
            for (changes, op) in operations {
                if let Some(op) = op {
                    add_common_answers(op, changes);
                    optional_body_not_null(op);
                }
            }
        }
    }
}

/// A signed-in operation can answer 401 (and, changing something, 403 for a
/// missing CSRF header); any operation can fail with 500.
fn add_common_answers(op: &mut Operation, changes: bool) {
    let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let answers = &mut op.responses.responses;
    let mut add = |status: &str, response: &str| {
        answers
            .entry(status.to_string())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(response)));
    };
    if signed_in {
        add("401", "Unauthenticated");
        if changes {
            add("403", "Forbidden");
        }
    }
    add("500", "Internal");
    // Keep the statuses in order, as people read them.
    let mut sorted: Vec<_> = std::mem::take(answers).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    op.responses = sorted
        .into_iter()
        .fold(ResponsesBuilder::new(), |b, (status, r)| {
            b.response(status, r)
        })
        .build();
}

/// An optional body is described by its type (utoipa makes `Option<T>` a
/// `oneOf` with `null`; leaving the body out is what optional means).
fn optional_body_not_null(op: &mut Operation) {
    use utoipa::openapi::schema::{SchemaType, Type as T};
    let Some(body) = op.request_body.as_mut() else {
        return;
    };
    for content in body.content.values_mut() {
        let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else {
            continue;
        };
        let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(T::Null));
        let rest: Vec<_> = one_of
            .items
            .iter()
            .filter(|s| !is_null(s))
            .cloned()
            .collect();
        if let [only] = rest.as_slice()
            && rest.len() < one_of.items.len()
        {
            content.schema = Some(only.clone());
        }
    }
}

/// A problem answer with `description`.
fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

macro_rules! problem_answers {
    ($($(#[$doc:meta])* $name:ident => $description:literal,)*) => {
        $(
            $(#[$doc])*
            pub(crate) struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), problem($description))
                }
            }
        )*
    };
}

problem_answers! {
    /// 400.
    BadRequest => "The query, path or body is malformed (`invalid-query`, `invalid-path`, `malformed-json`, `bad-body`, ...)",
    /// 401.
    Unauthenticated => "No valid credentials (`unauthenticated`, `invalid-credentials`, `totp-required`)",
    /// 403.
    Forbidden => "Not allowed: a role too low, an administrator-only route, or a cookie-authenticated change without `X-CSRF-Token` (`forbidden`, `csrf`)",
    /// 404.
    NotFound => "No such thing, or no access to the profile it belongs to (`not-found`)",
    /// 409.
    Conflict => "The request conflicts with the current state (the problem's `type` says how)",
    /// 413.
    PayloadTooLarge => "The body is larger than the limit (`body-too-large`, `upload-too-large`, `attachment-too-large`)",
    /// 415.
    UnsupportedMediaType => "The body's content type is not accepted",
    /// 422.
    Unprocessable => "The body is well-formed but invalid (`invalid-body`, `invalid-field`, `invalid-record`, `invalid-entry`, ...)",
    /// 429.
    TooManyAttempts => "Too many failed sign-ins; see `Retry-After` (`too-many-attempts`)",
    /// 500.
    Internal => "The host failed (`internal`)",
    /// 502.
    BadGateway => "The provider or its connector failed (`provider-unreachable`, `provider-refused`, `plugin-*`, `sync-failed`)",
    /// 503.
    Unavailable => "Provider connections are turned off on this host (`connections-off`)",
}

/// A FHIR R4 Bundle (export, International Patient Summary).
pub struct FhirBundle;

impl PartialSchema for FhirBundle {
    fn schema() -> RefOr<Schema> {
        fhir_object("a FHIR R4 Bundle resource (JSON): `resourceType` is `Bundle`")
    }
}

impl ToSchema for FhirBundle {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("FhirBundle")
    }
}

/// Raw bytes in a body (uploads, attachments, NDJSON, zip).
pub(crate) struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("binary".into())))
            .into()
    }
}

impl ToSchema for Binary {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn doc() -> Value {
        serde_json::from_str(&document_json()).expect("the document is JSON")
    }

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    #[test]
    fn the_document_describes_exactly_the_routes_there_are() {
        let doc = doc();
        let described: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(move |m| (m.to_uppercase(), path.clone()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = super::super::route_list()
            .into_iter()
            .map(|(m, p)| (m.to_string(), p))
            .collect();
        let undescribed: Vec<_> = routed.difference(&described).collect();
        let unrouted: Vec<_> = described.difference(&routed).collect();
        assert!(
            undescribed.is_empty(),
            "routes without a description: {undescribed:?}"
        );
        assert!(
            unrouted.is_empty(),
            "described routes that do not exist: {unrouted:?}"
        );
    }

    #[test]
    fn every_operation_has_a_success_answer_a_tag_and_a_unique_id() {
        let doc = doc();
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for m in METHODS {
                let Some(op) = item.get(m) else { continue };
                let responses = op["responses"].as_object().expect("responses");
                assert!(
                    responses
                        .keys()
                        .any(|s| s.starts_with('2') || s.starts_with('3')),
                    "{m} {path} has no success answer"
                );
                assert!(
                    responses.keys().any(|s| s.starts_with('2')) || path == "/api/smart/callback",
                    "{m} {path} has no 2xx answer"
                );
                assert_eq!(op["tags"].as_array().map(Vec::len), Some(1), "{m} {path}");
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
                for param in op["parameters"].as_array().into_iter().flatten() {
                    if param["in"] == "path" {
                        let name = param["name"].as_str().expect("name");
                        assert!(path.contains(&format!("{{{name}}}")), "{m} {path}: {name}");
                    }
                }
                let declared = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .count();
                assert_eq!(
                    declared,
                    path.matches('{').count(),
                    "{m} {path}: path parameters"
                );
            }
        }
    }

    fn refs<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = doc();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(
            found.len() > 50,
            "suspiciously few references: {}",
            found.len()
        );
        for r in found {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{r} is not local"));
            assert!(
                r.starts_with("#/components/schemas/") || r.starts_with("#/components/responses/"),
                "{r} points outside the components"
            );
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }

    #[test]
    fn event_payloads_and_the_problem_are_named_components() {
        let doc = doc();
        for name in [
            "Problem",
            "JobEvent",
            "ProgressEvent",
            "FhirResource",
            "Job",
            "User",
        ] {
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "no schema {name}"
            );
        }
        let required = doc["components"]["schemas"]["Problem"]["required"].clone();
        for field in ["type", "title", "status", "detail"] {
            assert!(
                required
                    .as_array()
                    .expect("required")
                    .contains(&field.into()),
                "{field}"
            );
        }
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["cookie"]["name"],
            "hearth_access"
        );
    }

    #[test]
    fn no_two_types_share_a_schema_name() {
        // Merging keeps the first schema of a name: a second type with the
        // same name would silently describe the wrong body.
        let doc = document();
        let merged = doc.components.expect("components").schemas;
        for part in parts() {
            for (name, schema) in part.components.map(|c| c.schemas).unwrap_or_default() {
                assert_eq!(
                    serde_json::to_value(&merged[&name]).ok(),
                    serde_json::to_value(&schema).ok(),
                    "two different schemas are named {name}"
                );
            }
        }
    }

    #[test]
    fn public_routes_need_no_credentials_and_the_rest_do() {
        let doc = doc();
        let public = [
            ("get", "/api/health"),
            ("get", "/api/setup"),
            ("post", "/api/setup"),
            ("post", "/api/auth/sign-in"),
            ("post", "/api/auth/sign-up"),
            ("post", "/api/auth/refresh"),
            ("get", "/api/smart/callback"),
            ("get", "/api/openapi.json"),
            // An invitation link's token is its credential.
            ("get", "/api/invitations/{token}"),
            ("post", "/api/invitations/{token}/accept"),
        ];
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for m in METHODS {
                let Some(op) = item.get(m) else { continue };
                let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
                let is_public = public.contains(&(m, path.as_str()));
                assert_eq!(secured, !is_public, "{m} {path}: security");
                if secured {
                    assert!(op["responses"].get("401").is_some(), "{m} {path}: 401");
                }
            }
        }
    }
}
