-- What people took out of a profile, kept for a while so it can be undone:
-- a hidden record (kept until shown again), a deleted typed-in record, a
-- removed source, a deleted person. `detail` holds what an undo puts back
-- (a source's status and schedule, a person's grants). `purge_after` NULL:
-- kept until undone.
CREATE TABLE removals (
    id          TEXT PRIMARY KEY,
    profile_id  TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    label       TEXT NOT NULL,
    records     INTEGER NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    removed_by  TEXT,
    removed_at  TEXT NOT NULL,
    purge_after TEXT
);
CREATE INDEX removals_by_profile ON removals (profile_id, removed_at DESC);
CREATE INDEX removals_due ON removals (purge_after) WHERE purge_after IS NOT NULL;

-- Records withheld from their profile by a removal: their `profile_id` is
-- NULL and they get no index rows, however often they are re-indexed or
-- re-sent, until the removal is undone (or purged, which deletes them).
CREATE TABLE withheld (
    resource INTEGER PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    removal  TEXT NOT NULL REFERENCES removals(id) ON DELETE CASCADE
);
CREATE INDEX withheld_by_removal ON withheld (removal);

-- The copy a person chose to see among the copies of one fact: it is never
-- hidden as a duplicate, and the other copies are hidden behind it.
CREATE TABLE preferred_copies (
    resource INTEGER PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE
);
