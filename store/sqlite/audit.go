package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

var (
	_ store.AuditStore = (*Store)(nil)
	_ store.AuditTx    = (*sqliteTx)(nil)
)

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

const insertAudit = `INSERT INTO audit_log (at, actor, action, target, version) VALUES (?, ?, ?, ?, ?)`

// audit writes an entry in the caller's transaction, under the actor of ctx.
func (s *Store) audit(ctx context.Context, tx execer, action, target string, version *int) error {
	return s.insertAudit(ctx, tx, model.AuditEntry{Action: action, Target: target, Version: version})
}

func (s *Store) insertAudit(ctx context.Context, tx execer, e model.AuditEntry) error {
	e = store.AuditDefaults(ctx, e, s.now())
	if _, err := tx.ExecContext(ctx, insertAudit, ms(e.At), e.Key, e.Action, e.Target, e.Version); err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Target, err)
	}
	return nil
}

// RecordAudit implements store.AuditStore.
func (s *Store) RecordAudit(ctx context.Context, e model.AuditEntry) error {
	return s.insertAudit(ctx, s.write, e)
}

// RecordAudit implements store.AuditTx: the entry commits with the batch.
func (t *sqliteTx) RecordAudit(e model.AuditEntry) error {
	e = store.AuditDefaults(t.ctx, e, time.Now())
	if _, err := t.tx.ExecContext(t.ctx, insertAudit, ms(e.At), e.Key, e.Action, e.Target, e.Version); err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Target, err)
	}
	return nil
}

// Audit implements store.AuditStore.
func (s *Store) Audit(ctx context.Context, limit int, cursor string) ([]model.AuditEntry, string, error) {
	after, err := store.DecodeAuditCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + store.AuditColumns + ` FROM audit_log`
	args := []any{}
	if after > 0 {
		q += ` WHERE id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	return store.ScanAudit(rows, limit)
}
