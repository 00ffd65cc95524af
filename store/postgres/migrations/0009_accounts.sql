-- Accounts (companies): a contact belongs to at most one; each account keeps
-- its aggregate of the members' scores current (see store/accounts.go).

ALTER TABLE contacts ADD COLUMN account_id TEXT COLLATE "C";
-- An account's members (its member list, the members-due mark, its history). Not by score:
-- that would add an index write to every score change of every member; a member list
-- page sorts the account's members instead.
CREATE INDEX contacts_account ON contacts (account_id) WHERE account_id IS NOT NULL;

CREATE TABLE accounts (
    id          TEXT    COLLATE "C" PRIMARY KEY,
    name        TEXT    COLLATE "C" NOT NULL DEFAULT '',
    attributes  JSONB   NOT NULL DEFAULT '{}',
    sums        JSONB   NOT NULL DEFAULT '{}',  -- per dimension, the members' sum
    scores      JSONB   NOT NULL DEFAULT '{}',  -- per dimension, the aggregate (settings' account_scores)
    score       BIGINT  NOT NULL DEFAULT 0,
    grade       TEXT    COLLATE "C" NOT NULL DEFAULT '',
    members     BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX accounts_score ON accounts (score DESC, id);

-- For max dimensions, the multiset of the members' values: the max after a
-- member's decrease is the last key of (account_id, dimension), one index
-- probe, instead of a scan of the members.
CREATE TABLE account_values (
    account_id  TEXT    COLLATE "C" NOT NULL,
    dimension   TEXT    COLLATE "C" NOT NULL,
    value       BIGINT  NOT NULL,
    members     BIGINT  NOT NULL,
    PRIMARY KEY (account_id, dimension, value)
);
