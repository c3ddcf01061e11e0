//! Queries over a profile's index: FHIR search (a subset, answered as a
//! searchset page), the timeline, and related records. Every query takes a
//! [`ProfileScope`], pages by keyset cursor (so page 1,000 costs what page 1
//! does), and reads only index columns until the page's JSON is fetched.

use super::duplicates::AlsoFrom;
use super::index::{format_instant, param};
use super::{RecordStore, StoreError, StoredResource, is_fhir_id, is_type_name, stored};
use crate::auth::ProfileScope;
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// Most parameters one search may have.
pub const MAX_PARAMETERS: usize = 64;

/// The search parameters understood, for the error that lists them.
pub const SUPPORTED: &str = "_id, _lastUpdated, date, code, category, component-code, status, _text, _sort, _count, _total, _cursor";
/// Largest page.
pub const MAX_COUNT: u32 = 1000;

/// A search request that cannot be answered, with the parameter at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QueryError {
    /// Not a parameter Hearth supports.
    #[error("unsupported search parameter `{0}`; supported: {SUPPORTED}")]
    Unsupported(String),
    /// A supported parameter with a value it cannot use.
    #[error("`{param}`: {reason}")]
    Invalid {
        /// The parameter.
        param: String,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(param: &str, reason: impl Into<String>) -> QueryError {
    QueryError::Invalid {
        param: param.to_string(),
        reason: reason.into(),
    }
}

/// A date comparison prefix (FHIR search).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prefix {
    /// Within the value's range.
    Eq,
    /// Outside it.
    Ne,
    /// Before it starts.
    Lt,
    /// Before it ends.
    Le,
    /// After it ends.
    Gt,
    /// After it starts.
    Ge,
    /// Starts after it (same as `gt` for the single dates stored).
    Sa,
    /// Ends before it (same as `lt`).
    Eb,
    /// Approximately: the range widened by 10% of its distance from now (at least a day).
    Ap,
}

/// A date condition as a half-open text range `[lo, hi)` over the stored keys.
#[derive(Debug, Clone, PartialEq)]
pub struct DateFilter {
    /// The comparison.
    pub prefix: Prefix,
    /// Inclusive lower bound.
    pub lo: String,
    /// Exclusive upper bound.
    pub hi: String,
}

/// Parse a FHIR date search value (`ge2020-01`, `2021-03-04T10:00:00+01:00`).
pub fn parse_date_filter(name: &str, value: &str) -> Result<DateFilter, QueryError> {
    let (prefix, rest) = match value.get(..2) {
        Some(p) if p.bytes().all(|b| b.is_ascii_lowercase()) => {
            let prefix = match p {
                "eq" => Prefix::Eq,
                "ne" => Prefix::Ne,
                "lt" => Prefix::Lt,
                "le" => Prefix::Le,
                "gt" => Prefix::Gt,
                "ge" => Prefix::Ge,
                "sa" => Prefix::Sa,
                "eb" => Prefix::Eb,
                "ap" => Prefix::Ap,
                other => return Err(invalid(name, format!("unknown prefix `{other}`"))),
            };
            (prefix, &value[2..])
        }
        _ => (Prefix::Eq, value),
    };
    let bad = || {
        invalid(
            name,
            format!("{rest:?} is not a date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time with zone)"),
        )
    };
    let (lo, hi) = if rest.contains('T') {
        // A date-time: to UTC; its precision is the second (or minute if seconds are absent).
        let with_seconds = if rest.len() >= 19 && rest.as_bytes().get(16) == Some(&b':') {
            rest.to_string()
        } else {
            // hh:mm → hh:mm:00, keeping the zone.
            let (head, zone) = rest.split_at(
                rest.find(['Z', '+'])
                    .or_else(|| rest.rfind('-').filter(|i| *i > 10))
                    .ok_or_else(bad)?,
            );
            format!("{head}:00{zone}")
        };
        let t = chrono::DateTime::parse_from_rfc3339(&with_seconds)
            .map_err(|_| bad())?
            .with_timezone(&Utc);
        let step = if with_seconds.len() == rest.len() {
            chrono::Duration::seconds(1)
        } else {
            chrono::Duration::minutes(1)
        };
        (t, t + step)
    } else {
        let parts: Vec<&str> = rest.split('-').collect();
        let num = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
                .ok_or_else(bad)
        };
        let date = |y: u32, m: u32, d: u32| NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(bad);
        let (start, end) = match parts.as_slice() {
            [y] => {
                let y = num(y, 4)?;
                (date(y, 1, 1)?, date(y + 1, 1, 1)?)
            }
            [y, m] => {
                let (y, m) = (num(y, 4)?, num(m, 2)?);
                let start = date(y, m, 1)?;
                let end = if m == 12 {
                    date(y + 1, 1, 1)?
                } else {
                    date(y, m + 1, 1)?
                };
                (start, end)
            }
            [y, m, d] => {
                let start = date(num(y, 4)?, num(m, 2)?, num(d, 2)?)?;
                (start, start.succ_opt().ok_or_else(bad)?)
            }
            _ => return Err(bad()),
        };
        // Dates stay dates (stored partial dates compare as prefixes).
        let text = |d: NaiveDate, parts: usize| match parts {
            1 => format!("{:04}", d.year()),
            2 => format!("{:04}-{:02}", d.year(), d.month()),
            _ => d.format("%Y-%m-%d").to_string(),
        };
        if prefix != Prefix::Ap {
            return Ok(DateFilter {
                prefix,
                lo: text(start, parts.len()),
                hi: text(end, parts.len()),
            });
        }
        let midnight =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
        (midnight(start), midnight(end))
    };
    if prefix == Prefix::Ap {
        let now = Utc::now();
        let distance = (now - lo).abs().max((now - hi).abs());
        let widen = (distance / 10).max(chrono::Duration::days(1));
        return Ok(DateFilter {
            prefix,
            lo: format_instant(lo - widen),
            hi: format_instant(hi + widen),
        });
    }
    Ok(DateFilter {
        prefix,
        lo: format_instant(lo),
        hi: format_instant(hi),
    })
}

