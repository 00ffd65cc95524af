-- A flow entry wrote two index entries: (flow_id, contact_id, at) for the
-- entry limits and (contact_id) for a merge's or a deletion's move of a
-- contact's rows. Keyed contact first, one index serves both, as it does
-- on PostgreSQL: the limits ask for (contact_id, flow_id) and a range of at.
CREATE INDEX flow_entries_contact_flow_at ON flow_entries (contact_id, flow_id, at);
DROP INDEX IF EXISTS flow_entries_key;
DROP INDEX IF EXISTS flow_entries_contact;
