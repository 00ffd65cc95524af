package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Score velocity reads (store.ScoreWindow): one range of the index
// ledger_contact_event_at (contact_id, event_at) INCLUDE (dimension, delta)
// each, after the batch's queued ledger rows are sent. dimension '' is
// every dimension.

// ScoreChange implements store.ScoreWindow. SUM of bigint is numeric,
// exact whatever the rows, and the float8 it is cast to cannot overflow.
func (t *writeTx) ScoreChange(contactID, dimension string, since, until time.Time) (float64, error) {
	var sum float64
	err := t.queryRow(tLedger, `SELECT COALESCE(SUM(delta), 0)::float8 FROM ledger
		WHERE contact_id = $1 AND event_at > $2 AND event_at <= $3 AND ($4 = '' OR dimension = $4)`,
		[]any{contactID, ms(since), ms(until), dimension}, &sum)
	if err != nil {
		return 0, fmt.Errorf("score change of %s on %q: %w", contactID, dimension, err)
	}
	return sum, nil
}

// ScoreChangeEdges implements store.ScoreWindow: one range of the index,
// in one round trip.
func (t *writeTx) ScoreChangeEdges(contactID, dimension string, since, now time.Time) (time.Time, time.Time, error) {
	var oldest, ahead pgtype.Int8
	err := t.queryRow(tLedger, `SELECT MIN(event_at) FILTER (WHERE event_at <= $3), MIN(event_at) FILTER (WHERE event_at > $3)
		FROM ledger WHERE contact_id = $1 AND event_at > $2 AND ($4 = '' OR dimension = $4)`,
		[]any{contactID, ms(since), ms(now), dimension}, &oldest, &ahead)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("score change edges of %s on %q: %w", contactID, dimension, err)
	}
	return msOrZero(oldest), msOrZero(ahead), nil
}

func msOrZero(v pgtype.Int8) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}