/// One `system|code` alternative of a token search.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenFilter {
    /// `None`: any system; `Some("")`: no system.
    pub system: Option<String>,
    /// `None`: any code in the system.
    pub code: Option<String>,
}

fn parse_tokens(name: &str, value: &str) -> Result<Vec<TokenFilter>, QueryError> {
    value
        .split(',')
        .map(|alt| {
            let (system, code) = match alt.split_once('|') {
                Some((s, c)) => (Some(s.to_string()), (!c.is_empty()).then(|| c.to_string())),
                None => (None, Some(alt.to_string())),
            };
            if code.is_none() && system.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(
                    name,
                    format!("{alt:?} names neither a system nor a code"),
                ));
            }
            Ok(TokenFilter { system, code })
        })
        .collect()
}

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SortKey {
    /// By clinical date.
    Date,
    /// By last update.
    LastUpdated,
}

/// A parsed search.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The resource type searched.
    pub resource_type: String,
    /// `_id` alternatives.
    pub ids: Vec<String>,
    /// `date` conditions (ANDed).
    pub date: Vec<DateFilter>,
    /// `_lastUpdated` conditions (ANDed).
    pub last_updated: Vec<DateFilter>,
    /// Token conditions: (parameter, alternatives); ANDed across entries.
    pub tokens: Vec<(&'static str, Vec<TokenFilter>)>,
    /// `status` alternatives, per repetition (ANDed).
    pub status: Vec<Vec<String>>,
    /// `_text` words.
    pub text: Option<String>,
    /// Sort key and whether descending.
    pub sort: (SortKey, bool),
    /// Page size.
    pub count: u32,
    /// Whether to count all matches.
    pub total: bool,
    /// Where the previous page ended.
    pub cursor: Option<Cursor>,
}

/// A keyset position: the last row's sort value and id.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// Sort column value.
    pub key: String,
    /// Row id.
    pub id: i64,
}

