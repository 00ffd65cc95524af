package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// The audit log: every change of flows, segments, settings and keys is
// written by the backend in the same transaction as the change, under the
// name of the key that made it (the actor the API puts on the request's
// context), so the log can neither miss a change nor name one that was
// rolled back.

type actorKey struct{}

// The actors that are not API keys: `scoreflow keys` and the examples
// loaded at start. No key may take these names.
const (
	ActorCLI      = "cli"
	ActorExamples = "examples"
)

// WithActor names who makes the changes done with ctx: the name of the API
// key of the request (CONTRACT §10), or of a command such as "cli".
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// ActorOf is the name WithActor put on ctx; "" when none did (an open
// server, a change made at start such as loading the examples).
func ActorOf(ctx context.Context) string {
	name, _ := ctx.Value(actorKey{}).(string)
	return name
}

// AuditStore reads and appends to the audit log.
type AuditStore interface {
	// RecordAudit appends an entry on its own (a feature whose change is not
	// a store transaction of its own); a zero At is now and an empty Key is
	// ActorOf(ctx).
	RecordAudit(ctx context.Context, e model.AuditEntry) error
	// Audit pages the log newest first; cursor is the previous page's next
	// cursor ("" = the newest), and the returned one is "" after the last
	// page. A malformed cursor is a *model.InvalidError.
	Audit(ctx context.Context, limit int, cursor string) ([]model.AuditEntry, string, error)
}

// AuditTx is implemented by the engine transactions (Tx) of the SQL
// backends: a change made in a batch (a merge, an import) records its
// entry in that same transaction. Check for it with a type assertion, so
// a Tx that keeps no log (a sandbox) need not implement it.
type AuditTx interface {
	// RecordAudit appends an entry that commits or rolls back with the
	// batch; a zero At is now and an empty Key the actor of the Begin ctx.
	RecordAudit(e model.AuditEntry) error
}

// EncodeAuditCursor is the audit log's keyset cursor after the entry with
// this id: the same text from every backend.
func EncodeAuditCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

// DecodeAuditCursor reads a cursor EncodeAuditCursor made; "" is the start.
func DecodeAuditCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	id, perr := strconv.ParseInt(string(b), 10, 64)
	if err != nil || perr != nil || id <= 0 {
		return 0, model.Invalid("invalid_cursor", "the cursor is malformed; pass the next_cursor of the previous page",
			model.FieldError{Path: "cursor", Message: "not a cursor this server made"})
	}
	return id, nil
}

// AuditDefaults fills in an entry's time and actor before it is written.
func AuditDefaults(ctx context.Context, e model.AuditEntry, now time.Time) model.AuditEntry {
	if e.At.IsZero() {
		e.At = now
	}
	if e.Key == "" {
		e.Key = ActorOf(ctx)
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	return e
}

// AuditPage cuts a read of limit+1 entries, newest first, to a page and the
// cursor after it ("" when the read found no more).
func AuditPage(read []model.AuditEntry, limit int) ([]model.AuditEntry, string) {
	if len(read) <= limit {
		return read, ""
	}
	return read[:limit], EncodeAuditCursor(read[limit-1].ID)
}

// Rows is what both backends' row cursors offer (database/sql's and pgx's).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// AuditColumns are the columns ScanAudit reads, in its order.
const AuditColumns = `id, at, actor, action, target, version`

// ScanAudit reads up to limit+1 audit rows (AuditColumns, newest first)
// into a page and the cursor after it.
func ScanAudit(rows Rows, limit int) ([]model.AuditEntry, string, error) {
	out := []model.AuditEntry{}
	for rows.Next() {
		var e model.AuditEntry
		var at int64
		var version *int64
		if err := rows.Scan(&e.ID, &at, &e.Key, &e.Action, &e.Target, &version); err != nil {
			return nil, "", fmt.Errorf("read audit log: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		if version != nil {
			v := int(*version)
			e.Version = &v
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("read audit log: %w", err)
	}
	page, next := AuditPage(out, limit)
	return page, next, nil
}
