package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// CreateFlow stores a new flow as its first version (after any versions a
// deleted flow of the same id left); ErrConflict when the id is taken.
func (s *Store) CreateFlow(ctx context.Context, f store.FlowRecord) (store.FlowRecord, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.FlowRecord{}, fmt.Errorf("create flow %s: %w", f.ID, err)
	}
	defer tx.Rollback()
	var exists int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM flows WHERE id = ?`, f.ID).Scan(&exists)
	if err == nil {
		return store.FlowRecord{}, fmt.Errorf("flow %q already exists: %w", f.ID, model.ErrConflict)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return store.FlowRecord{}, fmt.Errorf("create flow %s: %w", f.ID, err)
	}
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM flow_versions WHERE flow_id = ?`, f.ID).Scan(&last); err != nil {
		return store.FlowRecord{}, fmt.Errorf("create flow %s: %w", f.ID, err)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	f.Version = int(last.Int64) + 1
	f.CreatedAt, f.UpdatedAt = now, now
	if _, err := tx.ExecContext(ctx, `INSERT INTO flows (id, name, enabled, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		f.ID, f.Name, f.Enabled, f.Version, ms(now), ms(now)); err != nil {
		return store.FlowRecord{}, fmt.Errorf("create flow %s: %w", f.ID, err)
	}
	if err := insertVersion(ctx, tx, f); err != nil {
		return store.FlowRecord{}, err
	}
	if err := s.audit(ctx, tx, model.AuditFlowCreate, f.ID, &f.Version); err != nil {
		return store.FlowRecord{}, err
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return store.FlowRecord{}, err
	}
	if err := tx.Commit(); err != nil {
		return store.FlowRecord{}, fmt.Errorf("create flow %s: commit: %w", f.ID, err)
	}
	return f, nil
}

func insertVersion(ctx context.Context, tx *sql.Tx, f store.FlowRecord) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO flow_versions (flow_id, version, doc, created_at) VALUES (?, ?, ?, ?)`,
		f.ID, f.Version, string(f.Doc), ms(f.UpdatedAt)); err != nil {
		return fmt.Errorf("store flow %s version %d: %w", f.ID, f.Version, err)
	}
	return nil
}

// UpdateFlow saves a new version; expectVersion > 0 must equal the current
// version or the save is refused with ErrConflict (optimistic concurrency).
func (s *Store) UpdateFlow(ctx context.Context, f store.FlowRecord, expectVersion int) (store.FlowRecord, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.FlowRecord{}, fmt.Errorf("update flow %s: %w", f.ID, err)
	}
	defer tx.Rollback()
	var current int
	var created int64
	err = tx.QueryRowContext(ctx, `SELECT version, created_at FROM flows WHERE id = ?`, f.ID).Scan(&current, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.FlowRecord{}, model.NotFound("flow", f.ID)
	}
	if err != nil {
		return store.FlowRecord{}, fmt.Errorf("update flow %s: %w", f.ID, err)
	}
	if expectVersion > 0 && expectVersion != current {
		return store.FlowRecord{}, &model.StaleVersionError{Kind: "flow", ID: f.ID, Current: current, Sent: expectVersion}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	f.Version = current + 1
	f.CreatedAt, f.UpdatedAt = fromMS(created), now
	if _, err := tx.ExecContext(ctx, `UPDATE flows SET name = ?, enabled = ?, version = ?, updated_at = ? WHERE id = ?`,
		f.Name, f.Enabled, f.Version, ms(now), f.ID); err != nil {
		return store.FlowRecord{}, fmt.Errorf("update flow %s: %w", f.ID, err)
	}
	if err := insertVersion(ctx, tx, f); err != nil {
		return store.FlowRecord{}, err
	}
	if err := s.audit(ctx, tx, model.AuditFlowUpdate, f.ID, &f.Version); err != nil {
		return store.FlowRecord{}, err
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return store.FlowRecord{}, err
	}
	if err := tx.Commit(); err != nil {
		return store.FlowRecord{}, fmt.Errorf("update flow %s: commit: %w", f.ID, err)
	}
	return f, nil
}