impl Cursor {
    /// Opaque text form.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}\u{1f}{}", self.key, self.id))
    }

    /// Back from [`Cursor::encode`].
    pub fn decode(name: &str, text: &str) -> Result<Cursor, QueryError> {
        let bad = || invalid(name, "not a cursor this server issued");
        let raw = String::from_utf8(hex::decode(text).map_err(|_| bad())?).map_err(|_| bad())?;
        let (key, id) = raw.split_once('\u{1f}').ok_or_else(bad)?;
        Ok(Cursor {
            key: key.to_string(),
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl Search {
    /// Parse the query parameters of `GET …/fhir/{resource_type}`.
    pub fn parse(resource_type: &str, params: &[(String, String)]) -> Result<Search, QueryError> {
        // Each parameter becomes SQL; a thousand repeats would exceed what one statement can hold.
        if params.len() > MAX_PARAMETERS {
            return Err(invalid(
                "parameters",
                format!(
                    "{} parameters; a search takes at most {MAX_PARAMETERS}",
                    params.len()
                ),
            ));
        }
        if !is_type_name(resource_type) {
            return Err(invalid(
                "type",
                format!("{resource_type:?} is not a FHIR resource type"),
            ));
        }
        let mut s = Search {
            resource_type: resource_type.to_string(),
            ids: Vec::new(),
            date: Vec::new(),
            last_updated: Vec::new(),
            tokens: Vec::new(),
            status: Vec::new(),
            text: None,
            sort: (SortKey::Date, true),
            count: 50,
            total: false,
            cursor: None,
        };
        for (name, value) in params {
            if let Some((base, modifier)) = name.split_once(':') {
                return Err(invalid(
                    base,
                    format!("the `:{modifier}` modifier is not supported"),
                ));
            }
            if value.is_empty() {
                return Err(invalid(name, "empty value"));
            }
            match name.as_str() {
                "_id" => {
                    for id in value.split(',') {
                        if !is_fhir_id(id) {
                            return Err(invalid(name, format!("{id:?} is not a FHIR id")));
                        }
                        s.ids.push(id.to_string());
                    }
                }
                "date" => s.date.push(parse_date_filter(name, value)?),
                "_lastUpdated" => s.last_updated.push(parse_date_filter(name, value)?),
                "code" => s.tokens.push((param::CODE, parse_tokens(name, value)?)),
                "category" => s.tokens.push((param::CATEGORY, parse_tokens(name, value)?)),
                "component-code" => s
                    .tokens
                    .push((param::COMPONENT_CODE, parse_tokens(name, value)?)),
                "status" => s
                    .status
                    .push(value.split(',').map(str::to_string).collect()),
                "_text" => {
                    if s.text.is_some() {
                        return Err(invalid(name, "give it once"));
                    }
                    s.text = Some(value.clone());
                }
                "_sort" => {
                    s.sort = match value.as_str() {
                        "date" => (SortKey::Date, false),
                        "-date" => (SortKey::Date, true),
                        "_lastUpdated" => (SortKey::LastUpdated, false),
                        "-_lastUpdated" => (SortKey::LastUpdated, true),
                        other => {
                            return Err(invalid(
                                name,
                                format!(
                                    "cannot sort by {other:?}; use date, -date, _lastUpdated or -_lastUpdated"
                                ),
                            ));
                        }
                    }
                }
                "_count" => {
                    s.count = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_COUNT).contains(n))
                        .ok_or_else(|| invalid(name, format!("must be 1 to {MAX_COUNT}")))?;
                }
                "_total" => {
                    s.total = match value.as_str() {
                        "none" => false,
                        "accurate" | "estimate" => true,
                        _ => return Err(invalid(name, "must be none, estimate or accurate")),
                    }
                }
                "_cursor" => s.cursor = Some(Cursor::decode(name, value)?),
                other => return Err(QueryError::Unsupported(other.to_string())),
            }
        }
        Ok(s)
    }
}

/// Append `AND <column> <filter>` for a date filter (dateless rows never match).
fn push_date(q: &mut QueryBuilder<Sqlite>, column: &str, f: &DateFilter) {
    q.push(format!(" AND {column} <> '' AND "));
    let (lo, hi) = (f.lo.clone(), f.hi.clone());
    match f.prefix {
        Prefix::Eq | Prefix::Ap => {
            q.push(format!("{column} >= ")).push_bind(lo);
            q.push(format!(" AND {column} < ")).push_bind(hi);
        }
        Prefix::Ne => {
            q.push(format!("({column} < ")).push_bind(lo);
            q.push(format!(" OR {column} >= ")).push_bind(hi).push(")");
        }
        Prefix::Lt | Prefix::Eb => {
            q.push(format!("{column} < ")).push_bind(lo);
        }
        Prefix::Le => {
            q.push(format!("{column} < ")).push_bind(hi);
        }
        Prefix::Gt | Prefix::Sa => {
            q.push(format!("{column} >= ")).push_bind(hi);
        }
        Prefix::Ge => {
            q.push(format!("{column} >= ")).push_bind(lo);
        }
    }
}

/// FTS5 query from free text: each word a quoted prefix term, all required.
fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The token filter that can drive a search from the token index: a single
/// `system|code` (then the index range is already in date order).
fn driving_token(s: &Search) -> Option<usize> {
    if s.sort.0 != SortKey::Date {
        return None;
    }
    s.tokens
        .iter()
        .position(|(_, alts)| alts.len() == 1 && alts[0].code.is_some() && alts[0].system.is_some())
}

/// `FROM … WHERE` for a search: driven by one token's index range when
/// possible, else by the profile's type-and-date index.
/// `WHERE` over the token index for token filter `i` (one `system|code`).
fn push_token_range(q: &mut QueryBuilder<Sqlite>, scope: &ProfileScope, s: &Search, i: usize) {
    let (param, alts) = &s.tokens[i];
    q.push(" WHERE t.profile_id = ")
        .push_bind(scope.id().to_string())
        .push(" AND t.resource_type = ")
        .push_bind(s.resource_type.clone())
        .push(" AND t.param = ")
        .push_bind(*param)
        .push(" AND t.code = ")
        .push_bind(alts[0].code.clone().unwrap_or_default())
        .push(" AND t.system = ")
        .push_bind(alts[0].system.clone().unwrap_or_default());
}

fn push_from(
    q: &mut QueryBuilder<Sqlite>,
    scope: &ProfileScope,
    s: &Search,
) -> Result<(), QueryError> {
    let driver = driving_token(s);
    let date_column = match driver {
        Some(i) => {
            q.push(" FROM resource_tokens t CROSS JOIN resources r ON r.id = t.resource");
            push_token_range(q, scope, s, i);
            "t.sort_key"
        }
        None => {
            // Free text, when given, finds the few matching rows directly.
            match s.text.as_deref().and_then(fts_query) {
                Some(fts) => {
                    q.push(" FROM resource_text x CROSS JOIN resources r ON r.id = x.rowid WHERE resource_text MATCH ")
                        .push_bind(fts)
                        .push(" AND +r.profile_id = ");
                }
                None => {
                    q.push(" FROM resources r WHERE r.profile_id = ");
                }
            }
            q.push_bind(scope.id().to_string())
                .push(" AND r.resource_type = ")
                .push_bind(s.resource_type.clone());
            "r.sort_key"
        }
    };
    push_filters(q, s, driver, date_column)
}

/// Append `AND <column> IN (<values>)`.
fn push_in(q: &mut QueryBuilder<Sqlite>, column: &str, values: &[String]) {
    q.push(format!(" AND {column} IN ("));
    let mut list = q.separated(", ");
    for v in values {
        list.push_bind(v.clone());
    }
    q.push(")");
}

fn push_filters(
    q: &mut QueryBuilder<Sqlite>,
    s: &Search,
    skip_token: Option<usize>,
    date_column: &str,
) -> Result<(), QueryError> {
    if !s.ids.is_empty() {
        push_in(q, "r.resource_id", &s.ids);
    }
    for f in &s.date {
        push_date(q, date_column, f);
    }
    for f in &s.last_updated {
        push_date(q, "r.last_updated", f);
    }
    for (i, (param, alternatives)) in s.tokens.iter().enumerate() {
        if Some(i) == skip_token {
            continue;
        }
        // Constrained by profile and type so the subquery uses the token index.
        q.push(" AND r.id IN (SELECT t2.resource FROM resource_tokens t2 WHERE t2.profile_id = r.profile_id AND t2.resource_type = r.resource_type AND t2.param = ")
            .push_bind(*param)
            .push(" AND (");
        for (i, alt) in alternatives.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("(1 = 1");
            if let Some(code) = &alt.code {
                q.push(" AND t2.code = ").push_bind(code.clone());
            }
            if let Some(system) = &alt.system {
                q.push(" AND t2.system = ").push_bind(system.clone());
            }
            q.push(")");
        }
        q.push("))");
    }
    for alternatives in &s.status {
        push_in(q, "r.status", alternatives);
    }
    if let Some(text) = &s.text {
        let fts = fts_query(text).ok_or_else(|| invalid("_text", "needs at least one word"))?;
        // Without a driving token the FROM clause already matched the text.
        if skip_token.is_some() {
            q.push(" AND r.id IN (SELECT rowid FROM resource_text WHERE resource_text MATCH ")
                .push_bind(fts)
                .push(")");
        }
    }
    Ok(())
}

