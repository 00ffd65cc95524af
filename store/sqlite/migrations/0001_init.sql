-- Scoreflow schema, version 1. Times are Unix milliseconds (UTC).

CREATE TABLE settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    doc         TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- generation is bumped by every change to flows or settings, so an engine
-- (in this process or another) knows to reload them.
CREATE TABLE config_generation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL
);
INSERT INTO config_generation (id, generation) VALUES (1, 1);

CREATE TABLE flows (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    enabled     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Every save is a version; versions outlive a deleted flow because history
-- rows and sleeping runs name them.
CREATE TABLE flow_versions (
    flow_id     TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (flow_id, version)
) WITHOUT ROWID;

CREATE TABLE contacts (
    id                TEXT    PRIMARY KEY,
    email             TEXT,
    attributes        TEXT    NOT NULL DEFAULT '{}',
    scores            TEXT    NOT NULL DEFAULT '{}',
    score             INTEGER NOT NULL DEFAULT 0,
    grade             TEXT    NOT NULL DEFAULT '',
    tags              TEXT    NOT NULL DEFAULT '[]',
    deal_stage        TEXT    NOT NULL DEFAULT '',
    disqualified_at   INTEGER,
    disqualify_reason TEXT,
    segments          TEXT    NOT NULL DEFAULT '[]',
    created_at        INTEGER NOT NULL,
    last_activity_at  INTEGER
);
CREATE INDEX contacts_email ON contacts (email) WHERE email IS NOT NULL;
CREATE INDEX contacts_score ON contacts (score DESC, id);
CREATE INDEX contacts_grade ON contacts (grade, score DESC, id);

-- events is both the timeline and the exactly-once record: an event id is
-- applied in the same transaction that inserts its row, so a row here means
-- "applied" and a repeated id is skipped. Rows are kept (≥ 30 days required).
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    contact_id  TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    ts          INTEGER NOT NULL,
    properties  TEXT,
    traits      TEXT,
    applied_at  INTEGER NOT NULL
);
CREATE INDEX events_contact_type_ts ON events (contact_id, type, ts);
CREATE INDEX events_contact_ts ON events (contact_id, ts);

-- Events that could not be applied (unparseable, or failing on their own
-- after retries): kept for inspection instead of blocking the stream.
CREATE TABLE dead_events (
    id          INTEGER PRIMARY KEY,
    stream_seq  INTEGER NOT NULL,
    subject     TEXT    NOT NULL,
    event_id    TEXT,
    payload     BLOB,
    error       TEXT    NOT NULL,
    at          INTEGER NOT NULL
);

-- The score ledger: every change of every dimension; it sums to the score.
CREATE TABLE ledger (
    id           INTEGER PRIMARY KEY,
    contact_id   TEXT    NOT NULL,
    dimension    TEXT    NOT NULL,
    delta        INTEGER NOT NULL,
    value        INTEGER NOT NULL,
    flow_id      TEXT,
    flow_version INTEGER,
    node_id      TEXT,
    event_id     TEXT,
    reason       TEXT,
    at           INTEGER NOT NULL
);
CREATE INDEX ledger_contact ON ledger (contact_id, id);

-- Entries into once/limited flows, so entry modes hold across restarts.
CREATE TABLE flow_entries (
    flow_id     TEXT    NOT NULL,
    contact_id  TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX flow_entries_key ON flow_entries (flow_id, contact_id, at);

-- Per-minute counters of runs through each node (the canvas overlay).
CREATE TABLE flow_stats (
    flow_id     TEXT    NOT NULL,
    node_id     TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    entered     INTEGER NOT NULL DEFAULT 0,
    completed   INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (flow_id, node_id, minute)
) WITHOUT ROWID;

-- Failed runs, with the reason (a cascade past the cap, an action error).
CREATE TABLE run_failures (
    id           INTEGER PRIMARY KEY,
    flow_id      TEXT    NOT NULL,
    flow_version INTEGER NOT NULL,
    contact_id   TEXT    NOT NULL,
    event_id     TEXT,
    node_id      TEXT,
    reason       TEXT    NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX run_failures_flow ON run_failures (flow_id, id);

-- The webhook outbox, written with the effects and delivered after commit.
CREATE TABLE webhook_outbox (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    url         TEXT    NOT NULL,
    headers     TEXT,
    body        BLOB    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_at) WHERE status = 'pending';
