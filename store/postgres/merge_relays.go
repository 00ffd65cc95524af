package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/store"
)

var _ store.MergeRelayTx = (*writeTx)(nil)

// AddMergeRelay implements store.MergeRelayTx.
func (t *writeTx) AddMergeRelay(r store.MergeRelay, at time.Time) error {
	if err := t.exec(`INSERT INTO merge_relays (id, cause, event, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, r.ID, r.Cause, r.Event, ms(at)); err != nil {
		return fmt.Errorf("keep merge relay %s: %w", r.ID, err)
	}
	return nil
}

// MergeRelays implements store.MergeRelayTx.
func (t *writeTx) MergeRelays(causes []string) ([]store.MergeRelay, error) {
	if len(causes) == 0 {
		return nil, nil
	}
	var out []store.MergeRelay
	err := t.eachRow(0, `SELECT id, cause, event FROM merge_relays WHERE cause = ANY($1) ORDER BY id`, []any{causes},
		func(rows pgx.Rows) (bool, error) {
			var r store.MergeRelay
			err := rows.Scan(&r.ID, &r.Cause, &r.Event)
			out = append(out, r)
			return err == nil, err
		})
	if err != nil {
		return nil, fmt.Errorf("merge relays: %w", err)
	}
	return out, nil
}

// MergeTarget implements store.MergeRelayTx with row locks, each its own
// statement so the move that follows takes its snapshot after them: from's
// row FOR UPDATE (a replica merging another contact into from holds it FOR
// KEY SHARE, and its moved rows must be visible to our move), then into's,
// or its survivor's, FOR KEY SHARE, which lets its owner go on updating it
// but makes a merge or delete of it wait for our commit. A lock that waited
// on a delete finds the row gone and follows the alias committed with it.
func (t *writeTx) MergeTarget(from, into string) (string, error) {
	var one int
	err := t.queryRow(tContacts, `SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, []any{from}, &one)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("lock merged contact %s: %w", from, err)
	}
	target, err := store.FollowMergeTarget(into, func(id string) (bool, error) {
		err := t.queryRow(tContacts, `SELECT 1 FROM contacts WHERE id = $1 FOR KEY SHARE`, []any{id}, &one)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}, t.ResolveAlias)
	if err != nil {
		return "", fmt.Errorf("lock merge target %s: %w", into, err)
	}
	return target, nil
}
