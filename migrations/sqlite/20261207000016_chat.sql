-- Chat: the model endpoint an administrator configured (one row; off until
-- it exists), and each person's conversations about a profile's records.
-- The endpoint's API key is sealed with the host's token key, like provider
-- tokens. A conversation belongs to one user and one profile: another user
-- with access to the same profile does not see it.
CREATE TABLE chat_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    adapter            TEXT NOT NULL,
    endpoint           TEXT NOT NULL,
    model              TEXT NOT NULL,
    api_key            BLOB,
    offer_tools        INTEGER NOT NULL DEFAULT 1,
    reply_timeout_secs INTEGER NOT NULL DEFAULT 60,
    updated_at         TEXT NOT NULL
);

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conversations_by_owner ON conversations (user_id, profile_id, updated_at DESC);

-- `checked` holds the citation check of an answer (JSON); a failed answer
-- keeps its error and is left out of what later questions send the model.
CREATE TABLE chat_messages (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'failed')),
    checked         TEXT,
    error           TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX chat_messages_by_conversation ON chat_messages (conversation_id, id);