/// One page of search results.
#[derive(Debug)]
pub struct SearchPage {
    /// The matches, in order.
    pub entries: Vec<StoredResource>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
    /// All matches, when asked for.
    pub total: Option<u64>,
}

/// A resource's index summary, for timelines and related lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RecordSummary)]
pub struct Summary {
    /// `resourceType`.
    pub resource_type: String,
    /// `id`.
    pub id: String,
    /// The source it came from.
    pub source_id: String,
    /// Clinical date, if any.
    #[schema(required)]
    pub date: Option<String>,
    /// Status, if any.
    #[schema(required)]
    pub status: Option<String>,
    /// Display text, if any.
    #[schema(required)]
    pub display: Option<String>,
    /// Other sources that sent the same fact.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_from: Vec<AlsoFrom>,
    /// Its numeric results (an Observation's value, or its components').
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<super::labs::ResultValue>,
    /// The id of the visit (Encounter) it belongs to, if it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub encounter: Option<String>,
    /// For a visit: its class, reason, place and clinician.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub visit: Option<super::summary::VisitDetails>,
    /// The stored row, for attaching provenance.
    #[serde(skip)]
    row: i64,
}

fn summary(row: &sqlx::sqlite::SqliteRow) -> Result<Summary, sqlx::Error> {
    Ok(Summary {
        row: row.try_get("id")?,
        also_from: Vec::new(),
        values: Vec::new(),
        encounter: None,
        visit: None,
        resource_type: row.try_get("resource_type")?,
        id: row.try_get("resource_id")?,
        source_id: row.try_get("source_id")?,
        date: row.try_get("sort_date")?,
        status: row.try_get("status")?,
        display: row.try_get("display")?,
    })
}

