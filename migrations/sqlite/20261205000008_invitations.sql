-- Single-use links an owner makes to share a profile with someone new.
-- Only the token's SHA-256 is kept.
CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    profile_id  TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'editor')),
    name        TEXT,
    token_hash  BLOB NOT NULL UNIQUE,
    created_by  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     TEXT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX invitations_by_profile ON invitations (profile_id, created_at);
