-- Score velocity (score_change in filters): each history row keeps the
-- timestamp of the event that caused it beside the moment it was applied;
-- rows written before this kept only the latter, which stands in for both.
ALTER TABLE ledger ADD COLUMN event_at INTEGER NOT NULL DEFAULT 0;
UPDATE ledger SET event_at = at;

-- "A contact's rows with event_at in a window", summed per dimension or in
-- total: dimension and delta ride in the index, so the sum reads no table row.
CREATE INDEX ledger_contact_event_at ON ledger (contact_id, event_at, dimension, delta);
