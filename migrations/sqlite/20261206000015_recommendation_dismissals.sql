-- A recommendation a person set aside, with why: it stays listed apart
-- (and can be brought back) rather than counted as due.
CREATE TABLE recommendation_dismissals (
    profile_id   TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    plugin_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    reason       TEXT NOT NULL,
    dismissed_at TEXT NOT NULL,
    dismissed_by TEXT,
    PRIMARY KEY (profile_id, plugin_id, key)
) WITHOUT ROWID;
