//! A profile's sources and records.

use super::extract::{Access, Client, Edit, Read};
use super::openapi::{BadRequest, FhirResource, NotFound, Unprocessable};
use super::{ApiJson, ApiPath, ApiQuery, AppState, Problem, Routes};
use crate::records;
use crate::records::RecordPage;
use crate::records::labs::{LabSeries, LabTest};
use crate::records::provenance::Provenance;
use crate::records::search::{Cursor, Related, Search, TimelinePage, TimelineQuery};
use crate::records::summary::HealthSummary;
use crate::sources::{NewSource, Source};
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The data routes' description.
#[derive(OpenApi)]
#[openapi(paths(
    list_sources,
    create_source,
    get_source,
    remove_source,
    list_records,
    get_record,
    related,
    provenance,
    search,
    timeline,
    lab_tests,
    lab_series,
    health_summary
))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/profiles/{profile}/sources", list_sources)
        .post("/profiles/{profile}/sources", create_source)
        .get("/profiles/{profile}/sources/{source}", get_source)
        .delete("/profiles/{profile}/sources/{source}", remove_source)
        .get("/profiles/{profile}/records", list_records)
        .get("/profiles/{profile}/records/{type}/{id}", get_record)
        .get("/profiles/{profile}/records/{type}/{id}/related", related)
        .get(
            "/profiles/{profile}/records/{type}/{id}/provenance",
            provenance,
        )
        .get("/profiles/{profile}/fhir/{type}", search)
        .get("/profiles/{profile}/timeline", timeline)
        .get("/profiles/{profile}/labs", lab_tests)
        .get("/profiles/{profile}/labs/series", lab_series)
        .get("/profiles/{profile}/summary", health_summary)
}

/// What the record says about the person now: active problems, current
/// medicines, allergies, immunizations, the latest vital signs, tests out of
/// range, and recent and upcoming visits, with the sources they came from.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/summary",
    tag = "data",
    operation_id = "health_summary",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The health summary", body = HealthSummary),
        (status = 404, response = NotFound),
    )
)]
async fn health_summary(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<Json<HealthSummary>, Problem> {
    let now = records::index::format_instant(chrono::Utc::now());
    Ok(Json(
        state.records.health_summary(&access.scope, &now).await?,
    ))
}

/// `GET …/labs`.
#[derive(Serialize, ToSchema)]
struct LabTestList {
    /// Tests with numeric results.
    tests: Vec<LabTest>,
}

/// The lab tests that have numeric results, with each one's latest.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/labs",
    tag = "data",
    operation_id = "list_lab_tests",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The tests", body = LabTestList),
        (status = 404, response = NotFound),
    )
)]
async fn lab_tests(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<Json<LabTestList>, Problem> {
    Ok(Json(LabTestList {
        tests: state.records.lab_tests(&access.scope).await?,
    }))
}

/// Query of `GET …/labs/series`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SeriesParams {
    /// `system|code`, or a bare code.
    code: String,
    /// Only results on or after this date (`YYYY[-MM[-DD]]` or a date-time).
    from: Option<String>,
    /// Only results before this date.
    to: Option<String>,
}

/// One test's numeric results over time, in one unit where UCUM converts.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/labs/series",
    tag = "data",
    operation_id = "lab_series",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), SeriesParams),
    responses(
        (status = 200, description = "The series", body = LabSeries),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
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
    let series = match (&q.from, &q.to) {
        (None, None) => series,
        (from, to) => within(&series, from.as_deref(), to.as_deref())?,
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], series))
}

/// The served series `json` with only the points dated in `[from, to)`; a
/// point without a date is outside every window. The cached series is read
/// as it is stored, so kept values keep their digits.
fn within(json: &str, from: Option<&str>, to: Option<&str>) -> Result<String, Problem> {
    let lo = from
        .map(|f| records::search::parse_date_filter("from", f))
        .transpose()?
        .map(|f| f.lo);
    let hi = to
        .map(|t| records::search::parse_date_filter("to", t))
        .transpose()?
        .map(|t| t.lo);
    let mut series: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    if let Some(points) = series["points"].as_array_mut() {
        points.retain(|p| {
            let Some(date) = p["date"].as_str() else {
                return false;
            };
            let date = records::index::normalize_date(date);
            lo.as_ref().is_none_or(|lo| date.as_str() >= lo.as_str())
                && hi.as_ref().is_none_or(|hi| date.as_str() < hi.as_str())
        });
    }
    Ok(series.to_string())
}

