package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

const segmentColumns = `id, name, description, filter, created_at, updated_at`

func scanSegment(sc interface{ Scan(...any) error }) (model.Segment, error) {
	var s model.Segment
	var filter string
	var created, updated int64
	if err := sc.Scan(&s.ID, &s.Name, &s.Description, &filter, &created, &updated); err != nil {
		return s, err
	}
	s.Where = []byte(filter)
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	return s, nil
}

// writeTx runs fn in a write transaction that also bumps the config
// generation, so engines reload what changed.
func (s *Store) writeTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	return s.writeTxThen(ctx, what, fn, bumpGeneration)
}

// writeTxThen runs fn and then bump (a generation) in one write transaction.
func (s *Store) writeTxThen(ctx context.Context, what string, fn func(tx *sql.Tx) error, bump func(context.Context, *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := bump(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// CreateSegment stores a new segment; ErrConflict when the id is taken.
func (s *Store) CreateSegment(ctx context.Context, seg model.Segment) (model.Segment, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	seg.CreatedAt, seg.UpdatedAt = now, now
	err := s.writeTx(ctx, "create segment "+seg.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO segments (`+segmentColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			seg.ID, seg.Name, seg.Description, string(seg.Where), ms(now), ms(now))
		if isUniqueViolation(err) {
			return fmt.Errorf("segment %q already exists: %w", seg.ID, model.ErrConflict)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, model.AuditSegmentCreate, seg.ID, nil)
	})
	return seg, err
}

// UpdateSegment replaces a segment's name and filter.
func (s *Store) UpdateSegment(ctx context.Context, seg model.Segment) (model.Segment, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	err := s.writeTx(ctx, "update segment "+seg.ID, func(tx *sql.Tx) error {
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM segments WHERE id = ?`, seg.ID).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return model.NotFound("segment", seg.ID)
		}
		if err != nil {
			return err
		}
		seg.CreatedAt, seg.UpdatedAt = fromMS(created), now
		if _, err = tx.ExecContext(ctx, `UPDATE segments SET name = ?, description = ?, filter = ?, updated_at = ? WHERE id = ?`,
			seg.Name, seg.Description, string(seg.Where), ms(now), seg.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, model.AuditSegmentUpdate, seg.ID, nil)
	})
	return seg, err
}

// DeleteSegment removes a segment and its membership rows. Contacts'
// segment lists are cleaned by the engine's next evaluation of them; the
// list endpoint and filters read segment_members.
func (s *Store) DeleteSegment(ctx context.Context, id string) error {
	return s.writeTx(ctx, "delete segment "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.NotFound("segment", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM segment_members WHERE segment_id = ?`, id); err != nil {
			return err
		}
		// Drop the id from every member's list in the same transaction.
		_, err = tx.ExecContext(ctx, `UPDATE contacts SET segments = (
			SELECT json_group_array(value) FROM json_each(contacts.segments) WHERE value != ?)
			WHERE EXISTS (SELECT 1 FROM json_each(contacts.segments) WHERE value = ?)`, id, id)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, model.AuditSegmentDelete, id, nil)
	})
}

// GetSegment returns one segment with its member count.
func (s *Store) GetSegment(ctx context.Context, id string) (model.Segment, error) {
	seg, err := scanSegment(s.read.QueryRowContext(ctx, `SELECT `+segmentColumns+` FROM segments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return seg, model.NotFound("segment", id)
	}
	if err != nil {
		return seg, fmt.Errorf("get segment %s: %w", id, err)
	}
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM segment_members WHERE segment_id = ?`, id).Scan(&n); err != nil {
		return seg, fmt.Errorf("count members of %s: %w", id, err)
	}
	seg.Members = &n
	return seg, nil
}

// ListSegments returns every segment with its member count, by id.
func (s *Store) ListSegments(ctx context.Context) ([]model.Segment, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+segmentColumns+`,
		(SELECT COUNT(*) FROM segment_members m WHERE m.segment_id = segments.id) FROM segments ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	defer rows.Close()
	out := []model.Segment{}
	for rows.Next() {
		var seg model.Segment
		var filter string
		var created, updated, n int64
		if err := rows.Scan(&seg.ID, &seg.Name, &seg.Description, &filter, &created, &updated, &n); err != nil {
			return nil, fmt.Errorf("list segments: %w", err)
		}
		seg.Where = []byte(filter)
		seg.CreatedAt, seg.UpdatedAt = fromMS(created), fromMS(updated)
		seg.Members = &n
		out = append(out, seg)
	}
	return out, rows.Err()
}

// SegmentMembers pages a segment's contacts by id.
func (s *Store) SegmentMembers(ctx context.Context, id string, limit int, after string) ([]*model.Contact, string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+prefixed("c.", contactColumns)+` FROM segment_members m
		JOIN contacts c ON c.id = m.contact_id WHERE m.segment_id = ? AND m.contact_id > ? ORDER BY m.contact_id LIMIT ?`,
		id, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("members of %s: %w", id, err)
	}
	out, err := scanContacts(rows)
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
	return s.ids(ctx, `SELECT id FROM contacts WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

// DueContacts lists contacts whose time-based membership is due.
func (s *Store) DueContacts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM contacts WHERE next_eval_at IS NOT NULL AND next_eval_at <= ? ORDER BY next_eval_at LIMIT ?`, ms(now), limit)
}

// DecayDue lists contacts holding points in a dimension that were not
// decayed since before (a contact never decayed counts from its creation).
func (s *Store) DecayDue(ctx context.Context, dimension string, before time.Time, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT c.id FROM contacts c LEFT JOIN score_decay d ON d.contact_id = c.id AND d.dimension = ?
		WHERE COALESCE(json_extract(c.scores, ?), 0) != 0 AND COALESCE(d.decayed_at, c.created_at) <= ?
		ORDER BY c.id LIMIT ?`, dimension, jsonPath(dimension), ms(before), limit)
}

// jsonPath quotes a key for json_extract, so any dimension name is safe.
func jsonPath(key string) string {
	b := []byte(`$."`)
	for _, r := range key {
		if r == '"' || r == '\\' {
			b = append(b, '\\')
		}
		b = append(b, string(r)...)
	}
	return string(append(b, '"'))
}

func (s *Store) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	out, err := scanIDs(s.read.QueryContext(ctx, q, args...))
	if err != nil {
		return nil, fmt.Errorf("list contact ids: %w", err)
	}
	return out, nil
}

