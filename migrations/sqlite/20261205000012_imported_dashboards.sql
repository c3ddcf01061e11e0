-- Dashboards a person imported from Fasten files, per profile: the views
-- they were translated to (JSON), what could not be translated, and the file
-- as given. Their choice (shown or hidden) and layout live in
-- dashboard_choices under the same id.
CREATE TABLE imported_dashboards (
    id          TEXT PRIMARY KEY,
    profile_id  TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    translated  TEXT NOT NULL,
    original    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX imported_dashboards_by_profile ON imported_dashboards (profile_id, created_at);
