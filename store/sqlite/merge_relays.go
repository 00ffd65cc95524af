package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/store"
)

var _ store.MergeRelayTx = (*sqliteTx)(nil)

// AddMergeRelay implements store.MergeRelayTx.
func (t *sqliteTx) AddMergeRelay(r store.MergeRelay, at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO merge_relays (id, cause, event, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, r.ID, r.Cause, r.Event, ms(at)); err != nil {
		return fmt.Errorf("keep merge relay %s: %w", r.ID, err)
	}
	return nil
}

// MergeRelays implements store.MergeRelayTx.
func (t *sqliteTx) MergeRelays(causes []string) ([]store.MergeRelay, error) {
	if len(causes) == 0 {
		return nil, nil
	}
	args := make([]any, len(causes))
	for i, c := range causes {
		args[i] = c
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id, cause, event FROM merge_relays WHERE cause IN (?`+
		strings.Repeat(", ?", len(causes)-1)+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("merge relays: %w", err)
	}
	defer rows.Close()
	var out []store.MergeRelay
	for rows.Next() {
		var r store.MergeRelay
		if err := rows.Scan(&r.ID, &r.Cause, &r.Event); err != nil {
			return nil, fmt.Errorf("merge relays: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MergeTarget implements store.MergeRelayTx. SQLite has one writer, so
// nothing can change under the transaction: it only resolves into.
func (t *sqliteTx) MergeTarget(_, into string) (string, error) {
	target, err := store.FollowMergeTarget(into, func(id string) (bool, error) {
		var one int
		err := t.tx.QueryRowContext(t.ctx, `SELECT 1 FROM contacts WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}, t.ResolveAlias)
	if err != nil {
		return "", fmt.Errorf("merge target %s: %w", into, err)
	}
	return target, nil
}
