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
	err := t.tx.QueryRowContext(t.ctx, `SELECT TOTAL(delta) FROM ledger
		WHERE contact_id = ? AND event_at > ? AND event_at <= ? AND (? = '' OR dimension = ?)`,
		contactID, ms(since), ms(until), dimension, dimension).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("score change of %s on %q: %w", contactID, dimension, err)
	}
	return sum, nil
}

// FirstScoreChangeAfter implements store.ScoreWindow.
func (t *sqliteTx) FirstScoreChangeAfter(contactID, dimension string, after time.Time) (time.Time, bool, error) {
	var at sql.NullInt64
	err := t.tx.QueryRowContext(t.ctx, `SELECT MIN(event_at) FROM ledger
		WHERE contact_id = ? AND event_at > ? AND (? = '' OR dimension = ?)`,
		contactID, ms(after), dimension, dimension).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("first score change of %s on %q: %w", contactID, dimension, err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(at.Int64), true, nil
}
