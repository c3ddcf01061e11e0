-- Accounts. Usernames compare case-insensitively. The TOTP secret is
-- AEAD-encrypted like provider tokens; `totp_last_step` refuses a code's reuse.
CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    disabled            INTEGER NOT NULL DEFAULT 0,
    totp_secret         BLOB,
    totp_enabled        INTEGER NOT NULL DEFAULT 0,
    totp_last_step      INTEGER,
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

-- Single-use second-factor recovery codes, stored as SHA-256 (they are random, 80 bits).
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- A session is one sign-in on one device: the family of refresh tokens that
-- descends from it. Revoking it ends every token of the family, and access
-- tokens name it (`sid`), so they die with it too.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_hash    BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    revoke_reason TEXT,
    user_agent   TEXT,
    address      TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC);

-- Refresh tokens, stored as SHA-256. A token is good once: refreshing marks it
-- `used_at` and issues its successor; presenting a used one again is theft.
CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- A profile is one person's health record; everything medical hangs off one.
CREATE TABLE profiles (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    birth_date TEXT,
    created_at TEXT NOT NULL
);

-- Who may do what with a profile.
CREATE TABLE grants (
    profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, user_id)
) WITHOUT ROWID;
CREATE INDEX grants_by_user ON grants (user_id);

-- Security events. Never holds a password, token, code or secret.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    event      TEXT NOT NULL,
    actor_id   TEXT,
    subject    TEXT,
    profile_id TEXT,
    address    TEXT,
    detail     TEXT
);

-- Sources belong to a profile. Sources registered before accounts existed
-- have none; setup hands them to the first profile.
ALTER TABLE sources ADD COLUMN profile_id TEXT REFERENCES profiles(id) ON DELETE CASCADE;
CREATE INDEX sources_by_profile ON sources (profile_id);
