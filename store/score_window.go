package store

import "time"

// ScoreWindow is what a Tx answers for score velocity, the score_change and
// score_change.<dimension> leaves of filters (flows.ScoreChangeQuery): sums
// and edges of a contact's history rows (ledger) by their event_at, the
// timestamp of the event that caused each row (model.LedgerEntry.EventAt).
// Each is one statement reading ranges of the index on (contact_id,
// event_at), so the cost is the rows in the window, not the contact's
// whole history.
//
// Times compare in whole milliseconds, as event_at is stored: a row is after
// t when its event_at is after t's millisecond (t rounded down), and at or
// before t when its event_at is at or before that millisecond, which for
// whole-millisecond event_at is exactly the comparison with t itself. Reads
// see the batch's own rows.
//
// An in-memory Tx (the model lab's sandbox) implements these over its own
// rows with the same bounds; storetest's conformance suite and filter
// property test check a backend's answers against them.
type ScoreWindow interface {
	// ScoreChange sums the deltas of a contact's history rows on one
	// dimension ("" = every dimension) with since < event_at <= until:
	// points gained minus points lost in that window. It is a float64, as
	// filters compare numbers, so that no sum of int64 deltas overflows.
	ScoreChange(contactID, dimension string, since, until time.Time) (float64, error)
	// ScoreChangeEdges are, among a contact's history rows on one dimension
	// ("" = every dimension), the earliest event_at with since < event_at
	// <= now (the oldest row in the window, which leaves it first) and the
	// earliest with event_at > now (a row stamped ahead of now, which
	// enters it); each the zero time when there is none. The time pass
	// finds from them the next moment a window's sum can change.
	ScoreChangeEdges(contactID, dimension string, since, now time.Time) (oldest, ahead time.Time, err error)
}
