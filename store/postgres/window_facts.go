package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/store"
)

var _ store.WindowFacts = (*writeTx)(nil)

// EventWindow implements store.WindowFacts: the stored events' count and
// oldest in one round trip, and the batch's queued ones added in Go, as
// CountContactEvents and OldestContactEvent do.
func (t *writeTx) EventWindow(contactID, eventType string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest pgtype.Int8
	if err := t.queryRow(0, `SELECT COUNT(*), MIN(ts) FROM events WHERE contact_id = $1 AND type = $2 AND ts >= $3`,
		[]any{contactID, eventType, ms(since)}, &n, &oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("%s events of %s since %v: %w", eventType, contactID, since, err)
	}
	if queued, first := t.q.events.match(contactID, eventType, ms(since)); queued > 0 {
		n += queued
		if !oldest.Valid || first < oldest.Int64 {
			oldest = pgtype.Int8{Int64: first, Valid: true}
		}
	}
	return n, msOrZero(oldest), nil
}

// ScoreWindowFacts implements store.WindowFacts: ScoreChange's sum and
// ScoreChangeEdges' edges from one range of the index, queued rows added.
func (t *writeTx) ScoreWindowFacts(contactID, dimension string, since, now time.Time) (float64, time.Time, time.Time, error) {
	flush := t.ledgerFlush()
	var sum float64
	var oldest, ahead pgtype.Int8
	err := t.queryRow(flush, `SELECT COALESCE(SUM(delta) FILTER (WHERE event_at <= $3), 0)::float8,
		MIN(event_at) FILTER (WHERE event_at <= $3), MIN(event_at) FILTER (WHERE event_at > $3)
		FROM ledger WHERE contact_id = $1 AND event_at > $2 AND ($4 = '' OR dimension = $4)`,
		[]any{contactID, ms(since), ms(now), dimension}, &sum, &oldest, &ahead)
	if err != nil {
		return 0, time.Time{}, time.Time{}, fmt.Errorf("score window of %s on %q: %w", contactID, dimension, err)
	}
	q := &t.q.ledger
	q.each(contactID, dimension, ms(since), func(i int) {
		at := q.eventAt[i]
		edge := &ahead
		if at <= ms(now) {
			sum += float64(q.delta[i])
			edge = &oldest
		}
		if !edge.Valid || at < edge.Int64 {
			*edge = pgtype.Int8{Int64: at, Valid: true}
		}
	})
	return sum, msOrZero(oldest), msOrZero(ahead), nil
}
