package sqlite

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/store"
)

var _ store.WindowFacts = (*sqliteTx)(nil)

// EventWindow implements store.WindowFacts: one range of the
// (contact_id, type, ts) index for both the count and the oldest.
func (t *sqliteTx) EventWindow(contactID, eventType string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	if err := t.raw.eventWindow.queryRow(t.ctx, []any{&n, &oldest}, contactID, eventType, ms(since)); err != nil {
		return 0, time.Time{}, fmt.Errorf("%s events of %s since %v: %w", eventType, contactID, since, err)
	}
	return n, msOrZero(oldest), nil
}

// ScoreWindowFacts implements store.WindowFacts: ScoreChange's and
// ScoreChangeEdges' statements folded into one pass over the rows after
// since.
func (t *sqliteTx) ScoreWindowFacts(contactID, dimension string, since, now time.Time) (float64, time.Time, time.Time, error) {
	var sum float64
	var oldest, ahead sql.NullInt64
	err := t.raw.scoreWindowFacts.queryRow(t.ctx, []any{&sum, &oldest, &ahead}, contactID, ms(since), ms(now), dimension)
	if err != nil {
		return 0, time.Time{}, time.Time{}, fmt.Errorf("score window of %s on %q: %w", contactID, dimension, err)
	}
	return sum, msOrZero(oldest), msOrZero(ahead), nil
}

// ?1 contact, ?2 since, ?3 now, ?4 dimension, as in score_window.go.
const (
	eventWindowSQL      = `SELECT COUNT(*), MIN(ts) FROM events WHERE contact_id = ?1 AND type = ?2 AND ts >= ?3`
	scoreWindowFactsSQL = `SELECT TOTAL(CASE WHEN event_at <= ?3 THEN delta END),
		MIN(CASE WHEN event_at <= ?3 THEN event_at END), MIN(CASE WHEN event_at > ?3 THEN event_at END)
		FROM ledger WHERE contact_id = ?1 AND event_at > ?2 AND (?4 = '' OR dimension = ?4)`
)
