//! A profile's sources and records.

use super::extract::{Access, Edit, Read};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::records;
use crate::records::search::{Cursor, Search, TimelineQuery};
use crate::sources::NewSource;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/profiles/{profile}/sources", list_sources)
        .post("/profiles/{profile}/sources", create_source)
        .get("/profiles/{profile}/sources/{source}", get_source)
        .get("/profiles/{profile}/records", list_records)
        .get("/profiles/{profile}/records/{type}/{id}", get_record)
        .get("/profiles/{profile}/records/{type}/{id}/related", related)
        .get("/profiles/{profile}/fhir/{type}", search)
        .get("/profiles/{profile}/timeline", timeline)
        .get("/profiles/{profile}/labs", lab_tests)
        .get("/profiles/{profile}/labs/series", lab_series)
}

async fn lab_tests(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        json!({ "tests": state.records.lab_tests(&access.scope).await? }),
    ))
}

/// Query of `GET …/labs/series`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesParams {
    /// `system|code`, or a bare code.
    code: String,
}

async fn lab_series(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(q): ApiQuery<SeriesParams>,
) -> Result<impl IntoResponse, Problem> {
    let (system, code) = match q.code.split_once('|') {
        Some((s, c)) => (Some(s), c),
        None => (None, q.code.as_str()),
    };
    if code.is_empty() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`code`: give system|code or a code",
        ));
    }
    let series = state
        .records
        .lab_series_json(&access.scope, system, code)
        .await?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no numeric results for {:?}", q.code),
            )
        })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], series))
}

/// A searchset Bundle; entries embed the stored JSON verbatim.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bundle<'a> {
    resource_type: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    link: Vec<Link>,
    entry: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Link {
    relation: &'static str,
    url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    full_url: String,
    resource: &'a serde_json::value::RawValue,
    search: EntrySearch,
}

#[derive(Serialize)]
struct EntrySearch {
    mode: &'static str,
}

/// `GET …/fhir/{type}?…`: FHIR search over the profile, as a searchset Bundle.
async fn search(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((profile, resource_type)): ApiPath<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let parsed = Search::parse(&resource_type, &params)?;
    let page = state.records.search(&access.scope, &parsed).await?;
    // Absolute URLs from the Host the client used (FHIR wants absolute fullUrls).
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let base = format!("http://{host}/api/profiles/{profile}");
    let link = |cursor: Option<String>| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(k, _)| k != "_cursor") {
            q.append_pair(k, v);
        }
        if let Some(c) = cursor {
            q.append_pair("_cursor", &c);
        }
        let q = q.finish();
        if q.is_empty() {
            format!("{base}/fhir/{resource_type}")
        } else {
            format!("{base}/fhir/{resource_type}?{q}")
        }
    };
    let mut links = vec![Link {
        relation: "self",
        url: link(parsed.cursor.as_ref().map(|c| c.encode())),
    }];
    if let Some(next) = &page.next {
        links.push(Link {
            relation: "next",
            url: link(Some(next.encode())),
        });
    }
    let bundle = Bundle {
        resource_type: "Bundle",
        kind: "searchset",
        total: page.total,
        link: links,
        entry: page
            .entries
            .iter()
            .map(|e| Entry {
                full_url: format!("{base}/records/{}/{}", e.resource_type, e.id),
                resource: &e.resource,
                search: EntrySearch { mode: "match" },
            })
            .collect(),
    };
    let body = serde_json::to_string(&bundle)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/fhir+json")], body).into_response())
}

/// Query of `GET …/timeline`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineParams {
    /// Comma-separated resource types.
    #[serde(rename = "type")]
    types: Option<String>,
    source: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn timeline(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(q): ApiQuery<TimelineParams>,
) -> Result<impl IntoResponse, Problem> {
    let bad = |detail: String| Problem::new(StatusCode::BAD_REQUEST, "invalid-query", detail);
    let types: Vec<String> = q
        .types
        .as_deref()
        .map(|t| t.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(t) = types.iter().find(|t| !records::is_type_name(t)) {
        return Err(bad(format!("`type`: {t:?} is not a FHIR resource type")));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(bad("`limit` must be 1 to 500".into()));
    }
    let cursor = q
        .cursor
        .as_deref()
        .map(|c| Cursor::decode("cursor", c))
        .transpose()?;
    let query = TimelineQuery {
        types,
        source: q.source,
        from: q.from,
        to: q.to,
        limit,
        cursor,
    };
    Ok(Json(state.records.timeline(&access.scope, &query).await?))
}

async fn related(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
) -> Result<impl IntoResponse, Problem> {
    check_type_and_id(&resource_type, &id)?;
    let related = state
        .records
        .related(&access.scope, &resource_type, &id)
        .await?
        .ok_or_else(|| not_stored(&resource_type, &id))?;
    Ok(Json(related))
}

async fn create_source(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiJson(new): ApiJson<NewSource>,
) -> Result<impl IntoResponse, Problem> {
    let source = state.sources.create(&access.scope, new).await?;
    Ok((StatusCode::CREATED, Json(source)))
}

async fn list_sources(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(
        json!({ "sources": state.sources.list(&access.scope).await? }),
    ))
}

async fn get_source(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.sources.get(&access.scope, &id).await?))
}

/// Query of `GET /api/records`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordQuery {
    #[serde(rename = "type")]
    resource_type: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

async fn list_records(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiQuery(q): ApiQuery<RecordQuery>,
) -> Result<impl IntoResponse, Problem> {
    if let Some(t) = &q.resource_type
        && !records::is_type_name(t)
    {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("`type`: {t:?} is not a FHIR resource type name"),
        ));
    }
    let page = q.page.unwrap_or(1);
    if page == 0 {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`page` starts at 1",
        ));
    }
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=1000).contains(&per_page) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "`per_page` must be 1 to 1000",
        ));
    }
    Ok(Json(
        state
            .records
            .list(&access.scope, q.resource_type.as_deref(), page, per_page)
            .await?,
    ))
}

async fn get_record(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
) -> Result<Response, Problem> {
    check_type_and_id(&resource_type, &id)?;
    let stored = state
        .records
        .get(&access.scope, &resource_type, &id)
        .await?
        .ok_or_else(|| not_stored(&resource_type, &id))?;
    // Provenance rides in headers so the body stays the resource as received.
    let also_from = stored
        .also_from
        .iter()
        .map(|a| format!("{}/{}", a.source_id, a.id))
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/fhir+json"),
            (
                header::HeaderName::from_static("x-hearth-source"),
                stored.source_id.as_str(),
            ),
        ],
        stored.resource.get().to_string(),
    )
        .into_response();
    if !also_from.is_empty()
        && let Ok(v) = header::HeaderValue::from_str(&also_from)
    {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-hearth-also-from"), v);
    }
    Ok(response)
}

/// A path's `{type}/{id}` must be a FHIR type name and id.
fn check_type_and_id(resource_type: &str, id: &str) -> Result<(), Problem> {
    if records::is_type_name(resource_type) && records::is_fhir_id(id) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-path",
            "expected …/records/{Type}/{id} with a FHIR type and id",
        ))
    }
}

fn not_stored(resource_type: &str, id: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no {resource_type}/{id} is stored"),
    )
}
