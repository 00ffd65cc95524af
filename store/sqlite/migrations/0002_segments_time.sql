-- Segments, time-based re-evaluation, durable delays, decay, jobs.

CREATE TABLE segments (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    filter      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Membership, mirrored in contacts.segments; this table answers
-- "who is in segment X" without scanning contacts.
CREATE TABLE segment_members (
    segment_id  TEXT    NOT NULL,
    contact_id  TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    PRIMARY KEY (segment_id, contact_id)
) WITHOUT ROWID;

-- The next moment a contact's membership can change by time alone (an
-- event leaving a window, a newer_than boundary); the scheduled pass only
-- looks at contacts whose moment has come.
ALTER TABLE contacts ADD COLUMN next_eval_at INTEGER;
CREATE INDEX contacts_next_eval ON contacts (next_eval_at) WHERE next_eval_at IS NOT NULL;

-- Runs parked at a delay node; resumed once, after wake_at.
CREATE TABLE waiting_runs (
    id           INTEGER PRIMARY KEY,
    flow_id      TEXT    NOT NULL,
    flow_version INTEGER NOT NULL,
    contact_id   TEXT    NOT NULL,
    node_id      TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    wake_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX waiting_runs_wake ON waiting_runs (wake_at, id);

-- When each dimension of each contact last decayed, so a decay pass that
-- runs twice, or dies half-way, never decays anyone twice.
CREATE TABLE score_decay (
    contact_id  TEXT    NOT NULL,
    dimension   TEXT    NOT NULL,
    decayed_at  INTEGER NOT NULL,
    PRIMARY KEY (contact_id, dimension)
) WITHOUT ROWID;

CREATE TABLE job_runs (
    name        TEXT    PRIMARY KEY,
    schedule    TEXT    NOT NULL,
    last_start  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    error       TEXT,
    runs        INTEGER NOT NULL DEFAULT 0
);
