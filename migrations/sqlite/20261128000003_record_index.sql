-- The record index: each resource carries its profile (copied from its
-- source, so profile queries need no join), a sort key ('' when it has no
-- date, so it sorts last newest-first), its last update, status and display
-- text; codes and categories, references and full text live beside it.
-- `index_version` lets the host re-extract after the extraction changes.
-- The table is rebuilt so that every index column comes before the JSON: a
-- row's columns are read in order, and reading one stored after a large JSON
-- text walks its overflow pages.
DROP TABLE resource_codes;
CREATE TABLE resources_indexed (
    id            INTEGER PRIMARY KEY,
    source_id     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    profile_id    TEXT,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    sort_key      TEXT NOT NULL DEFAULT '',
    sort_date     TEXT,
    last_updated  TEXT NOT NULL DEFAULT '',
    status        TEXT,
    index_version INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    TEXT NOT NULL,
    content_hash  BLOB NOT NULL,
    display       TEXT,
    json          TEXT NOT NULL,
    UNIQUE (source_id, resource_type, resource_id)
);
INSERT INTO resources_indexed (id, source_id, profile_id, resource_type, resource_id, sort_date,
                               version, updated_at, content_hash, json)
SELECT r.id, r.source_id, (SELECT s.profile_id FROM sources s WHERE s.id = r.source_id),
       r.resource_type, r.resource_id, r.sort_date, r.version, r.updated_at, r.content_hash, r.json
FROM resources r;
DROP TABLE resources;
ALTER TABLE resources_indexed RENAME TO resources;

CREATE INDEX resources_by_type_id ON resources (resource_type, resource_id);
CREATE INDEX resources_by_profile_date ON resources (profile_id, sort_key DESC, id DESC);
CREATE INDEX resources_by_profile_type_date ON resources (profile_id, resource_type, sort_key DESC, id DESC);
CREATE INDEX resources_by_profile_type_updated ON resources (profile_id, resource_type, last_updated DESC, id DESC);
CREATE INDEX resources_stale ON resources (index_version);

-- Token search parameters: code, category, component-code. Each row carries
-- its resource's profile, type and sort key, so a search for one code is a
-- single index range already in date order, however common or rare the code.
CREATE TABLE resource_tokens (
    resource      INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    param         TEXT NOT NULL,
    system        TEXT NOT NULL,
    code          TEXT NOT NULL,
    profile_id    TEXT,
    resource_type TEXT NOT NULL,
    sort_key      TEXT NOT NULL,
    PRIMARY KEY (resource, param, system, code)
) WITHOUT ROWID;
CREATE INDEX resource_tokens_by_code ON resource_tokens
    (profile_id, resource_type, param, code, system, sort_key DESC, resource DESC);

-- References from a resource to others, by type and id.
CREATE TABLE resource_refs (
    resource    INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    PRIMARY KEY (resource, target_type, target_id)
) WITHOUT ROWID;
CREATE INDEX resource_refs_by_target ON resource_refs (target_type, target_id, resource);

-- Full text over display texts (`_text`); rowid = resources.id.
CREATE VIRTUAL TABLE resource_text USING fts5(display, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER resources_text_cleanup AFTER DELETE ON resources BEGIN
    DELETE FROM resource_text WHERE rowid = old.id;
END;

-- Numeric results (an Observation's value and its components'), for lab
-- series: one index range per test, in date order, without reading JSON.
CREATE TABLE observation_values (
    resource       INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    system         TEXT NOT NULL,
    code           TEXT NOT NULL,
    profile_id     TEXT,
    sort_key       TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    name           TEXT,
    value          REAL NOT NULL,
    unit           TEXT,
    ucum           TEXT,
    low            REAL,
    high           REAL,
    interpretation TEXT,
    PRIMARY KEY (resource, system, code)
) WITHOUT ROWID;
-- Covering for a series: no visit to `resources` per point.
CREATE INDEX observation_values_by_test ON observation_values (profile_id, code, system, sort_key, resource,
    source_id, resource_id, name, value, unit, ucum, low, high, interpretation);
