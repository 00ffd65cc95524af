package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// CreateFlow stores a new flow as its first version (after any versions a
// deleted flow of the same id left); ErrConflict when the id is taken.
func (s *Store) CreateFlow(ctx context.Context, f store.FlowRecord) (store.FlowRecord, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	err := s.inTx(ctx, "create flow "+f.ID, true, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM flows WHERE id = $1)`, f.ID).Scan(&exists); err != nil {
			return fmt.Errorf("create flow %s: %w", f.ID, err)
		}
		if exists {
			return fmt.Errorf("flow %q already exists: %w", f.ID, model.ErrConflict)
		}
		var last pgtype.Int4
		if err := tx.QueryRow(ctx, `SELECT MAX(version) FROM flow_versions WHERE flow_id = $1`, f.ID).Scan(&last); err != nil {
			return fmt.Errorf("create flow %s: %w", f.ID, err)
		}
		f.Version = int(last.Int32) + 1
		f.CreatedAt, f.UpdatedAt = now, now
		// Two creates of one id racing both pass the check above; the
		// primary key refuses the second.
		if _, err := tx.Exec(ctx, `INSERT INTO flows (id, name, enabled, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			f.ID, f.Name, f.Enabled, f.Version, ms(now), ms(now)); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("flow %q already exists: %w", f.ID, model.ErrConflict)
			}
			return fmt.Errorf("create flow %s: %w", f.ID, err)
		}
		if err := insertVersion(ctx, tx, f); err != nil {
			return err
		}
		return s.audit(ctx, tx, model.AuditFlowCreate, f.ID, &f.Version)
	})
	if err != nil {
		return store.FlowRecord{}, err
	}
	return f, nil
}

func insertVersion(ctx context.Context, tx pgx.Tx, f store.FlowRecord) error {
	if _, err := tx.Exec(ctx, `INSERT INTO flow_versions (flow_id, version, doc, created_at) VALUES ($1, $2, $3, $4)`,
		f.ID, f.Version, string(f.Doc), ms(f.UpdatedAt)); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("store flow %s version %d: saved concurrently: %w", f.ID, f.Version, model.ErrConflict)
		}
		return fmt.Errorf("store flow %s version %d: %w", f.ID, f.Version, err)
	}
	return nil
}

// UpdateFlow saves a new version; expectVersion > 0 must equal the current
// version or the save is refused with ErrConflict (optimistic concurrency).
// The row lock makes concurrent saves of one flow take turns.
func (s *Store) UpdateFlow(ctx context.Context, f store.FlowRecord, expectVersion int) (store.FlowRecord, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	err := s.inTx(ctx, "update flow "+f.ID, true, func(tx pgx.Tx) error {
		var current int
		var created int64
		err := tx.QueryRow(ctx, `SELECT version, created_at FROM flows WHERE id = $1 FOR UPDATE`, f.ID).Scan(&current, &created)
		if errors.Is(err, pgx.ErrNoRows) {
			return model.NotFound("flow", f.ID)
		}
		if err != nil {
			return fmt.Errorf("update flow %s: %w", f.ID, err)
		}
		if expectVersion > 0 && expectVersion != current {
			return &model.StaleVersionError{Kind: "flow", ID: f.ID, Current: current, Sent: expectVersion}
		}
		f.Version = current + 1
		f.CreatedAt, f.UpdatedAt = fromMS(created), now
		if _, err := tx.Exec(ctx, `UPDATE flows SET name = $1, enabled = $2, version = $3, updated_at = $4 WHERE id = $5`,
			f.Name, f.Enabled, f.Version, ms(now), f.ID); err != nil {
			return fmt.Errorf("update flow %s: %w", f.ID, err)
		}
		if err := insertVersion(ctx, tx, f); err != nil {
			return err
		}
		return s.audit(ctx, tx, model.AuditFlowUpdate, f.ID, &f.Version)
	})
	if err != nil {
		return store.FlowRecord{}, err
	}
	return f, nil
}

// DeleteFlow removes a flow; its versions stay for history.
func (s *Store) DeleteFlow(ctx context.Context, id string) error {
	return s.inTx(ctx, "delete flow "+id, true, func(tx pgx.Tx) error {
		var version int
		err := tx.QueryRow(ctx, `DELETE FROM flows WHERE id = $1 RETURNING version`, id).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return model.NotFound("flow", id)
		}
		if err != nil {
			return fmt.Errorf("delete flow %s: %w", id, err)
		}
		return s.audit(ctx, tx, model.AuditFlowDelete, id, &version)
	})
}

const flowSelect = `SELECT f.id, f.name, f.enabled, f.version, v.doc, f.created_at, f.updated_at
	FROM flows f JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.version`

func scanFlow(row pgx.Row) (store.FlowRecord, error) {
	var f store.FlowRecord
	var doc string
	var created, updated int64
	if err := row.Scan(&f.ID, &f.Name, &f.Enabled, &f.Version, &doc, &created, &updated); err != nil {
		return store.FlowRecord{}, err
	}
	f.Doc = []byte(doc)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	return f, nil
}

// GetFlow returns the current version of a flow.
func (s *Store) GetFlow(ctx context.Context, id string) (store.FlowRecord, error) {
	f, err := scanFlow(s.pool.QueryRow(ctx, flowSelect+` WHERE f.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.pool.QueryRow(ctx, `SELECT flow_id, version, doc, created_at FROM flow_versions WHERE flow_id = $1 AND version = $2`,
		id, version).Scan(&f.ID, &f.Version, &doc, &created)
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, flowSelect+` ORDER BY f.id`)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	return out, nil
}

// FlowVersions lists every stored version of a flow, newest first.
func (s *Store) FlowVersions(ctx context.Context, id string) ([]store.FlowRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, doc, created_at FROM flow_versions WHERE flow_id = $1 ORDER BY version DESC`, id)
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
		return nil, fmt.Errorf("flow %s versions: %w", id, err)
	}
	if len(out) == 0 {
		return nil, model.NotFound("flow", id)
	}
	return out, nil
}

// FlowStats sums a flow's per-node counters since a time.
func (s *Store) FlowStats(ctx context.Context, id string, since time.Time) ([]store.NodeStats, error) {
	rows, err := s.pool.Query(ctx, `SELECT node_id, SUM(entered)::bigint, SUM(completed)::bigint, SUM(failed)::bigint FROM flow_stats
		WHERE flow_id = $1 AND minute >= $2 GROUP BY node_id ORDER BY node_id`, id, ms(since))
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("flow %s stats: %w", id, err)
	}
	return out, nil
}

// RunFailures lists a flow's latest failed runs ("" = every flow).
func (s *Store) RunFailures(ctx context.Context, flowID string, limit int) ([]store.RunFailure, error) {
	q := `SELECT flow_id, flow_version, contact_id, COALESCE(event_id, ''), COALESCE(node_id, ''), reason, at FROM run_failures`
	var args params
	if flowID != "" {
		q += ` WHERE flow_id = ` + args.add(flowID)
	}
	q += ` ORDER BY id DESC LIMIT ` + args.add(limitArg(limit))
	rows, err := s.pool.Query(ctx, q, args...)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run failures: %w", err)
	}
	return out, nil
}
