-- Sources: where records come from. The access token is AEAD-encrypted by the host.
CREATE TABLE sources (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    connector     TEXT NOT NULL,
    fhir_base_url TEXT NOT NULL,
    patient_id    TEXT NOT NULL,
    token         BLOB NOT NULL,
    cursor        TEXT,
    status        TEXT NOT NULL DEFAULT 'new',
    last_error    TEXT,
    last_sync_at  TEXT,
    created_at    TEXT NOT NULL
);

-- Every resource verbatim, with a minimal index. Re-ingest is idempotent on
-- (source, type, id); the content hash lets an unchanged re-sync write nothing.
CREATE TABLE resources (
    id            INTEGER PRIMARY KEY,
    source_id     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    content_hash  BLOB NOT NULL,
    sort_date     TEXT,
    json          TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    TEXT NOT NULL,
    UNIQUE (source_id, resource_type, resource_id)
);
CREATE INDEX resources_by_type_date ON resources (resource_type, sort_date DESC, id);
CREATE INDEX resources_by_type_id ON resources (resource_type, resource_id);

-- Codes (system, code) of each resource, for search and charts.
CREATE TABLE resource_codes (
    resource INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    system   TEXT NOT NULL,
    code     TEXT NOT NULL,
    PRIMARY KEY (resource, system, code)
) WITHOUT ROWID;
CREATE INDEX resource_codes_by_code ON resource_codes (code, system);

-- One row per sync attempt, for status and troubleshooting.
CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    source_id   TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,
    emitted     INTEGER NOT NULL DEFAULT 0,
    stored      INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX sync_runs_by_source ON sync_runs (source_id, id DESC);
