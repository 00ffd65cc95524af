-- Named API keys and the audit log (CONTRACT §10).

-- A key's secret is never stored, only its SHA-256 (hex): the secrets are
-- 32 random bytes, so a fast hash is as good as a slow one against guessing.
CREATE TABLE api_keys (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    scope         TEXT    NOT NULL,
    hash          TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);

-- Bumped by every key created or revoked; each replica polls it (a read of
-- one row) to reload its keys within a second.
CREATE TABLE keys_generation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL
);
INSERT INTO keys_generation (id, generation) VALUES (1, 1);

-- Every change of flows, segments, settings and keys, written in the
-- change's own transaction. actor is the name of the key that made it.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    target   TEXT    NOT NULL,
    version  INTEGER
);
