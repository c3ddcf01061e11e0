-- A person's condition dashboards: whether each follows the proposal (made
-- from their conditions and age) or was added or hidden by hand, their
-- settings, and where each card was placed. One row per profile and dashboard;
-- a dashboard nobody touched has none.
CREATE TABLE dashboard_choices (
    profile_id   TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    dashboard_id TEXT NOT NULL,
    choice       TEXT NOT NULL DEFAULT 'auto' CHECK (choice IN ('auto', 'shown', 'hidden')),
    settings     TEXT NOT NULL DEFAULT '{}',
    layout       TEXT NOT NULL DEFAULT '[]',
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (profile_id, dashboard_id)
);