// DeleteFlow removes a flow; its versions stay for history.
func (s *Store) DeleteFlow(ctx context.Context, id string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete flow %s: %w", id, err)
	}
	defer tx.Rollback()
	var version int
	err = tx.QueryRowContext(ctx, `DELETE FROM flows WHERE id = ? RETURNING version`, id).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return model.NotFound("flow", id)
	}
	if err != nil {
		return fmt.Errorf("delete flow %s: %w", id, err)
	}
	if err := s.audit(ctx, tx, model.AuditFlowDelete, id, &version); err != nil {
		return err
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

const flowSelect = `SELECT f.id, f.name, f.enabled, f.version, v.doc, f.created_at, f.updated_at
	FROM flows f JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.version`

func scanFlow(sc interface{ Scan(...any) error }) (store.FlowRecord, error) {
	var f store.FlowRecord
	var doc string
	var created, updated int64
	if err := sc.Scan(&f.ID, &f.Name, &f.Enabled, &f.Version, &doc, &created, &updated); err != nil {
		return store.FlowRecord{}, err
	}
	f.Doc = []byte(doc)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	return f, nil
}

// GetFlow returns the current version of a flow.
func (s *Store) GetFlow(ctx context.Context, id string) (store.FlowRecord, error) {
	f, err := scanFlow(s.read.QueryRowContext(ctx, flowSelect+` WHERE f.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.FlowRecord{}, model.NotFound("flow", id)
	}
	if err != nil {
		return store.FlowRecord{}, fmt.Errorf("get flow %s: %w", id, err)
	}
	return f, nil
}

// GetFlowVersion returns one stored version, even of a deleted flow.
func (s *Store) GetFlowVersion(ctx context.Context, id string, version int) (store.FlowRecord, error) {
	var f store.FlowRecord
	var doc string
	var created int64
	err := s.read.QueryRowContext(ctx, `SELECT flow_id, version, doc, created_at FROM flow_versions WHERE flow_id = ? AND version = ?`,
		id, version).Scan(&f.ID, &f.Version, &doc, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.FlowRecord{}, model.NotFound("flow version", fmt.Sprintf("%s@%d", id, version))
	}
	if err != nil {
		return store.FlowRecord{}, fmt.Errorf("get flow %s version %d: %w", id, version, err)
	}
	f.Doc = []byte(doc)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(created)
	return f, nil
}

// ListFlows returns the current version of every flow, by id.
func (s *Store) ListFlows(ctx context.Context) ([]store.FlowRecord, error) {
	rows, err := s.read.QueryContext(ctx, flowSelect+` ORDER BY f.id`)
	if err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	defer rows.Close()
	out := []store.FlowRecord{}
	for rows.Next() {
		f, err := scanFlow(rows)
		if err != nil {
			return nil, fmt.Errorf("list flows: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FlowVersions lists every stored version of a flow, newest first.
func (s *Store) FlowVersions(ctx context.Context, id string) ([]store.FlowRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT version, doc, created_at FROM flow_versions WHERE flow_id = ? ORDER BY version DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("flow %s versions: %w", id, err)
	}
	defer rows.Close()
	out := []store.FlowRecord{}
	for rows.Next() {
		f := store.FlowRecord{ID: id}
		var doc string
		var created int64
		if err := rows.Scan(&f.Version, &doc, &created); err != nil {
			return nil, fmt.Errorf("flow %s versions: %w", id, err)
		}
		f.Doc = []byte(doc)
		f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(created)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, model.NotFound("flow", id)
	}
	return out, nil
}

// FlowStats sums a flow's per-node counters since a time.
func (s *Store) FlowStats(ctx context.Context, id string, since time.Time) ([]store.NodeStats, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT node_id, SUM(entered), SUM(completed), SUM(failed) FROM flow_stats
		WHERE flow_id = ? AND minute >= ? GROUP BY node_id ORDER BY node_id`, id, ms(since))
	if err != nil {
		return nil, fmt.Errorf("flow %s stats: %w", id, err)
	}
	defer rows.Close()
	out := []store.NodeStats{}
	for rows.Next() {
		n := store.NodeStats{FlowID: id, Minute: since}
		if err := rows.Scan(&n.NodeID, &n.Entered, &n.Completed, &n.Failed); err != nil {
			return nil, fmt.Errorf("flow %s stats: %w", id, err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// RunFailures lists a flow's latest failed runs ("" = every flow).
func (s *Store) RunFailures(ctx context.Context, flowID string, limit int) ([]store.RunFailure, error) {
	q := `SELECT flow_id, flow_version, contact_id, COALESCE(event_id, ''), COALESCE(node_id, ''), reason, at FROM run_failures`
	args := []any{}
	if flowID != "" {
		q += ` WHERE flow_id = ?`
		args = append(args, flowID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("run failures: %w", err)
	}
	defer rows.Close()
	out := []store.RunFailure{}
	for rows.Next() {
		var f store.RunFailure
		var at int64
		if err := rows.Scan(&f.FlowID, &f.FlowVersion, &f.ContactID, &f.EventID, &f.NodeID, &f.Reason, &at); err != nil {
			return nil, fmt.Errorf("run failures: %w", err)
		}
		f.At = fromMS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}
