-- Event partitions and their owners' epochs (store/partitions.go): a claim
-- raises the epoch, and each batch checks in its transaction that the
-- epochs it holds are still current, so a replica that lost a partition
-- can no longer commit for it.
CREATE TABLE partition_epochs (
    part        INTEGER PRIMARY KEY,
    owner       TEXT    NOT NULL,
    epoch       BIGINT  NOT NULL,
    claimed_at  BIGINT  NOT NULL
);
