-- Every event and every score change wrote two index entries keyed by
-- contact, landing on as many index pages per batch as it has contacts.
-- One index per table serves every read by contact:
--   events_contact_type_ts (contact_id, type, ts) also serves the timeline
--   (newest first, a top-N sort of the contact's rows) and a merge's move
--   of a contact's events;
--   ledger_contact_event_at (contact_id, event_at) also serves a contact's
--   history (a top-N sort of its rows) and a merge's move of its rows.
-- The same two indexes go on SQLite, where each was 1.5-2% of the CPU of
-- `scoreflow bench -events 100000` (alternating pairs).
DROP INDEX IF EXISTS events_contact_ts;
DROP INDEX IF EXISTS ledger_contact;
