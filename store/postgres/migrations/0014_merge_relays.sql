-- Merges across partitions (store/merge_relays.go): the merge-out and
-- merge-in messages a merge step publishes after its commit, kept with the
-- event that caused them, so a redelivery of that event publishes them
-- again; a merge-in carries the merged contact's final state.
CREATE TABLE merge_relays (
    id          TEXT    COLLATE "C" PRIMARY KEY,
    cause       TEXT    COLLATE "C" NOT NULL,
    event       BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX merge_relays_cause ON merge_relays (cause);
