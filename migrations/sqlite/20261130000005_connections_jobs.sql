-- Issue 5: sources connected through SMART App Launch, and persistent sync jobs.

-- How a provider source was connected, and its grant (tokens encrypted by the host).
ALTER TABLE sources ADD COLUMN endpoint_id TEXT;
ALTER TABLE sources ADD COLUMN platform TEXT;
ALTER TABLE sources ADD COLUMN refresh_token BLOB;
ALTER TABLE sources ADD COLUMN token_expires_at TEXT;
ALTER TABLE sources ADD COLUMN scope TEXT;
-- The authorization server's endpoints as discovered at connect time (JSON).
ALTER TABLE sources ADD COLUMN smart_config TEXT;
-- Periodic re-sync: the next time the scheduler queues a sync of this source.
ALTER TABLE sources ADD COLUMN next_sync_at TEXT;
-- When the last successful sync started: the next incremental sync asks for `_lastUpdated` after it.
ALTER TABLE sources ADD COLUMN synced_since TEXT;

-- Authorizations started and not yet finished. The `state` itself is not kept,
-- only its SHA-256, so a copy of the database cannot complete someone's flow;
-- the PKCE verifier is encrypted like tokens.
CREATE TABLE smart_pending (
    state_hash    TEXT PRIMARY KEY,
    profile_id    TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    endpoint_id   TEXT NOT NULL,
    source_id     TEXT REFERENCES sources(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    smart_config  TEXT NOT NULL,
    verifier      BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX smart_pending_by_expiry ON smart_pending (expires_at);

-- Sync jobs. A job is leased by the host that runs it; a lease that expires
-- (the host was killed) makes the job runnable again, and the connector's
-- checkpoint on the source makes the rerun resume instead of starting over.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    profile_id       TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    source_id        TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL DEFAULT 'sync',
    trigger          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 6,
    run_after        TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress         TEXT,
    error            TEXT,
    error_kind       TEXT,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);
-- At most one queued or running job per source: a second request joins the first.
CREATE UNIQUE INDEX jobs_one_active ON jobs (source_id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_runnable ON jobs (status, run_after);
CREATE INDEX jobs_by_profile ON jobs (profile_id, created_at DESC);