/// A searchset Bundle; entries embed the stored JSON verbatim.
#[derive(Serialize, ToSchema)]
#[schema(as = SearchsetBundle)]
#[serde(rename_all = "camelCase")]
struct Bundle<'a> {
    /// `Bundle`.
    #[schema(value_type = String)]
    resource_type: &'static str,
    /// `searchset`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    kind: &'static str,
    /// All matches, when asked for with `_total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    total: Option<u64>,
    /// `self`, and `next` when there is another page.
    link: Vec<Link>,
    /// The matches.
    entry: Vec<Entry<'a>>,
}

/// A link of a searchset Bundle.
#[derive(Serialize, ToSchema)]
#[schema(as = BundleLink)]
struct Link {
    /// `self` or `next`.
    #[schema(value_type = String)]
    relation: &'static str,
    /// Absolute URL.
    url: String,
}

/// An entry of a searchset Bundle.
#[derive(Serialize, ToSchema)]
#[schema(as = BundleEntry)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    /// The record's absolute URL.
    full_url: String,
    /// The resource as stored.
    #[schema(value_type = FhirResource)]
    resource: &'a serde_json::value::RawValue,
    /// `match`.
    search: EntrySearch,
}

/// Why an entry is in the Bundle.
#[derive(Serialize, ToSchema)]
#[schema(as = BundleEntrySearch)]
struct EntrySearch {
    /// `match`.
    #[schema(value_type = String)]
    mode: &'static str,
}

/// `GET …/fhir/{type}?…`: FHIR search over the profile, as a searchset Bundle.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/fhir/{type}",
    tag = "data",
    operation_id = "fhir_search",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type (`Observation`)"),
        ("_id" = Option<String>, Query, description = "Comma-separated ids"),
        ("date" = Option<Vec<String>>, Query, explode, description = "Clinical date with an optional prefix (`ge2020-01-01`); may repeat"),
        ("_lastUpdated" = Option<Vec<String>>, Query, explode, description = "Last update with an optional prefix; may repeat"),
        ("code" = Option<String>, Query, description = "Tokens `system|code`, `code` or `system|`, comma-separated"),
        ("category" = Option<String>, Query, description = "Tokens, comma-separated"),
        ("component-code" = Option<String>, Query, description = "Tokens, comma-separated"),
        ("status" = Option<String>, Query, description = "Statuses, comma-separated"),
        ("_text" = Option<String>, Query, description = "Words to find in the record's text"),
        ("_sort" = Option<String>, Query, description = "`date`, `-date` (default), `_lastUpdated` or `-_lastUpdated`"),
        ("_count" = Option<u32>, Query, description = "Page size (default 50, at most 1000)"),
        ("_total" = Option<String>, Query, description = "`none` (default), `estimate` or `accurate`: fill in `total`"),
        ("_cursor" = Option<String>, Query, description = "Where the page starts (from a `next` link)"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle", content_type = "application/fhir+json", body = Bundle<'static>),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
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
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TimelineParams {
    /// Comma-separated resource types.
    #[serde(rename = "type")]
    types: Option<String>,
    /// Only this source's records.
    source: Option<String>,
    /// On or after this date (`YYYY[-MM[-DD]]` or a date-time).
    from: Option<String>,
    /// Before this date.
    to: Option<String>,
    /// Only records whose words match (each word a prefix: `gluc` finds glucose).
    q: Option<String>,
    /// Page size (default 50, 1-500).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The profile's records as a timeline, newest first (undated last).
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/timeline",
    tag = "data",
    operation_id = "timeline",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), TimelineParams),
    responses(
        (status = 200, description = "A page of the timeline", body = TimelinePage),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
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
        text: q.q.filter(|t| !t.trim().is_empty()),
        limit,
        cursor,
    };
    Ok(Json(state.records.timeline(&access.scope, &query).await?))
}

