package storetest

import (
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Score velocity's reads (store.ScoreWindow) and the next-change moments
// of score_change leaves (ScheduleBoundaries). The filters themselves are
// in segmentCases and FilterProperty.

// testScoreWindow: ScoreChange sums rows with since < event_at <= until in
// whole ms, per dimension or in total; ScoreChangeEdges finds the oldest
// row in a window and the first after it; both see the transaction's own
// rows.
func testScoreWindow(t *testing.T, s store.Store) {
	now := base.Add(500 * time.Microsecond) // between two ms: both bounds round down
	rows := []model.LedgerEntry{
		{ContactID: "v", Score: "engagement", Delta: 15, EventAt: base.Add(-day)},
		{ContactID: "v", Score: "engagement", Delta: 10, EventAt: base.Add(-3 * day)},
		{ContactID: "v", Score: "fit", Delta: -8, EventAt: base.Add(-2 * day)},
		{ContactID: "v", Score: "engagement", Delta: 100, EventAt: base.Add(-7 * day)},
		{ContactID: "v", Score: "engagement", Delta: 40, EventAt: base.Add(-10 * day)},
		{ContactID: "v", Score: "engagement", Delta: 500, EventAt: base.Add(time.Hour)},
		{ContactID: "w", Score: "engagement", Delta: 1000, EventAt: base.Add(-day)},
		{ContactID: "v", Score: "fit", Delta: 7}, // decay-like: no EventAt, so event_at is At
	}
	sums := []struct {
		name         string
		dim          string
		since, until time.Time
		want         float64
	}{
		{"every dimension, 7 days", "", now.Add(-7 * day), now, 17},
		{"one dimension", "engagement", now.Add(-7 * day), now, 25},
		{"the first ms of the window is out", "", base.Add(-7 * day), now, 17},
		{"one ms more takes it in", "", now.Add(-7*day - time.Millisecond), now, 117},
		{"a row at until is in", "", now.Add(-7 * day), base.Add(time.Hour), 517},
		{"a row after until is out", "", now.Add(-7 * day), base.Add(time.Hour - time.Nanosecond), 17},
		{"a dimension without rows", "none", now.Add(-30 * day), now, 0},
		{"a row without event_at counts at its at", "fit", now.Add(-3 * day), base.Add(2 * day), -1},
	}
	check := func(tx store.Tx) {
		t.Helper()
		for _, tc := range sums {
			got, err := tx.ScoreChange("v", tc.dim, tc.since, tc.until)
			noErr(t, err)
			if got != tc.want {
				t.Errorf("%s: ScoreChange = %v, want %v", tc.name, got, tc.want)
			}
		}
		if got, err := tx.ScoreChange("nobody", "", now.Add(-7*day), now); err != nil || got != 0 {
			t.Errorf("ScoreChange(nobody) = %v, %v; want 0", got, err)
		}
		for _, tc := range []struct {
			dim                 string
			since, now          time.Time
			wantOldest, wantAhd time.Time
		}{
			{"", now.Add(-7 * day), now, base.Add(-3 * day), base.Add(time.Hour)},
			{"", now.Add(-7*day - time.Millisecond), now, base.Add(-7 * day), base.Add(time.Hour)},
			{"fit", now.Add(-7 * day), now, base.Add(-2 * day), base.Add(day)},
			{"engagement", now.Add(-7 * day), base.Add(time.Hour), base.Add(-3 * day), time.Time{}},
			{"fit", base.Add(day), base.Add(2 * day), time.Time{}, time.Time{}},
			{"", now.Add(-day), now, time.Time{}, base.Add(time.Hour)}, // the row at now-1d's ms is out
			{"none", now.Add(-30 * day), now, time.Time{}, time.Time{}},
		} {
			oldest, ahead, err := tx.ScoreChangeEdges("v", tc.dim, tc.since, tc.now)
			noErr(t, err)
			if !oldest.Equal(tc.wantOldest) || !ahead.Equal(tc.wantAhd) {
				t.Errorf("ScoreChangeEdges(%q, %v, %v) = %v, %v; want %v, %v", tc.dim, tc.since, tc.now, oldest, ahead, tc.wantOldest, tc.wantAhd)
			}
		}
	}
	inTx(t, s, func(tx store.Tx) {
		for i := range rows {
			rows[i].At, rows[i].Value = base.Add(day), rows[i].Delta
			noErr(t, tx.InsertLedger(&rows[i]))
		}
		check(tx) // the batch's own rows, before commit
	})
	inTx(t, s, check)
	// Stored rows and the batch's own together (a backend may hold the
	// latter back until commit).
	inTx(t, s, func(tx store.Tx) {
		for _, r := range []model.LedgerEntry{
			{ContactID: "v", Score: "engagement", Delta: 1000, EventAt: base.Add(-time.Hour)},
			{ContactID: "v", Score: "engagement", Delta: 1, EventAt: base.Add(30 * time.Minute)},
			{ContactID: "v", Score: "engagement", Delta: 1, EventAt: base.Add(-8 * day)},
			{ContactID: "w", Score: "engagement", Delta: 1, EventAt: base.Add(-30 * day)},
		} {
			r.At = base
			noErr(t, tx.InsertLedger(&r))
		}
		got, err := tx.ScoreChange("v", "engagement", now.Add(-7*day), now)
		noErr(t, err)
		if got != 1025 {
			t.Errorf("ScoreChange over stored and new rows = %v, want 1025", got)
		}
		oldest, ahead, err := tx.ScoreChangeEdges("v", "engagement", now.Add(-7*day), now)
		noErr(t, err)
		if !oldest.Equal(base.Add(-3*day)) || !ahead.Equal(base.Add(30*time.Minute)) {
			t.Errorf("ScoreChangeEdges over stored and new rows = %v, %v; want %v, %v", oldest, ahead, base.Add(-3*day), base.Add(30*time.Minute))
		}
		oldest, _, err = tx.ScoreChangeEdges("w", "", now.Add(-40*day), now)
		noErr(t, err)
		if !oldest.Equal(base.Add(-30 * day)) {
			t.Errorf("ScoreChangeEdges(w) oldest = %v, want the new row's %v", oldest, base.Add(-30*day))
		}
	})
}

// testScoreChangeFilters: ScheduleBoundaries puts a score_change leaf's
// next moment where the oldest row in the window leaves it, or where a row
// stamped ahead of now enters it, whichever is first.
func testScoreChangeFilters(t *testing.T, s store.Store) {
	fixture := segmentFixture()
	writeFilterContacts(t, s, fixture)
	heating := parseContactFilter(t, `{"field":"score_change.engagement","within":"7d","op":"gte","value":20}`)
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.ScheduleBoundaries(heating, filterNow))
		for id, want := range map[string]time.Time{
			"ana": msOf(filterNow.Add(-3 * day)).Add(7 * day), // the oldest engagement row in the window leaves
			"ben": msOf(filterNow.Add(time.Hour)),             // before -5 leaves, +30 enters
			"cy":  {},                                         // no engagement rows
			"dee": {},
		} {
			checkNextPass(t, tx, id, want)
		}
	})
}

// checkNextPass checks a contact's next time-based pass (zero: none).
func checkNextPass(t *testing.T, tx store.Tx, id string, want time.Time) {
	t.Helper()
	r, err := tx.LoadContact(id)
	noErr(t, err)
	var got time.Time
	if r.NextEvalAt != 0 {
		got = time.UnixMilli(r.NextEvalAt).UTC()
	}
	if !got.Equal(want) {
		t.Errorf("%s: next pass at %v, want %v", id, got, want)
	}
}
