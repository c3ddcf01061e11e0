//! The search request: FHIR search parameters parsed and checked into a [`Search`], and the keyset cursor.

use super::*;

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

pub(super) fn invalid(param: &str, reason: impl Into<String>) -> QueryError {
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

pub(super) fn parse_tokens(name: &str, value: &str) -> Result<Vec<TokenFilter>, QueryError> {
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