/// What a record references and what references it.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/records/{type}/{id}/related",
    tag = "data",
    operation_id = "related_records",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type"),
        ("id" = String, Path, description = "Resource id"),
    ),
    responses(
        (status = 200, description = "The related records", body = Related),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
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

/// Where a record came from: each source that sent it, and when it was stored.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/records/{type}/{id}/provenance",
    tag = "data",
    operation_id = "record_provenance",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type"),
        ("id" = String, Path, description = "Resource id"),
    ),
    responses(
        (status = 200, description = "The sources that sent the record", body = Provenance),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn provenance(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, resource_type, id)): ApiPath<(String, String, String)>,
) -> Result<impl IntoResponse, Problem> {
    check_type_and_id(&resource_type, &id)?;
    let provenance = state
        .records
        .provenance(&access.scope, &resource_type, &id)
        .await?
        .ok_or_else(|| not_stored(&resource_type, &id))?;
    Ok(Json(provenance))
}

/// Register a FHIR server with a bearer token as a source.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/sources",
    tag = "data",
    operation_id = "create_source",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = NewSource,
    responses(
        (status = 201, description = "The new source", body = Source),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn create_source(
    State(state): State<AppState>,
    access: Access<Edit>,
    ApiJson(new): ApiJson<NewSource>,
) -> Result<impl IntoResponse, Problem> {
    let source = state.sources.create(&access.scope, new).await?;
    Ok((StatusCode::CREATED, Json(source)))
}

/// `GET …/sources`.
#[derive(Serialize, ToSchema)]
struct SourceList {
    /// The profile's sources.
    sources: Vec<Source>,
}

/// The profile's sources.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/sources",
    tag = "data",
    operation_id = "list_sources",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The sources", body = SourceList),
        (status = 404, response = NotFound),
    )
)]
async fn list_sources(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<Json<SourceList>, Problem> {
    Ok(Json(SourceList {
        sources: state.sources.list(&access.scope).await?,
    }))
}

/// One source.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/sources/{source}",
    tag = "data",
    operation_id = "get_source",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("source" = String, Path, description = "Source id")),
    responses(
        (status = 200, description = "The source", body = Source),
        (status = 404, response = NotFound),
    )
)]
async fn get_source(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    Ok(Json(state.sources.get(&access.scope, &id).await?))
}

/// Remove a source (a portal connection, an upload, typed-in records) and
/// every record it brought; it is no longer listed or synced. Audited;
/// records another source also sent stay; undo it while it is kept.
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}/sources/{source}",
    tag = "data",
    operation_id = "remove_source",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("source" = String, Path, description = "Source id")),
    responses(
        (status = 200, description = "Removed; `label` is the source's name, `records` how many went", body = crate::removals::Removal),
        (status = 404, response = NotFound),
        (status = 409, response = super::openapi::Conflict),
    )
)]
async fn remove_source(
    State(state): State<AppState>,
    access: Access<Edit>,
    Client(client): Client,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<Json<crate::removals::Removal>, Problem> {
    let removal = state.removals.remove_source(&access.scope, &id).await?;
    super::removals::audit(
        &state,
        "source-removed",
        access.scope.user_id(),
        access.scope.id(),
        &client,
        &removal,
    )
    .await;
    Ok(Json(removal))
}

/// Query of `GET /api/records`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RecordQuery {
    /// Only this resource type.
    #[serde(rename = "type")]
    resource_type: Option<String>,
    /// 1-based page (default 1).
    page: Option<u64>,
    /// Page size (default 50, 1-1000).
    per_page: Option<u64>,
}

/// The profile's stored records, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/records",
    tag = "data",
    operation_id = "list_records",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), RecordQuery),
    responses(
        (status = 200, description = "A page of records", body = RecordPage),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
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

/// One record as received; where it came from rides in headers.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/records/{type}/{id}",
    tag = "data",
    operation_id = "get_record",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("type" = String, Path, description = "FHIR resource type"),
        ("id" = String, Path, description = "Resource id"),
    ),
    responses(
        (status = 200, description = "The resource", content_type = "application/fhir+json", body = FhirResource,
            headers(
                ("X-Hearth-Source" = String, description = "The source it came from"),
                ("X-Hearth-Also-From" = String, description = "Other sources that sent the same fact: `source/id, ...`"),
            )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
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
