-- What a source is: a provider connection synced by a connector, an upload
-- (`import`), or the profile's own typed-in records (`manual`, one per profile).
ALTER TABLE sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'provider';
CREATE UNIQUE INDEX sources_one_manual ON sources (profile_id) WHERE kind = 'manual';

-- Identity keys for spotting the same fact from two sources: an identifier
-- (`i|type|system|value`) or a code with its date and value
-- (`f|type|system|code|date|value`).
CREATE TABLE resource_keys (
    profile_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    resource   INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    PRIMARY KEY (profile_id, key, resource)
) WITHOUT ROWID;
CREATE INDEX resource_keys_by_resource ON resource_keys (resource);

-- A duplicate is hidden from the profile (its `profile_id` is NULL, so every
-- profile query skips it without a join) and shown as provenance of its
-- canonical copy. When the canonical copy goes, its duplicates are marked
-- for re-indexing, which makes them visible again or finds another canonical.
CREATE TABLE duplicates (
    resource   INTEGER PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    canonical  INTEGER NOT NULL,
    profile_id TEXT NOT NULL
);
CREATE INDEX duplicates_by_canonical ON duplicates (canonical);
CREATE TRIGGER resources_free_duplicates AFTER DELETE ON resources BEGIN
    UPDATE resources SET index_version = 0
     WHERE id IN (SELECT resource FROM duplicates WHERE canonical = OLD.id);
    DELETE FROM duplicates WHERE canonical = OLD.id;
END;

-- Attachment bytes live in files under the data folder, named by their
-- SHA-256 (so equal files are stored once); this row ties a Binary
-- resource to its file.
CREATE TABLE attachments (
    resource     INTEGER PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    profile_id   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX attachments_by_sha ON attachments (sha256);

-- How many numeric results each test has per profile, kept by triggers so
-- listing a profile's tests does not count every result.
CREATE TABLE lab_tests (
    profile_id TEXT NOT NULL,
    system     TEXT NOT NULL,
    code       TEXT NOT NULL,
    results    INTEGER NOT NULL,
    PRIMARY KEY (profile_id, system, code)
) WITHOUT ROWID;
INSERT INTO lab_tests (profile_id, system, code, results)
SELECT profile_id, system, code, COUNT(*) FROM observation_values
WHERE profile_id IS NOT NULL GROUP BY profile_id, system, code;
CREATE TRIGGER lab_tests_count AFTER INSERT ON observation_values WHEN NEW.profile_id IS NOT NULL BEGIN
    INSERT INTO lab_tests (profile_id, system, code, results) VALUES (NEW.profile_id, NEW.system, NEW.code, 1)
    ON CONFLICT (profile_id, system, code) DO UPDATE SET results = results + 1;
END;
CREATE TRIGGER lab_tests_uncount AFTER DELETE ON observation_values WHEN OLD.profile_id IS NOT NULL BEGIN
    UPDATE lab_tests SET results = results - 1
     WHERE profile_id = OLD.profile_id AND system = OLD.system AND code = OLD.code;
    DELETE FROM lab_tests
     WHERE profile_id = OLD.profile_id AND system = OLD.system AND code = OLD.code AND results <= 0;
END;

-- Computed lab series (points converted to one unit, flagged), as served.
-- Any change to a test's results drops its cached series (triggers below).
CREATE TABLE lab_series_cache (
    profile_id TEXT NOT NULL,
    system     TEXT NOT NULL,
    code       TEXT NOT NULL,
    series     TEXT NOT NULL,
    PRIMARY KEY (profile_id, system, code)
) WITHOUT ROWID;
CREATE TRIGGER lab_series_stale_insert AFTER INSERT ON observation_values WHEN NEW.profile_id IS NOT NULL BEGIN
    DELETE FROM lab_series_cache
     WHERE profile_id = NEW.profile_id AND system = NEW.system AND code = NEW.code;
END;
CREATE TRIGGER lab_series_stale_delete AFTER DELETE ON observation_values WHEN OLD.profile_id IS NOT NULL BEGIN
    DELETE FROM lab_series_cache
     WHERE profile_id = OLD.profile_id AND system = OLD.system AND code = OLD.code;
END;
