-- A counter per profile that moves whenever any of its records is added,
-- changed, hidden or removed. Whatever is computed from a profile's records
-- (a view's output) is kept with the counter it was computed at, and a
-- different counter means it is computed again. Every change to what a
-- search finds touches a `resources` row (the index tables are only written
-- with it), so triggers on `resources` alone see every change.
CREATE TABLE record_generations (
    profile_id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER record_generation_insert AFTER INSERT ON resources
WHEN NEW.profile_id IS NOT NULL BEGIN
    INSERT INTO record_generations (profile_id, generation) VALUES (NEW.profile_id, 1)
    ON CONFLICT (profile_id) DO UPDATE SET generation = generation + 1;
END;

-- A row moved between profiles, or hidden as a duplicate (profile_id set to
-- NULL), changes both sides.
CREATE TRIGGER record_generation_update AFTER UPDATE ON resources BEGIN
    INSERT INTO record_generations (profile_id, generation)
    SELECT p, 1 FROM (SELECT OLD.profile_id AS p UNION SELECT NEW.profile_id)
     WHERE p IS NOT NULL
    ON CONFLICT (profile_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER record_generation_delete AFTER DELETE ON resources
WHEN OLD.profile_id IS NOT NULL BEGIN
    INSERT INTO record_generations (profile_id, generation) VALUES (OLD.profile_id, 1)
    ON CONFLICT (profile_id) DO UPDATE SET generation = generation + 1;
END;