/// A timeline request.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    /// Only these types (all when empty).
    pub types: Vec<String>,
    /// Only this source.
    pub source: Option<String>,
    /// On or after this date (`YYYY[-MM[-DD]]` or date-time).
    pub from: Option<String>,
    /// Before this date.
    pub to: Option<String>,
    /// Only records whose words match (full-text, each word a prefix).
    pub text: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Where the previous page ended.
    pub cursor: Option<Cursor>,
}

/// A page of the timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelinePage {
    /// Newest first; resources without a date come last.
    pub items: Vec<Summary>,
    /// Cursor for the next page.
    #[schema(required)]
    pub next_cursor: Option<String>,
}

/// What a resource references and what references it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Related {
    /// Stored resources it points to.
    pub references: Vec<Summary>,
    /// Stored resources that point to it.
    pub referenced_by: Vec<Summary>,
}

const SUMMARY_COLUMNS: &str =
    "r.id, r.resource_type, r.resource_id, r.source_id, r.sort_date, r.status, r.display";

impl RecordStore {
    /// Run a search over a profile.
    pub async fn search(
        &self,
        scope: &ProfileScope,
        s: &Search,
    ) -> Result<SearchPage, SearchError> {
        let resolved = self.resolve_systems(scope, s).await?;
        let s = &resolved;
        let desc = s.sort.1;
        let mut q = QueryBuilder::<Sqlite>::new("SELECT ");
        let (column, id_column) = match s.sort.0 {
            SortKey::Date if driving_token(s).is_some() => ("t.sort_key", "t.resource"),
            SortKey::Date => ("r.sort_key", "r.id"),
            SortKey::LastUpdated => ("r.last_updated", "r.id"),
        };
        q.push(format!(
            "{id_column} AS row_id, {column} AS sort_value, r.source_id, r.resource_type, r.resource_id, r.sort_date, r.json"
        ));
        push_from(&mut q, scope, s)?;
        if let Some(c) = &s.cursor {
            q.push(format!(
                " AND ({column}, {id_column}) {} (",
                if desc { "<" } else { ">" }
            ))
            .push_bind(c.key.clone())
            .push(", ")
            .push_bind(c.id)
            .push(")");
        }
        let dir = if desc { "DESC" } else { "ASC" };
        q.push(format!(
            " ORDER BY {column} {dir}, {id_column} {dir} LIMIT "
        ))
        .push_bind(s.count as i64 + 1);
        let mut rows = q.build().fetch_all(&self.db).await?;
        let next = if rows.len() > s.count as usize {
            rows.truncate(s.count as usize);
            let last = rows
                .last()
                .ok_or(SearchError::Db(sqlx::Error::RowNotFound))?;
            Some(Cursor {
                key: last.try_get("sort_value")?,
                id: last.try_get("row_id")?,
            })
        } else {
            None
        };
        let entries = rows.iter().map(stored).collect::<Result<Vec<_>, _>>()?;
        let total = if s.total {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT COUNT(*)");
            let only_the_token = s.ids.is_empty()
                && s.last_updated.is_empty()
                && s.status.is_empty()
                && s.text.is_none()
                && s.tokens.len() == 1;
            match driving_token(s) {
                // Everything asked is in the token index: count it there, without visiting resources.
                Some(i) if only_the_token => {
                    q.push(" FROM resource_tokens t");
                    push_token_range(&mut q, scope, s, i);
                    for f in &s.date {
                        push_date(&mut q, "t.sort_key", f);
                    }
                }
                _ => push_from(&mut q, scope, s)?,
            }
            let n: i64 = q.build_query_scalar().fetch_one(&self.db).await?;
            Some(n as u64)
        } else {
            None
        };
        Ok(SearchPage {
            entries,
            next,
            total,
        })
    }

