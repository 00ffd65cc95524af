package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

const segmentColumns = `id, name, description, filter, created_at, updated_at`

func scanSegment(row pgx.Row, extra ...any) (model.Segment, error) {
	var s model.Segment
	var filter string
	var created, updated int64
	if err := row.Scan(append([]any{&s.ID, &s.Name, &s.Description, &filter, &created, &updated}, extra...)...); err != nil {
		return s, err
	}
	s.Where = []byte(filter)
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	return s, nil
}

// CreateSegment stores a new segment; ErrConflict when the id is taken.
func (s *Store) CreateSegment(ctx context.Context, seg model.Segment) (model.Segment, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	seg.CreatedAt, seg.UpdatedAt = now, now
	err := s.inTx(ctx, "create segment "+seg.ID, true, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO segments (`+segmentColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			seg.ID, seg.Name, seg.Description, string(seg.Where), ms(now), ms(now))
		if isUniqueViolation(err) {
			return fmt.Errorf("segment %q already exists: %w", seg.ID, model.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create segment %s: %w", seg.ID, err)
		}
		return s.audit(ctx, tx, model.AuditSegmentCreate, seg.ID, nil)
	})
	return seg, err
}

// UpdateSegment replaces a segment's name and filter.
func (s *Store) UpdateSegment(ctx context.Context, seg model.Segment) (model.Segment, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	err := s.inTx(ctx, "update segment "+seg.ID, true, func(tx pgx.Tx) error {
		var created int64
		err := tx.QueryRow(ctx, `UPDATE segments SET name = $1, description = $2, filter = $3, updated_at = $4 WHERE id = $5
			RETURNING created_at`, seg.Name, seg.Description, string(seg.Where), ms(now), seg.ID).Scan(&created)
		if errors.Is(err, pgx.ErrNoRows) {
			return model.NotFound("segment", seg.ID)
		}
		if err != nil {
			return fmt.Errorf("update segment %s: %w", seg.ID, err)
		}
		seg.CreatedAt, seg.UpdatedAt = fromMS(created), now
		return s.audit(ctx, tx, model.AuditSegmentUpdate, seg.ID, nil)
	})
	return seg, err
}

// DeleteSegment removes a segment, its membership rows and its id from
// every member's list, in one transaction.
func (s *Store) DeleteSegment(ctx context.Context, id string) error {
	return s.inTx(ctx, "delete segment "+id, true, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM segments WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete segment %s: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return model.NotFound("segment", id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM segment_members WHERE segment_id = $1`, id); err != nil {
			return fmt.Errorf("delete segment %s members: %w", id, err)
		}
		// jsonb - text removes every element equal to the string.
		if _, err := tx.Exec(ctx, `UPDATE contacts SET segments = segments - $1::text WHERE segments ? $1::text`, id); err != nil {
			return fmt.Errorf("delete segment %s from contacts: %w", id, err)
		}
		return s.audit(ctx, tx, model.AuditSegmentDelete, id, nil)
	})
}

// GetSegment returns one segment with its member count.
func (s *Store) GetSegment(ctx context.Context, id string) (model.Segment, error) {
	var n int64
	seg, err := scanSegment(s.pool.QueryRow(ctx, `SELECT `+segmentColumns+`,
		(SELECT COUNT(*) FROM segment_members m WHERE m.segment_id = segments.id) FROM segments WHERE id = $1`, id), &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return seg, model.NotFound("segment", id)
	}
	if err != nil {
		return seg, fmt.Errorf("get segment %s: %w", id, err)
	}
	seg.Members = &n
	return seg, nil
}

// ListSegments returns every segment with its member count, by id.
func (s *Store) ListSegments(ctx context.Context) ([]model.Segment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+segmentColumns+`,
		(SELECT COUNT(*) FROM segment_members m WHERE m.segment_id = segments.id) FROM segments ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	defer rows.Close()
	out := []model.Segment{}
	for rows.Next() {
		n := new(int64)
		seg, err := scanSegment(rows, n)
		if err != nil {
			return nil, fmt.Errorf("list segments: %w", err)
		}
		seg.Members = n
		out = append(out, seg)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	return out, nil
}

// SegmentMembers pages a segment's contacts by id.
func (s *Store) SegmentMembers(ctx context.Context, id string, limit int, after string) ([]*model.Contact, string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	out, err := scanContacts(s.pool.Query(ctx, `SELECT `+contactColumns+` FROM segment_members m
		JOIN contacts c ON c.id = m.contact_id WHERE m.segment_id = $1 AND m.contact_id > $2 ORDER BY m.contact_id LIMIT $3`,
		id, after, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("members of %s: %w", id, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// ContactIDsAfter pages contact ids in id order.
func (s *Store) ContactIDsAfter(ctx context.Context, after string, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM contacts WHERE id > $1 ORDER BY id LIMIT $2`, after, limitArg(limit))
}

