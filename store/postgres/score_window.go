package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Score velocity reads (store.ScoreWindow): one range of the index
// ledger_contact_event_at (contact_id, event_at) INCLUDE (dimension, delta)
// each. dimension '' is every dimension. As the event counts of
// tx_reads.go do, they leave the batch's queued ledger rows queued and add
// them to the server's answer here, so a segment on score_change costs its
// read and no early send of the batch's writes; past queuedLedgerScan rows
// the queue is sent instead, which bounds the scan.

// queuedLedgerScan is the most queued ledger rows a read scans in Go.
const queuedLedgerScan = 4096

// ScoreChange implements store.ScoreWindow. SUM of bigint is numeric,
// exact whatever the rows, and the float8 it is cast to cannot overflow.
func (t *writeTx) ScoreChange(contactID, dimension string, since, until time.Time) (float64, error) {
	flush := t.ledgerFlush()
	var sum float64
	err := t.queryRow(flush, `SELECT COALESCE(SUM(delta), 0)::float8 FROM ledger
		WHERE contact_id = $1 AND event_at > $2 AND event_at <= $3 AND ($4 = '' OR dimension = $4)`,
		[]any{contactID, ms(since), ms(until), dimension}, &sum)
	if err != nil {
		return 0, fmt.Errorf("score change of %s on %q: %w", contactID, dimension, err)
	}
	q := &t.q.ledger
	q.each(contactID, dimension, ms(since), func(i int) {
		if q.eventAt[i] <= ms(until) {
			sum += float64(q.delta[i])
		}
	})
	return sum, nil
}

// ScoreChangeEdges implements store.ScoreWindow: one range of the index,
// in one round trip.
func (t *writeTx) ScoreChangeEdges(contactID, dimension string, since, now time.Time) (time.Time, time.Time, error) {
	flush := t.ledgerFlush()
	var oldest, ahead pgtype.Int8
	err := t.queryRow(flush, `SELECT MIN(event_at) FILTER (WHERE event_at <= $3), MIN(event_at) FILTER (WHERE event_at > $3)
		FROM ledger WHERE contact_id = $1 AND event_at > $2 AND ($4 = '' OR dimension = $4)`,
		[]any{contactID, ms(since), ms(now), dimension}, &oldest, &ahead)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("score change edges of %s on %q: %w", contactID, dimension, err)
	}
	q := &t.q.ledger
	q.each(contactID, dimension, ms(since), func(i int) {
		at := q.eventAt[i]
		edge := &ahead
		if at <= ms(now) {
			edge = &oldest
		}
		if !edge.Valid || at < edge.Int64 {
			*edge = pgtype.Int8{Int64: at, Valid: true}
		}
	})
	return msOrZero(oldest), msOrZero(ahead), nil
}

// ledgerFlush is what a score velocity read sends first: nothing, unless
// the queued ledger rows are too many to scan.
func (t *writeTx) ledgerFlush() table {
	if len(t.q.ledger.contact) > queuedLedgerScan {
		return tLedger
	}
	return 0
}

// each calls fn with the index of every queued row of a contact on a
// dimension ("" = every one) with event_at after since (Unix ms).
func (q *ledgerQueue) each(contactID, dimension string, since int64, fn func(i int)) {
	for i, c := range q.contact {
		if c == contactID && (dimension == "" || q.dim[i] == dimension) && q.eventAt[i] > since {
			fn(i)
		}
	}
}

func msOrZero(v pgtype.Int8) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}
