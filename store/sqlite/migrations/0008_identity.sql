-- Identity (CONTRACT §9): the ids merged into other contacts, and which
-- contacts began as an anonymous visitor.

-- An old id resolves to its survivor forever. A chain (A into B, then B
-- into C) is kept flat: merging B re-points A to C, so one lookup answers.
CREATE TABLE contact_aliases (
    id          TEXT    PRIMARY KEY,
    contact_id  TEXT    NOT NULL,
    merged_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX contact_aliases_contact ON contact_aliases (contact_id, id);

-- Contacts created from an anonymous id alone: an identify naming their
-- email merges them, which a contact with an id of its own never is.
CREATE TABLE anonymous_contacts (
    id          TEXT    PRIMARY KEY
) WITHOUT ROWID;

-- A merge moves or drops a contact's rows table by table: these let each
-- statement find them by contact instead of scanning the table.
CREATE INDEX waiting_runs_contact ON waiting_runs (contact_id);
CREATE INDEX run_failures_contact ON run_failures (contact_id);
CREATE INDEX segment_members_contact ON segment_members (contact_id);
CREATE INDEX flow_entries_contact ON flow_entries (contact_id);
