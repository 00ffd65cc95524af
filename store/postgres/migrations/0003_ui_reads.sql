-- Reads of the UI's dashboard, flow list and contact pages.

-- Events applied per minute (the dashboard's activity chart): one upsert per
-- batch, because counting the events table by time would scan it.
CREATE TABLE event_minutes (
    minute  BIGINT PRIMARY KEY,
    events  BIGINT NOT NULL
);

-- Run counters since a time across all flows (flow list, busiest flows):
-- without it every such read scans all of flow_stats.
CREATE INDEX flow_stats_minute ON flow_stats (minute);

-- Recent disqualifications, newest first (ties by seq, as SQLite's rowid).
CREATE INDEX contacts_disqualified ON contacts (disqualified_at DESC, seq) WHERE disqualified_at IS NOT NULL;
