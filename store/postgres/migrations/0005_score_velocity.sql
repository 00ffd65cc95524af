-- Score velocity (score_change in filters): each history row keeps the
-- timestamp of the event that caused it beside the moment it was applied;
-- rows written before this kept only the latter, which stands in for both.
ALTER TABLE ledger ADD COLUMN event_at BIGINT;
UPDATE ledger SET event_at = at;
ALTER TABLE ledger ALTER COLUMN event_at SET NOT NULL;

-- "A contact's rows with event_at in a window", summed per dimension or in
-- total: dimension and delta ride in the index, so the sum can be an
-- index-only scan.
CREATE INDEX ledger_contact_event_at ON ledger (contact_id, event_at) INCLUDE (dimension, delta);