    /// A code searched without a system (`code=2345-7`) usually has one
    /// system in a profile; naming it lets the search run from the token
    /// index in date order instead of sorting every match.
    async fn resolve_systems(
        &self,
        scope: &ProfileScope,
        s: &Search,
    ) -> Result<Search, SearchError> {
        let mut s = s.clone();
        for (param, alts) in s.tokens.iter_mut() {
            let [alt] = alts.as_mut_slice() else { continue };
            let (None, Some(code)) = (&alt.system, &alt.code) else {
                continue;
            };
            // Two index seeks (the first system, then any after it), not a scan of every match.
            let first: Option<String> = sqlx::query_scalar(
                "SELECT system FROM resource_tokens
                 WHERE profile_id = ? AND resource_type = ? AND param = ? AND code = ? ORDER BY system LIMIT 1",
            )
            .bind(scope.id())
            .bind(&s.resource_type)
            .bind(*param)
            .bind(code)
            .fetch_optional(&self.db)
            .await?;
            let Some(first) = first else { continue };
            let another: Option<String> = sqlx::query_scalar(
                "SELECT system FROM resource_tokens
                 WHERE profile_id = ? AND resource_type = ? AND param = ? AND code = ? AND system > ? LIMIT 1",
            )
            .bind(scope.id())
            .bind(&s.resource_type)
            .bind(*param)
            .bind(code)
            .bind(&first)
            .fetch_optional(&self.db)
            .await?;
            if another.is_none() {
                alt.system = Some(first);
            }
        }
        Ok(s)
    }

