package sqlite

import (
	"database/sql"
	"fmt"
	"time"
)

// Score velocity reads (store.ScoreWindow), each one range of the index
// ledger_contact_event_at (contact_id, event_at, dimension, delta), which
// covers them: no table row is read. dimension '' is every dimension.

// ScoreChange implements store.ScoreWindow. TOTAL is SUM as a float, which
// cannot overflow, and 0.0 over no rows.
func (t *sqliteTx) ScoreChange(contactID, dimension string, since, until time.Time) (float64, error) {
	var sum float64
	err := t.raw.scoreChange.queryRow(t.ctx, []any{&sum}, contactID, ms(since), ms(until), dimension)
	if err != nil {
		return 0, fmt.Errorf("score change of %s on %q: %w", contactID, dimension, err)
	}
	return sum, nil
}

// ScoreChangeEdges implements store.ScoreWindow: one range of the index.
func (t *sqliteTx) ScoreChangeEdges(contactID, dimension string, since, now time.Time) (time.Time, time.Time, error) {
	var oldest, ahead sql.NullInt64
	err := t.raw.scoreChangeEdges.queryRow(t.ctx, []any{&oldest, &ahead}, contactID, ms(since), ms(now), dimension)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("score change edges of %s on %q: %w", contactID, dimension, err)
	}
	return msOrZero(oldest), msOrZero(ahead), nil
}

func msOrZero(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// The statements, prepared with the others (tx.go). ?1 contact, ?2 since,
// ?3 until or now, ?4 dimension.
const (
	scoreChangeSQL = `SELECT TOTAL(delta) FROM ledger
		WHERE contact_id = ?1 AND event_at > ?2 AND event_at <= ?3 AND (?4 = '' OR dimension = ?4)`
	// One pass over the rows after since (measured: a third to a half of
	// the time of two MIN subqueries, which SQLite runs as two searches).
	scoreChangeEdgesSQL = `SELECT MIN(CASE WHEN event_at <= ?3 THEN event_at END), MIN(CASE WHEN event_at > ?3 THEN event_at END)
		FROM ledger WHERE contact_id = ?1 AND event_at > ?2 AND (?4 = '' OR dimension = ?4)`
)
