//! The same fact from two sources, shown once. At write time each resource's
//! identity keys ([`super::index::identity_keys`]) are stored; a resource
//! sharing a key with a visible resource of *another* source in the same
//! profile becomes that resource's duplicate: its `profile_id` is cleared
//! (so every profile query skips it without a join) and a `duplicates` row
//! links it to the canonical copy, whose listings then name both sources.
//! A key only identifies when each of the two sources gives it to one
//! resource: a value a source repeats (a claim-group placeholder, the same
//! code and time twice) says nothing about sameness. The first copy stored
//! stays canonical; deleting it frees its duplicates for re-indexing (a
//! trigger in the schema), which elects a new one.

use super::{IndexRow, StoreError};
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::{HashMap, HashSet};

/// Rows per statement when writing keys (3 bound values each).
const KEY_CHUNK: usize = 900;

/// Where else a shown resource came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlsoFrom {
    /// The other source.
    pub source_id: String,
    /// The id that source gave it.
    pub id: String,
}

/// Append the bound list `id, id, …)` that closes an `IN (` clause.
pub(super) fn push_ids(q: &mut QueryBuilder<Sqlite>, ids: impl Iterator<Item = i64>) {
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id);
    }
    q.push(")");
}

/// Store the identity keys of `changed` resources and decide which of them
/// duplicate a visible resource of another source. Returns the ids now
/// hidden as duplicates or withheld by a removal (their token, text and
/// value rows are not written).
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
    for (sql, close) in [
        ("DELETE FROM resource_keys WHERE resource IN (", ""),
        ("DELETE FROM duplicates WHERE resource IN (", ""),
        (
            "UPDATE resources SET index_version = 0 WHERE id IN (SELECT resource FROM duplicates WHERE canonical IN (",
            ")",
        ),
        ("DELETE FROM duplicates WHERE canonical IN (", ""),
    ] {
        let mut q = QueryBuilder::<Sqlite>::new(sql);
        push_ids(&mut q, ids());
        q.push(close);
        q.build().execute(&mut **tx).await?;
    }
    // Records a person took out stay out: no keys, no links, no profile.
    let withheld = withheld_among(tx, ids()).await?;
    if !withheld.is_empty() {
        let mut q =
            QueryBuilder::<Sqlite>::new("UPDATE resources SET profile_id = NULL WHERE id IN (");
        push_ids(&mut q, withheld.iter().copied());
        q.build().execute(&mut **tx).await?;
    }
    let keys: Vec<(&IndexRow, &String)> = changed
        .iter()
        .filter(|r| r.matched.is_some() && !withheld.contains(&r.id))
        .flat_map(|r| r.index.keys.iter().map(move |k| (r, k)))
        .collect();
    if keys.is_empty() {
        return Ok(withheld);
    }
    for rows in keys.chunks(KEY_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO resource_keys (profile_id, key, resource) ",
        );
        insert.push_values(rows, |mut row, (r, key)| {
            row.push_bind(r.matched.map(str::to_string))
                .push_bind((*key).clone())
                .push_bind(r.id);
        });
        insert.build().execute(&mut **tx).await?;
    }
    // The copy a person chose, else the lowest-id visible match from another
    // source. Among the resources decided here, only a lower id (or the
    // chosen copy) may win, so two copies re-indexed together do not hide
    // each other; the chosen copy itself is never hidden.
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT k1.resource, COALESCE(MAX(CASE WHEN pc.resource IS NOT NULL THEN k2.resource END), MIN(k2.resource))
         FROM resource_keys k1
         CROSS JOIN resources r1 ON r1.id = k1.resource
         CROSS JOIN resource_keys k2 ON k2.profile_id = k1.profile_id AND k2.key = k1.key AND k2.resource <> k1.resource
         CROSS JOIN resources r2 ON r2.id = k2.resource
         LEFT JOIN preferred_copies pc ON pc.resource = k2.resource
         WHERE r2.source_id <> r1.source_id AND r2.profile_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM preferred_copies p1 WHERE p1.resource = k1.resource)
           AND NOT EXISTS (SELECT 1 FROM resource_keys k3 CROSS JOIN resources r3 ON r3.id = k3.resource
                WHERE k3.profile_id = k1.profile_id AND k3.key = k1.key AND k3.resource <> k1.resource
                  AND r3.source_id = r1.source_id)
           AND NOT EXISTS (SELECT 1 FROM resource_keys k4 CROSS JOIN resources r4 ON r4.id = k4.resource
                WHERE k4.profile_id = k2.profile_id AND k4.key = k2.key AND k4.resource <> k2.resource
                  AND r4.source_id = r2.source_id)
           AND k1.resource IN (",
    );
    push_ids(&mut q, ids());
    q.push(" AND (k2.resource < k1.resource OR pc.resource IS NOT NULL OR k2.resource NOT IN (");
    push_ids(&mut q, ids());
    q.push(") GROUP BY k1.resource");
    let rows = q.build().fetch_all(&mut **tx).await?;
    let mut canonical: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
    for row in &rows {
        canonical.insert(row.try_get(0)?, row.try_get(1)?);
    }
    if canonical.is_empty() {
        return Ok(withheld);
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
        .filter_map(|r| r.matched.map(|p| (r.id, p)))
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
    let mut hidden = withheld;
    hidden.extend(resolved.into_iter().map(|(dup, _)| dup));
    Ok(hidden)
}