    /// A page of a profile's timeline.
    pub async fn timeline(
        &self,
        scope: &ProfileScope,
        t: &TimelineQuery,
    ) -> Result<TimelinePage, SearchError> {
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {SUMMARY_COLUMNS}, r.sort_key"));
        match t.text.as_deref().and_then(fts_query) {
            // Words are selective and a profile is not: the text index drives.
            Some(fts) => q
                .push(" FROM resource_text x CROSS JOIN resources r ON r.id = x.rowid WHERE resource_text MATCH ")
                .push_bind(fts)
                .push(" AND +r.profile_id = "),
            None => q.push(" FROM resources r WHERE r.profile_id = "),
        };
        q.push_bind(scope.id().to_string());
        if !t.types.is_empty() {
            push_in(&mut q, "r.resource_type", &t.types);
        }
        if let Some(source) = &t.source {
            q.push(" AND r.source_id = ").push_bind(source.clone());
        }
        if let Some(from) = &t.from {
            let f = parse_date_filter("from", from)?;
            q.push(" AND r.sort_key >= ").push_bind(f.lo);
        }
        if let Some(to) = &t.to {
            let f = parse_date_filter("to", to)?;
            q.push(" AND r.sort_key <> '' AND r.sort_key < ")
                .push_bind(f.lo);
        }
        if let Some(c) = &t.cursor {
            q.push(" AND (r.sort_key, r.id) < (")
                .push_bind(c.key.clone())
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
        q.push(" ORDER BY r.sort_key DESC, r.id DESC LIMIT ")
            .push_bind(t.limit as i64 + 1);
        let mut rows = q.build().fetch_all(&self.db).await?;
        let next_cursor = if rows.len() > t.limit as usize {
            rows.truncate(t.limit as usize);
            let last = rows
                .last()
                .ok_or(SearchError::Db(sqlx::Error::RowNotFound))?;
            Some(
                Cursor {
                    key: last.try_get("sort_key")?,
                    id: last.try_get("id")?,
                }
                .encode(),
            )
        } else {
            None
        };
        let mut items = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
        self.attach_details(&mut items).await?;
        Ok(TimelinePage { items, next_cursor })
    }

    /// What `resource_type/id` references and what references it, within the
    /// profile. The join order is fixed (`CROSS JOIN`, `+profile_id`):
    /// references are selective, a profile is not.
    pub async fn related(
        &self,
        scope: &ProfileScope,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Related>, SearchError> {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM resources WHERE profile_id = ? AND resource_type = ? AND resource_id = ? LIMIT 1",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let references = sqlx::query(
            "SELECT DISTINCT r.id, r.resource_type, r.resource_id, r.source_id, r.sort_date, r.status, r.display, r.sort_key
             FROM resources src CROSS JOIN resource_refs x ON x.resource = src.id
             CROSS JOIN resources r ON r.resource_type = x.target_type AND r.resource_id = x.target_id
             WHERE src.resource_type = ?2 AND src.resource_id = ?3 AND +src.profile_id = ?1 AND +r.profile_id = ?1
             ORDER BY r.sort_key DESC, r.id DESC LIMIT 500",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_all(&self.db)
        .await?;
        let referenced_by = sqlx::query(
            "SELECT DISTINCT r.id, r.resource_type, r.resource_id, r.source_id, r.sort_date, r.status, r.display, r.sort_key
             FROM resource_refs x CROSS JOIN resources r ON r.id = x.resource
             WHERE x.target_type = ?2 AND x.target_id = ?3 AND +r.profile_id = ?1
             ORDER BY r.sort_key DESC, r.id DESC LIMIT 500",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_all(&self.db)
        .await?;
        let mut references: Vec<Summary> =
            references.iter().map(summary).collect::<Result<_, _>>()?;
        let mut referenced_by: Vec<Summary> = referenced_by
            .iter()
            .map(summary)
            .collect::<Result<_, _>>()?;
        self.attach_details(&mut references).await?;
        self.attach_details(&mut referenced_by).await?;
        Ok(Some(Related {
            references,
            referenced_by,
        }))
    }

    /// Name the other sources of each shown item.
    async fn attach_details(&self, items: &mut [Summary]) -> Result<(), SearchError> {
        let ids: Vec<i64> = items.iter().map(|s| s.row).collect();
        let mut copies = super::duplicates::also_from(&self.db, &ids).await?;
        let observations: Vec<i64> = items
            .iter()
            .filter(|s| s.resource_type == "Observation")
            .map(|s| s.row)
            .collect();
        let mut values = super::labs::values_of(&self.db, &observations).await?;
        let mut encounters = encounter_of(&self.db, &ids).await?;
        let visits: Vec<i64> = items
            .iter()
            .filter(|s| s.resource_type == "Encounter")
            .map(|s| s.row)
            .collect();
        let mut visits = super::summary::visit_details_of(&self.db, &visits).await?;
        for item in items {
            if let Some(also) = copies.remove(&item.row) {
                item.also_from = also;
            }
            if let Some(v) = values.remove(&item.row) {
                item.values = v;
            }
            item.encounter = encounters.remove(&item.row);
            item.visit = visits.remove(&item.row);
        }
        Ok(())
    }
}

/// The Encounter each of stored rows `ids` references (the first, if several).
async fn encounter_of(
    db: &crate::db::Db,
    ids: &[i64],
) -> Result<HashMap<i64, String>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT resource, MIN(target_id) AS encounter FROM resource_refs
             WHERE target_type = 'Encounter' AND resource IN (",
        );
        super::duplicates::push_ids(&mut q, chunk.iter().copied());
        q.push(" GROUP BY resource");
        for row in q.build().fetch_all(db).await? {
            out.insert(row.try_get("resource")?, row.try_get("encounter")?);
        }
    }
    Ok(out)
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request is not answerable (a 400).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// Reading stored JSON failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn date_prefixes_become_ranges() {
        let f = parse_date_filter("date", "2020").unwrap();
        assert_eq!(
            (f.prefix, f.lo.as_str(), f.hi.as_str()),
            (Prefix::Eq, "2020", "2021")
        );
        let f = parse_date_filter("date", "ge2020-12").unwrap();
        assert_eq!(
            (f.prefix, f.lo.as_str(), f.hi.as_str()),
            (Prefix::Ge, "2020-12", "2021-01")
        );
        let f = parse_date_filter("date", "lt2020-02-28").unwrap();
        assert_eq!((f.lo.as_str(), f.hi.as_str()), ("2020-02-28", "2020-02-29"));
        let f = parse_date_filter("date", "eq2020-05-01T10:00:00+02:00").unwrap();
        assert_eq!(
            (f.lo.as_str(), f.hi.as_str()),
            ("2020-05-01T08:00:00.000Z", "2020-05-01T08:00:01.000Z")
        );
        let f = parse_date_filter("date", "gt2020-05-01T10:00Z").unwrap();
        assert_eq!(f.hi, "2020-05-01T10:01:00.000Z");
        let f = parse_date_filter("date", "ap2020-01-01").unwrap();
        assert!(
            f.lo.as_str() < "2020-01-01" && f.hi.as_str() > "2020-01-02",
            "{f:?}"
        );
        for bad in [
            "20",
            "2020-13",
            "2020-02-30",
            "xx2020",
            "2020/01/01",
            "2020-01-01T25:00:00Z",
            "2020-01-01T10:00:00",
        ] {
            assert!(parse_date_filter("date", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unsupported_parameters_and_modifiers_are_errors() {
        assert_eq!(
            Search::parse("Observation", &params(&[("subject", "Patient/1")])).unwrap_err(),
            QueryError::Unsupported("subject".into())
        );
        let err = Search::parse("Observation", &params(&[("code:text", "x")])).unwrap_err();
        assert!(err.to_string().contains(":text"), "{err}");
        assert!(Search::parse("Observation", &params(&[("_count", "0")])).is_err());
        assert!(Search::parse("Observation", &params(&[("_count", "1001")])).is_err());
        assert!(Search::parse("Observation", &params(&[("_sort", "code")])).is_err());
        assert!(Search::parse("Observation", &params(&[("_cursor", "zz")])).is_err());
        assert!(Search::parse("Observation", &params(&[("code", "|")])).is_err());
        assert!(Search::parse("Observation", &params(&[("_id", "a/b")])).is_err());
        assert!(Search::parse("observation", &[]).is_err());
    }

    #[test]
    fn token_values_take_every_form() {
        let s = Search::parse(
            "Observation",
            &params(&[(
                "code",
                "http://loinc.org|2345-7,|local,http://snomed.info/sct|,bare",
            )]),
        )
        .unwrap();
        let alts = &s.tokens[0].1;
        assert_eq!(
            alts[0],
            TokenFilter {
                system: Some("http://loinc.org".into()),
                code: Some("2345-7".into())
            }
        );
        assert_eq!(
            alts[1],
            TokenFilter {
                system: Some(String::new()),
                code: Some("local".into())
            }
        );
        assert_eq!(
            alts[2],
            TokenFilter {
                system: Some("http://snomed.info/sct".into()),
                code: None
            }
        );
        assert_eq!(
            alts[3],
            TokenFilter {
                system: None,
                code: Some("bare".into())
            }
        );
    }

    #[test]
    fn cursors_round_trip_and_text_queries_are_quoted() {
        let c = Cursor {
            key: "2020-01-01T00:00:00.000Z".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode("_cursor", &c.encode()).unwrap(), c);
        assert_eq!(
            fts_query("blood \"pressure\" OR"),
            Some("\"blood\"* \"pressure\"* \"OR\"*".into())
        );
        assert_eq!(fts_query("  ,; "), None);
    }
}
