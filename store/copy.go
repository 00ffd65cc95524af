package store

import "context"

// Copying a whole store from one backend to another (`scoreflow store
// copy`): every backend keeps the same tables and columns (times as Unix
// milliseconds), so a copy is table by table, row by row, with each
// backend converting values to and from its own column types. Values cross
// as int64, float64, string, []byte or nil; booleans as int64 0/1 and JSON
// as its text.

// CopyTable is one table of the copy, with its columns in a fixed order.
type CopyTable struct {
	Name    string
	Columns []string
	// InsertionOrder makes the export follow the order rows were inserted
	// (SQLite's rowid): contacts sharing an email resolve to the oldest.
	InsertionOrder bool
}

// CopyTables lists every table with state worth keeping, parents first;
// OwnTables are the target's own. Every table of the schema is in one of
// the two (TestCopyCoversEverySchemaTable).
var CopyTables = []CopyTable{
	{Name: "settings", Columns: []string{"id", "doc", "updated_at"}},
	{Name: "flows", Columns: []string{"id", "name", "enabled", "version", "created_at", "updated_at"}},
	{Name: "flow_versions", Columns: []string{"flow_id", "version", "doc", "created_at"}},
	{Name: "segments", Columns: []string{"id", "name", "description", "filter", "created_at", "updated_at"}},
	{Name: "api_keys", Columns: []string{"id", "name", "scope", "hash", "created_at", "last_used_at"}},
	{Name: "audit_log", Columns: []string{"id", "at", "actor", "action", "target", "version"}},
	{Name: "contacts", Columns: []string{"id", "email", "attributes", "scores", "score", "grade", "tags", "deal_stage",
		"disqualified_at", "disqualify_reason", "segments", "created_at", "last_activity_at", "next_eval_at", "account_id"}, InsertionOrder: true},
	{Name: "events", Columns: []string{"seq", "id", "contact_id", "type", "ts", "properties", "traits", "applied_at"}},
	{Name: "ledger", Columns: []string{"id", "contact_id", "dimension", "delta", "value", "flow_id", "flow_version", "node_id",
		"event_id", "reason", "at", "event_at"}},
	{Name: "segment_members", Columns: []string{"segment_id", "contact_id", "since"}},
	{Name: "flow_entries", Columns: []string{"flow_id", "contact_id", "at"}},
	{Name: "flow_stats", Columns: []string{"flow_id", "node_id", "minute", "entered", "completed", "failed"}},
	{Name: "run_failures", Columns: []string{"id", "flow_id", "flow_version", "contact_id", "event_id", "node_id", "reason", "at"}},
	{Name: "waiting_runs", Columns: []string{"id", "flow_id", "flow_version", "contact_id", "node_id", "event", "wake_at", "created_at"}},
	{Name: "score_decay", Columns: []string{"contact_id", "dimension", "decayed_at"}},
	{Name: "webhook_outbox", Columns: []string{"id", "key", "url", "headers", "body", "status", "attempts", "next_at", "last_error",
		"created_at", "done_at"}},
	{Name: "dead_events", Columns: []string{"id", "stream_seq", "subject", "event_id", "payload", "error", "at"}},
	{Name: "job_runs", Columns: []string{"name", "schedule", "last_start", "duration_ms", "outcome", "error", "runs"}},
	{Name: "event_minutes", Columns: []string{"minute", "events"}},
	{Name: "contact_aliases", Columns: []string{"id", "contact_id", "merged_at"}},
	{Name: "anonymous_contacts", Columns: []string{"id"}},
	// An apply job left unfinished resumes on the copy's first start.
	{Name: "lab_jobs", Columns: []string{"id", "run_id", "state", "draft", "cursor", "done", "total", "changed", "error", "actor",
		"created_at", "updated_at"}},
	{Name: "accounts", Columns: []string{"id", "name", "attributes", "sums", "scores", "score", "grade", "members", "created_at", "updated_at"}},
	{Name: "account_values", Columns: []string{"account_id", "dimension", "value", "members"}},
	// A merge across partitions (PostgreSQL) left half done resumes on the
	// copy: a redelivery of its cause publishes these again.
	{Name: "merge_relays", Columns: []string{"id", "cause", "event", "created_at"}},
}

// OwnTables are the tables a copy leaves to the target: its migrations, the
// generations its replicas watch for changes, and the partition epochs its
// own replicas claim (a copy starts with none claimed).
var OwnTables = []string{"schema_migrations", "config_generation", "keys_generation", "partition_epochs"}

// Exporter is a backend a copy can read from.
type Exporter interface {
	// ExportTable calls fn with each row of a table, values in the order of
	// columns. The row slice is reused between calls.
	ExportTable(ctx context.Context, t CopyTable, fn func(row []any) error) error
}

// Importer is a backend a copy can write to.
type Importer interface {
	// ImportEmpty reports whether the store holds no state a copy could
	// overwrite (no flows, contacts, events, segments or settings).
	ImportEmpty(ctx context.Context) (bool, error)
	// Import writes every table in one transaction, pulling rows with next
	// (false when the table is done); progress is told each table's count.
	// It refuses a non-empty store, checked inside the same transaction.
	Import(ctx context.Context, tables []CopyTable, next func(t CopyTable, fn func(row []any) error) error,
		progress func(table string, rows int64)) error
}
