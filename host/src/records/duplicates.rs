//! The same fact from two sources, shown once. At write time each resource's
//! identity keys ([`super::index::identity_keys`]) are stored; a resource
//! sharing a key with a visible resource of *another* source in the same
//! profile becomes that resource's duplicate: its `profile_id` is cleared
//! (so every profile query skips it without a join) and a `duplicates` row
//! links it to the canonical copy, whose listings then name both sources.
//! The first copy stored stays canonical; deleting it frees its duplicates
//! for re-indexing (a trigger in the schema), which elects a new one.

use super::{IndexRow, StoreError};
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::{HashMap, HashSet};

/// Rows per statement when writing keys (3 bound values each).
const KEY_CHUNK: usize = 900;

/// Where else a shown resource came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlsoFrom {
    /// The other source.
    pub source_id: String,
    /// The id that source gave it.
    pub id: String,
}

fn push_ids(q: &mut QueryBuilder<Sqlite>, ids: impl Iterator<Item = i64>) {
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id);
    }
    q.push(")");
}

/// Store the identity keys of `changed` resources and decide which of them
/// duplicate a visible resource of another source. Returns the ids now
/// hidden as duplicates (their token, text and value rows are not written).
pub(super) async fn dedupe(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    changed: &[IndexRow<'_>],
) -> Result<HashSet<i64>, StoreError> {
    if changed.is_empty() {
        return Ok(HashSet::new());
    }
    let ids = || changed.iter().map(|r| r.id);
    // Start over for these resources: their keys, their own links, and the
    // links of resources they were canonical for (freed for re-indexing).
    for sql in [
        "DELETE FROM resource_keys WHERE resource IN (",
        "DELETE FROM duplicates WHERE resource IN (",
        "UPDATE resources SET index_version = 0 WHERE id IN (SELECT resource FROM duplicates WHERE canonical IN (",
        "DELETE FROM duplicates WHERE canonical IN (",
    ] {
        let mut q = QueryBuilder::<Sqlite>::new(sql);
        push_ids(&mut q, ids());
        if sql.ends_with("IN (SELECT resource FROM duplicates WHERE canonical IN (") {
            q.push(")");
        }
        q.build().execute(&mut **tx).await?;
    }
    let keys: Vec<(&IndexRow, &String)> = changed
        .iter()
        .filter(|r| r.profile.is_some())
        .flat_map(|r| r.index.keys.iter().map(move |k| (r, k)))
        .collect();
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    for rows in keys.chunks(KEY_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO resource_keys (profile_id, key, resource) ",
        );
        insert.push_values(rows, |mut row, (r, key)| {
            row.push_bind(r.profile.map(str::to_string))
                .push_bind((*key).clone())
                .push_bind(r.id);
        });
        insert.build().execute(&mut **tx).await?;
    }
    // The lowest-id visible match from another source. Among the resources
    // decided here, only a lower id may win, so two copies re-indexed together
    // do not hide each other.
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT k1.resource, MIN(k2.resource) FROM resource_keys k1
         CROSS JOIN resources r1 ON r1.id = k1.resource
         CROSS JOIN resource_keys k2 ON k2.profile_id = k1.profile_id AND k2.key = k1.key AND k2.resource <> k1.resource
         CROSS JOIN resources r2 ON r2.id = k2.resource
         WHERE r2.source_id <> r1.source_id AND r2.profile_id IS NOT NULL AND k1.resource IN (",
    );
    push_ids(&mut q, ids());
    q.push(" AND (k2.resource < k1.resource OR k2.resource NOT IN (");
    push_ids(&mut q, ids());
    q.push(") GROUP BY k1.resource");
    let rows = q.build().fetch_all(&mut **tx).await?;
    let mut canonical: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
    for row in &rows {
        canonical.insert(row.try_get(0)?, row.try_get(1)?);
    }
    if canonical.is_empty() {
        return Ok(HashSet::new());
    }
    // A match that is itself hidden in this pass points on to its own canonical copy.
    let resolved: Vec<(i64, i64)> = canonical
        .iter()
        .map(|(&dup, &first)| {
            let mut target = first;
            let mut hops = 0;
            while let Some(&next) = canonical.get(&target)
                && hops < 16
            {
                target = next;
                hops += 1;
            }
            (dup, target)
        })
        .collect();
    let profile_of: HashMap<i64, &str> = changed
        .iter()
        .filter_map(|r| r.profile.map(|p| (r.id, p)))
        .collect();
    let mut hide =
        QueryBuilder::<Sqlite>::new("UPDATE resources SET profile_id = NULL WHERE id IN (");
    push_ids(&mut hide, resolved.iter().map(|(dup, _)| *dup));
    hide.build().execute(&mut **tx).await?;
    for rows in resolved.chunks(KEY_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO duplicates (resource, canonical, profile_id) ",
        );
        insert.push_values(rows, |mut row, (dup, canonical)| {
            row.push_bind(*dup)
                .push_bind(*canonical)
                .push_bind(profile_of.get(dup).map(|p| p.to_string()));
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(resolved.into_iter().map(|(dup, _)| dup).collect())
}

/// For each of `ids` (canonical resources), the other sources that sent it.
pub(super) async fn also_from(
    db: &crate::db::Db,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<AlsoFrom>>, sqlx::Error> {
    let mut out: HashMap<i64, Vec<AlsoFrom>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT d.canonical, r.source_id, r.resource_id FROM duplicates d
         JOIN resources r ON r.id = d.resource WHERE d.canonical IN (",
    );
    push_ids(&mut q, ids.iter().copied());
    q.push(" ORDER BY d.canonical, r.id");
    for row in q.build().fetch_all(db).await? {
        out.entry(row.try_get(0)?).or_default().push(AlsoFrom {
            source_id: row.try_get(1)?,
            id: row.try_get(2)?,
        });
    }
    Ok(out)
}
