-- Accounts (companies): a contact belongs to at most one; each account keeps
-- its aggregate of the members' scores current (see store/accounts.go).

ALTER TABLE contacts ADD COLUMN account_id TEXT;
-- An account's members (its member list, the members-due mark, its history). Not by score:
-- that would add an index write to every score change of every member; a member list
-- page sorts the account's members instead.
CREATE INDEX contacts_account ON contacts (account_id) WHERE account_id IS NOT NULL;

CREATE TABLE accounts (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    attributes  TEXT    NOT NULL DEFAULT '{}',
    sums        TEXT    NOT NULL DEFAULT '{}',  -- per dimension, the members' sum
    scores      TEXT    NOT NULL DEFAULT '{}',  -- per dimension, the aggregate (settings' account_scores)
    score       INTEGER NOT NULL DEFAULT 0,
    grade       TEXT    NOT NULL DEFAULT '',
    members     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX accounts_score ON accounts (score DESC, id);

-- For max dimensions, the multiset of the members' values: the max after a
-- member's decrease is the last key of (account_id, dimension), one index
-- probe, instead of a scan of the members.
CREATE TABLE account_values (
    account_id  TEXT    NOT NULL,
    dimension   TEXT    NOT NULL,
    value       INTEGER NOT NULL,
    members     INTEGER NOT NULL,
    PRIMARY KEY (account_id, dimension, value)
) WITHOUT ROWID;