// scanIDs reads a one-column result of ids (or any strings).
func scanIDs(rows *sql.Rows, err error) ([]string, error) {
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
	rows, err := s.read.QueryContext(ctx, `SELECT id, flow_id, flow_version, contact_id, node_id, event, wake_at, created_at
		FROM waiting_runs WHERE wake_at <= ? ORDER BY wake_at, id LIMIT ?`, ms(now), limit)
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
	return out, rows.Err()
}

// CountWaitingRuns counts parked runs.
func (s *Store) CountWaitingRuns(ctx context.Context) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM waiting_runs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting runs: %w", err)
	}
	return n, nil
}

// RecordJobRun stores the outcome of a scheduled job's run.
func (s *Store) RecordJobRun(ctx context.Context, r model.JobRun) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO job_runs (name, schedule, last_start, duration_ms, outcome, error, runs)
		VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (name) DO UPDATE SET schedule = excluded.schedule, last_start = excluded.last_start,
		duration_ms = excluded.duration_ms, outcome = excluded.outcome, error = excluded.error, runs = runs + 1`,
		r.Name, r.Schedule, ms(r.LastStart), r.DurationMS, r.Outcome, nullIfEmpty(r.Error))
	if err != nil {
		return fmt.Errorf("record job run %s: %w", r.Name, err)
	}
	return nil
}

// JobRuns lists the last run of every job that ran.
func (s *Store) JobRuns(ctx context.Context) ([]model.JobRun, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT name, schedule, last_start, duration_ms, outcome, COALESCE(error, ''), runs FROM job_runs ORDER BY name`)
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
	return out, rows.Err()
}

// prefixed qualifies a comma-separated column list with a table alias.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