/// Which of `ids` a removal withholds from their profile.
async fn withheld_among(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    ids: impl Iterator<Item = i64>,
) -> Result<HashSet<i64>, StoreError> {
    let mut q = QueryBuilder::<Sqlite>::new("SELECT resource FROM withheld WHERE resource IN (");
    push_ids(&mut q, ids);
    let rows = q.build().fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)
}

impl super::RecordStore {
    /// Show the copy `source`/`copy` of the shown `resource_type`/`id`
    /// instead (one that another source sent of the same fact); the choice
    /// holds through later syncs. `false` when there is no such copy here.
    pub async fn show_copy(
        &self,
        scope: &crate::auth::ProfileScope,
        resource_type: &str,
        id: &str,
        source: &str,
        copy: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = crate::db::write_tx(self.db()).await?;
        let shown: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, source_id FROM resources WHERE profile_id = ? AND resource_type = ? AND resource_id = ?
             ORDER BY updated_at DESC, id DESC LIMIT 1",
        )
        .bind(scope.id())
        .bind(resource_type)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((shown, shown_source)) = shown else {
            return Ok(false);
        };
        let chosen: Option<i64> = if shown_source == source && id == copy {
            Some(shown)
        } else {
            sqlx::query_scalar(
                "SELECT r.id FROM duplicates d CROSS JOIN resources r ON r.id = d.resource
                 WHERE d.canonical = ? AND r.source_id = ? AND r.resource_id = ?",
            )
            .bind(shown)
            .bind(source)
            .bind(copy)
            .fetch_optional(&mut *tx)
            .await?
        };
        let Some(chosen) = chosen else {
            return Ok(false);
        };
        // The whole group is decided again with the chosen copy preferred.
        for sql in [
            "DELETE FROM preferred_copies WHERE resource = ?1
               OR resource IN (SELECT resource FROM duplicates WHERE canonical = ?1)",
            "UPDATE resources SET index_version = 0 WHERE id = ?1
               OR id IN (SELECT resource FROM duplicates WHERE canonical = ?1)",
            "DELETE FROM duplicates WHERE canonical = ?1",
        ] {
            sqlx::query(sql).bind(shown).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO preferred_copies (resource) VALUES (?)")
            .bind(chosen)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.reindex_stale().await?;
        tracing::info!(profile = %scope.id(), resource_type, id, source, copy, "copy chosen to be shown");
        Ok(true)
    }
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

#[cfg(test)]
mod tests {
    use super::super::{RecordStore, parse};
    use crate::auth::ProfileScope;

