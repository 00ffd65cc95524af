-- Every event and every score change wrote two index entries keyed by
-- contact: the rows of one batch land on as many index pages as it has
-- contacts, each page written to the WAL at commit. One index per table
-- serves every read by contact:
--   events_contact_type_ts (contact_id, type, ts) also serves the timeline
--   (newest first: a covered sort of the contact's (ts, seq), see Timeline)
--   and a merge's move of a contact's events;
--   ledger_contact_event_at (contact_id, event_at, dimension, delta) also
--   serves a contact's history (a covered sort of its ids, see History) and
--   a merge's move of its rows.
-- Measured in alternating pairs of `scoreflow bench -events 100000`: each
-- dropped index was 1.5-2% of the process's CPU.
DROP INDEX IF EXISTS events_contact_ts;
DROP INDEX IF EXISTS ledger_contact;
