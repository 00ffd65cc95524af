package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// CountEventsBetween implements store.LabStore.
func (s *Store) CountEventsBetween(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE ts >= $1 AND ts < $2`, ms(from), ms(to)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return n, nil
}

// ScanEvents implements store.LabStore on the (ts, id) index; pgx reads
// the rows as they arrive, so the scan holds one event at a time.
func (s *Store) ScanEvents(ctx context.Context, from, to time.Time, fn func(*model.Event) error) error {
	rows, err := s.pool.Query(ctx, `SELECT id, contact_id, type, ts, properties, traits FROM events
		WHERE ts >= $1 AND ts < $2 ORDER BY ts, id`, ms(from), ms(to))
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
	rows, err := s.pool.Query(ctx, `SELECT id, contact_id, type, ts, properties, traits FROM events
		WHERE contact_id = ANY($1) ORDER BY contact_id, ts, id`, ids)
	if err != nil {
		return fmt.Errorf("events of %d contacts: %w", len(ids), err)
	}
	return scanLabEvents(rows, fn)
}

func scanLabEvents(rows pgx.Rows, fn func(*model.Event) error) error {
	defer rows.Close()
	for rows.Next() {
		var id, contact, typ string
		var ts int64
		var props, traits []byte
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
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, state = excluded.state,
	draft = excluded.draft, cursor = excluded.cursor, done = excluded.done, total = excluded.total, changed = excluded.changed,
	error = excluded.error, actor = excluded.actor, updated_at = excluded.updated_at`

// PutLabJob implements store.LabStore.
func (s *Store) PutLabJob(ctx context.Context, j store.LabJob) error {
	if _, err := s.pool.Exec(ctx, upsertLabJob, j.Columns()...); err != nil {
		return fmt.Errorf("save lab job %s: %w", j.ID, err)
	}
	return nil
}

// CreateLabJob implements store.LabStore.
func (s *Store) CreateLabJob(ctx context.Context, j store.LabJob) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, upsertLabJob, j.Columns()...); err != nil {
			return fmt.Errorf("create lab job %s: %w", j.ID, err)
		}
		return s.audit(ctx, tx, model.AuditLabApply, j.RunID, nil)
	})
	if err != nil {
		return fmt.Errorf("create lab job %s: %w", j.ID, err)
	}
	return nil
}

// SaveLabJob implements store.LabTx: one round trip that also sends the
// writes queued so far, so the cursor commits with the chunk it covers.
func (t *writeTx) SaveLabJob(j store.LabJob) error {
	err := t.roundTrip(0, func(b *pgx.Batch) { b.Queue(upsertLabJob, j.Columns()...) }, func(br pgx.BatchResults) error {
		_, err := br.Exec()
		return err
	})
	if err != nil {
		return fmt.Errorf("save lab job %s: %w", j.ID, err)
	}
	return nil
}

// LabJobs implements store.LabStore.
func (s *Store) LabJobs(ctx context.Context) ([]store.LabJob, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, run_id, state, draft, cursor, done, total, changed, error, actor, created_at, updated_at
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lab jobs: %w", err)
	}
	return out, nil
}
