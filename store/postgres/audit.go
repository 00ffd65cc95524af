package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

var (
	_ store.AuditStore = (*Store)(nil)
	_ store.AuditTx    = (*writeTx)(nil)
)

const insertAudit = `INSERT INTO audit_log (at, actor, action, target, version) VALUES ($1, $2, $3, $4, $5)`

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// audit writes an entry in the caller's transaction, under the actor of ctx.
func (s *Store) audit(ctx context.Context, tx execer, action, target string, version *int) error {
	return s.insertAudit(ctx, tx, model.AuditEntry{Action: action, Target: target, Version: version})
}

func (s *Store) insertAudit(ctx context.Context, tx execer, e model.AuditEntry) error {
	e = store.AuditDefaults(ctx, e, s.now())
	if _, err := tx.Exec(ctx, insertAudit, ms(e.At), e.Key, e.Action, e.Target, e.Version); err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Target, err)
	}
	return nil
}

// RecordAudit implements store.AuditStore.
func (s *Store) RecordAudit(ctx context.Context, e model.AuditEntry) error {
	return s.insertAudit(ctx, s.pool, e)
}

// RecordAudit implements store.AuditTx: the insert goes in its own round
// trip (changes that audit are rare), inside the batch's transaction.
func (t *writeTx) RecordAudit(e model.AuditEntry) error {
	e = store.AuditDefaults(t.ctx, e, time.Now())
	return t.roundTrip(0, func(b *pgx.Batch) {
		b.Queue(insertAudit, ms(e.At), e.Key, e.Action, e.Target, e.Version)
	}, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("audit %s %s: %w", e.Action, e.Target, err)
		}
		return nil
	})
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
		q += ` WHERE id < $1`
		args = append(args, after)
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)+1)
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	return store.ScanAudit(rows, limit)
}