    fn obs(id: &str, identifier: &str) -> super::super::Parsed {
        parse(&format!(
            r#"{{"resourceType":"Observation","id":"{id}","status":"final",
                "identifier":[{{"system":"urn:lab","value":"{identifier}"}}],
                "code":{{"coding":[{{"system":"http://loinc.org","code":"2345-7"}}]}}}}"#
        ))
        .unwrap()
    }

    /// A second source `t` in profile `p`, beside the test source `s`.
    async fn second_source(db: &crate::db::Db) {
        sqlx::query(
            "INSERT INTO sources (id, profile_id, name, connector, fhir_base_url, patient_id, token, created_at)
             VALUES ('t', 'p', 't', 'fhir-r4', 'http://y', 'p', x'00', 'now')",
        )
        .execute(db)
        .await
        .unwrap();
    }

    async fn shown(store: &RecordStore) -> u64 {
        store
            .list(&ProfileScope::for_tests("p"), None, 1, 10)
            .await
            .unwrap()
            .total
    }

    #[tokio::test]
    async fn a_key_matches_only_when_each_source_gives_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        second_source(&db).await;
        let store = RecordStore::new(db.clone());
        // `group` is repeated within each source: not an identity.
        store
            .upsert_batch(
                "s",
                &[obs("a1", "one"), obs("a2", "group"), obs("a3", "group")],
            )
            .await
            .unwrap();
        store
            .upsert_batch(
                "t",
                &[obs("b1", "one"), obs("b2", "group"), obs("b3", "group")],
            )
            .await
            .unwrap();
        assert_eq!(
            shown(&store).await,
            5,
            "b1 is a1; the group members stay apart"
        );
        let also = super::also_from(&db, &[1]).await.unwrap();
        assert_eq!(
            also.get(&1).map(Vec::as_slice),
            Some(
                [super::AlsoFrom {
                    source_id: "t".into(),
                    id: "b1".into()
                }]
                .as_slice()
            )
        );
        // Changing the shown copy so it no longer matches shows the other again.
        store
            .upsert_batch("s", &[obs("a1", "changed")])
            .await
            .unwrap();
        assert_eq!(shown(&store).await, 6);
        // Deleting a shown copy that has a duplicate shows the duplicate.
        store.upsert_batch("t", &[obs("b4", "four")]).await.unwrap();
        store.upsert_batch("s", &[obs("a4", "four")]).await.unwrap();
        assert_eq!(shown(&store).await, 7);
        sqlx::query("DELETE FROM resources WHERE resource_id = 'b4'")
            .execute(&db)
            .await
            .unwrap();
        store.reindex_stale().await.unwrap();
        assert_eq!(shown(&store).await, 7, "a4 takes b4's place");
    }

    #[tokio::test]
    async fn a_chosen_copy_stays_shown_through_re_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        second_source(&db).await;
        let store = RecordStore::new(db.clone());
        let scope = ProfileScope::for_tests("p");
        store.upsert_batch("s", &[obs("a1", "one")]).await.unwrap();
        store.upsert_batch("t", &[obs("b1", "one")]).await.unwrap();
        let source_of_shown = |store: RecordStore| async move {
            let page = store
                .list(&ProfileScope::for_tests("p"), None, 1, 10)
                .await
                .unwrap();
            assert_eq!(page.total, 1, "one fact, shown once");
            page.records[0].source_id.clone()
        };
        assert_eq!(source_of_shown(store.clone()).await, "s");
        assert!(
            !store
                .show_copy(&scope, "Observation", "a1", "t", "nope")
                .await
                .unwrap()
        );
        assert!(
            store
                .show_copy(&scope, "Observation", "a1", "t", "b1")
                .await
                .unwrap()
        );
        assert_eq!(source_of_shown(store.clone()).await, "t");
        // Both sources send their copy again, changed, and everything is re-indexed.
        let mut again = obs("a1", "one");
        again.json = again.json.replace("final", "amended");
        again.hash[0] ^= 1;
        store.upsert_batch("s", &[again]).await.unwrap();
        sqlx::query("UPDATE resources SET index_version = 0")
            .execute(&db)
            .await
            .unwrap();
        store.reindex_stale().await.unwrap();
        assert_eq!(
            source_of_shown(store.clone()).await,
            "t",
            "the choice holds"
        );
        let also = super::also_from(&db, &[2]).await.unwrap();
        assert_eq!(also[&2][0].id, "a1", "the other copy is listed behind it");
    }
}
