//! A [`Search`] as SQL: which index drives it, and the filters.

use super::*;

/// Append `AND <column> <filter>` for a date filter (dateless rows never match).
pub(super) fn push_date(q: &mut QueryBuilder<Sqlite>, column: &str, f: &DateFilter) {
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
pub(super) fn fts_query(text: &str) -> Option<String> {
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
pub(super) fn driving_token(s: &Search) -> Option<usize> {
    if s.sort.0 != SortKey::Date {
        return None;
    }
    // Every alternative a `system|code`: each is one range of the token index,
    // however common or rare, and the few matches are sorted afterwards.
    s.tokens.iter().position(|(_, alts)| {
        !alts.is_empty()
            && alts.len() <= MAX_DRIVING_ALTERNATIVES
            && alts.iter().all(|a| a.code.is_some() && a.system.is_some())
    })
}

/// Most `system|code` alternatives a search is driven by from the token index.
const MAX_DRIVING_ALTERNATIVES: usize = 16;

/// Whether the driving token has several alternatives, so one resource may
/// match more than one of them and must be grouped.
pub(super) fn driver_has_alternatives(s: &Search) -> bool {
    driving_token(s).is_some_and(|i| s.tokens[i].1.len() > 1)
}

/// `FROM … WHERE` for a search: driven by one token's index range when
/// possible, else by the profile's type-and-date index.
/// `WHERE` over the token index for token filter `i` (its `system|code` alternatives).
pub(super) fn push_token_range(
    q: &mut QueryBuilder<Sqlite>,
    scope: &ProfileScope,
    s: &Search,
    i: usize,
) {
    let (param, alts) = &s.tokens[i];
    q.push(" WHERE t.profile_id = ")
        .push_bind(scope.id().to_string())
        .push(" AND t.resource_type = ")
        .push_bind(s.resource_type.clone())
        .push(" AND t.param = ")
        .push_bind(*param);
    if alts.len() > 1 {
        // The pairs alone would make SQLite walk every code of the type; the
        // lists let it seek each (code, system) range and the date within it.
        let distinct = |pick: fn(&TokenFilter) -> Option<&String>| {
            let mut v: Vec<String> = alts.iter().filter_map(|a| pick(a).cloned()).collect();
            v.sort();
            v.dedup();
            v
        };
        push_in(q, "t.code", &distinct(|a| a.code.as_ref()));
        push_in(q, "t.system", &distinct(|a| a.system.as_ref()));
    }
    q.push(" AND (");
    for (n, alt) in alts.iter().enumerate() {
        if n > 0 {
            q.push(" OR ");
        }
        q.push("(t.code = ")
            .push_bind(alt.code.clone().unwrap_or_default())
            .push(" AND t.system = ")
            .push_bind(alt.system.clone().unwrap_or_default())
            .push(")");
    }
    q.push(")");
}

pub(super) fn push_from(
    q: &mut QueryBuilder<Sqlite>,
    scope: &ProfileScope,
    s: &Search,
) -> Result<(), QueryError> {
    let driver = driving_token(s);
    let date_column = match driver {
        Some(i) => {
            // Grouped ids need the resource row only for filters on it.
            if driver_has_alternatives(s) && !filters_read_the_row(s) {
                q.push(" FROM resource_tokens t");
            } else {
                q.push(" FROM resource_tokens t CROSS JOIN resources r ON r.id = t.resource");
            }
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

/// Whether a search filters on the resource row itself (not only the driving token's index).
fn filters_read_the_row(s: &Search) -> bool {
    !s.ids.is_empty()
        || !s.last_updated.is_empty()
        || s.tokens.len() > 1
        || !s.status.is_empty()
        || s.text.is_some()
}

/// Append `AND <column> IN (<values>)`.
pub(super) fn push_in(q: &mut QueryBuilder<Sqlite>, column: &str, values: &[String]) {
    q.push(format!(" AND {column} IN ("));
    let mut list = q.separated(", ");
    for v in values {
        list.push_bind(v.clone());
    }
    q.push(")");
}

pub(super) fn push_filters(
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