// DueContacts lists contacts whose time-based membership is due.
func (s *Store) DueContacts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM contacts WHERE next_eval_at IS NOT NULL AND next_eval_at <= $1 ORDER BY next_eval_at, seq LIMIT $2`,
		ms(now), limitArg(limit))
}

// DecayDue lists contacts holding points in a dimension that were not
// decayed since before (a contact never decayed counts from its creation).
func (s *Store) DecayDue(ctx context.Context, dimension string, before time.Time, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT c.id FROM contacts c LEFT JOIN score_decay d ON d.contact_id = c.id AND d.dimension = $1
		WHERE COALESCE((c.scores -> $1::text)::numeric, 0) <> 0 AND COALESCE(d.decayed_at, c.created_at) <= $2
		ORDER BY c.id LIMIT $3`, dimension, ms(before), limitArg(limit))
}

func (s *Store) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	out, err := scanIDs(s.pool.Query(ctx, q, args...))
	if err != nil {
		return nil, fmt.Errorf("list contact ids: %w", err)
	}
	return out, nil
}

// scanIDs reads a one-column result of ids (or any strings).
func scanIDs(rows pgx.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// DueRuns lists parked runs whose time has come, oldest first.
func (s *Store) DueRuns(ctx context.Context, now time.Time, limit int) ([]store.WaitingRun, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, flow_id, flow_version, contact_id, node_id, event, wake_at, created_at
		FROM waiting_runs WHERE wake_at <= $1 ORDER BY wake_at, id LIMIT $2`, ms(now), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("due runs: %w", err)
	}
	defer rows.Close()
	var out []store.WaitingRun
	for rows.Next() {
		var r store.WaitingRun
		var ev string
		var wake, created int64
		if err := rows.Scan(&r.ID, &r.FlowID, &r.FlowVersion, &r.ContactID, &r.NodeID, &ev, &wake, &created); err != nil {
			return nil, fmt.Errorf("due runs: %w", err)
		}
		r.Event, r.WakeAt, r.CreatedAt = []byte(ev), fromMS(wake), fromMS(created)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due runs: %w", err)
	}
	return out, nil
}

// CountWaitingRuns counts parked runs.
func (s *Store) CountWaitingRuns(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM waiting_runs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting runs: %w", err)
	}
	return n, nil
}

// RecordJobRun stores the outcome of a scheduled job's run.
func (s *Store) RecordJobRun(ctx context.Context, r model.JobRun) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO job_runs (name, schedule, last_start, duration_ms, outcome, error, runs)
		VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT (name) DO UPDATE SET schedule = excluded.schedule, last_start = excluded.last_start,
		duration_ms = excluded.duration_ms, outcome = excluded.outcome, error = excluded.error, runs = job_runs.runs + 1`,
		r.Name, r.Schedule, ms(r.LastStart), r.DurationMS, r.Outcome, text(r.Error))
	if err != nil {
		return fmt.Errorf("record job run %s: %w", r.Name, err)
	}
	return nil
}

// JobRuns lists the last run of every job that ran.
func (s *Store) JobRuns(ctx context.Context) ([]model.JobRun, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, schedule, last_start, duration_ms, outcome, COALESCE(error, ''), runs FROM job_runs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("job runs: %w", err)
	}
	defer rows.Close()
	out := []model.JobRun{}
	for rows.Next() {
		var r model.JobRun
		var start int64
		if err := rows.Scan(&r.Name, &r.Schedule, &start, &r.DurationMS, &r.Outcome, &r.Error, &r.Runs); err != nil {
			return nil, fmt.Errorf("job runs: %w", err)
		}
		r.LastStart = fromMS(start)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("job runs: %w", err)
	}
	return out, nil
}
