package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// CountEventsBetween implements store.LabStore.
func (s *Store) CountEventsBetween(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE ts >= ? AND ts < ?`, ms(from), ms(to)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return n, nil
}

// ScanEvents implements store.LabStore on the (ts, id) index.
func (s *Store) ScanEvents(ctx context.Context, from, to time.Time, fn func(*model.Event) error) error {
	rows, err := s.read.QueryContext(ctx, `SELECT id, contact_id, type, ts, properties, traits FROM events
		WHERE ts >= ? AND ts < ? ORDER BY ts, id`, ms(from), ms(to))
	if err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	return scanLabEvents(rows, fn)
}

// ContactsEvents implements store.LabStore.
func (s *Store) ContactsEvents(ctx context.Context, ids []string, fn func(*model.Event) error) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, contact_id, type, ts, properties, traits FROM events
		WHERE contact_id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY contact_id, ts, id`, args...)
	if err != nil {
		return fmt.Errorf("events of %d contacts: %w", len(ids), err)
	}
	return scanLabEvents(rows, fn)
}

func scanLabEvents(rows *sql.Rows, fn func(*model.Event) error) error {
	defer rows.Close()
	for rows.Next() {
		var id, contact, typ string
		var ts int64
		var props, traits []byte // nil for NULL; a copy the event may keep
		if err := rows.Scan(&id, &contact, &typ, &ts, &props, &traits); err != nil {
			return fmt.Errorf("scan events: %w", err)
		}
		ev, err := store.EventRow(id, contact, typ, ts, props, traits)
		if err != nil {
			return fmt.Errorf("scan events: %w", err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	return nil
}

const upsertLabJob = `INSERT INTO lab_jobs (id, run_id, state, draft, cursor, done, total, changed, error, actor, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, state = excluded.state,
	draft = excluded.draft, cursor = excluded.cursor, done = excluded.done, total = excluded.total, changed = excluded.changed,
	error = excluded.error, actor = excluded.actor, updated_at = excluded.updated_at`

// PutLabJob implements store.LabStore.
func (s *Store) PutLabJob(ctx context.Context, j store.LabJob) error {
	if _, err := s.write.ExecContext(ctx, upsertLabJob, j.Columns()...); err != nil {
		return fmt.Errorf("save lab job %s: %w", j.ID, err)
	}
	return nil
}

// CreateLabJob implements store.LabStore.
func (s *Store) CreateLabJob(ctx context.Context, j store.LabJob) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create lab job %s: %w", j.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, upsertLabJob, j.Columns()...); err != nil {
		return fmt.Errorf("create lab job %s: %w", j.ID, err)
	}
	if err := s.audit(ctx, tx, model.AuditLabApply, j.RunID, nil); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create lab job %s: commit: %w", j.ID, err)
	}
	return nil
}

// SaveLabJob implements store.LabTx.
func (t *sqliteTx) SaveLabJob(j store.LabJob) error {
	if _, err := t.tx.ExecContext(t.ctx, upsertLabJob, j.Columns()...); err != nil {
		return fmt.Errorf("save lab job %s: %w", j.ID, err)
	}
	return nil
}

// LabJobs implements store.LabStore.
func (s *Store) LabJobs(ctx context.Context) ([]store.LabJob, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, run_id, state, draft, cursor, done, total, changed, error, actor, created_at, updated_at
		FROM lab_jobs ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("lab jobs: %w", err)
	}
	defer rows.Close()
	out := []store.LabJob{}
	for rows.Next() {
		j, err := store.ScanLabJob(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
