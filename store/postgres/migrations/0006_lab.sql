-- The model lab: replays read the stored events in time order, and apply
-- jobs keep their cursor so a rescore resumes after a crash.
CREATE INDEX events_ts_id ON events (ts, id);

CREATE TABLE lab_jobs (
    id          TEXT    COLLATE "C" PRIMARY KEY,
    run_id      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    draft       TEXT    NOT NULL,
    cursor      TEXT    COLLATE "C" NOT NULL DEFAULT '',
    done        BIGINT  NOT NULL DEFAULT 0,
    total       BIGINT  NOT NULL DEFAULT 0,
    changed     BIGINT  NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
