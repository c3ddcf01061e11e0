-- Lab values as recorded: the decimal's own digits ("3.8060747794874157",
-- "1.50"), which a REAL cannot hold. The REAL columns stay for flags and
-- unit conversion; the API serves these texts wherever it shows a value as
-- recorded.
ALTER TABLE observation_values ADD COLUMN value_text TEXT;
ALTER TABLE observation_values ADD COLUMN low_text TEXT;
ALTER TABLE observation_values ADD COLUMN high_text TEXT;
DROP INDEX observation_values_by_test;
CREATE INDEX observation_values_by_test ON observation_values (profile_id, code, system, sort_key, resource,
    source_id, resource_id, name, value, unit, ucum, low, high, interpretation, value_text, low_text, high_text);
-- Served series were rounded to 15 digits; they are computed again on demand.
DELETE FROM lab_series_cache;
-- Observations are indexed again at start (`reindex_stale`), which fills the texts.
UPDATE resources SET index_version = 0 WHERE resource_type = 'Observation';

-- How long a provider's access token lives (`expires_in`), so it is refreshed
-- a tenth of its lifetime before expiry (at most two minutes) rather than
-- before every sync when it lives less than two minutes.
ALTER TABLE sources ADD COLUMN token_lifetime_secs INTEGER;

-- Providers added by their FHIR base URL (not from the catalog), one row per
-- server for the whole instance: sources name it in `endpoint_id`, and a
-- client id Hearth registered with it (RFC 7591) is reused by every profile.
CREATE TABLE custom_providers (
    id            TEXT PRIMARY KEY,       -- `custom:<uuid>`
    fhir_base_url TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    fhir_version  TEXT NOT NULL DEFAULT '',
    connector     TEXT NOT NULL,
    client_id     TEXT,
    created_at    TEXT NOT NULL
);
