-- Merges across partitions (store/merge_relays.go): the merge-out and
-- merge-in messages a merge step publishes after its commit, kept with the
-- event that caused them, so a redelivery of that event publishes them
-- again; a merge-in carries the merged contact's final state. A lone
-- engine (SQLite always) owns every partition and never writes them.
CREATE TABLE merge_relays (
    id          TEXT    PRIMARY KEY,
    cause       TEXT    NOT NULL,
    event       BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX merge_relays_cause ON merge_relays (cause);
