package storetest

import (
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// testWindowFacts: EventWindow and ScoreWindowFacts answer exactly what
// the two reads each stands for answer, over stored rows, the batch's own
// rows, and both at once.
func testWindowFacts(t *testing.T, s store.Store) {
	now := base.Add(500 * time.Microsecond)
	stored := func(tx store.Tx) {
		for i, ts := range []time.Duration{-3 * time.Hour, -2 * time.Hour, -time.Hour, time.Hour} {
			noErr(t, tx.InsertEvent(event("s"+string(rune('a'+i)), "c1", "page_visited", base.Add(ts), nil), "c1", base))
		}
		noErr(t, tx.InsertEvent(event("s-form", "c1", "form_submitted", base.Add(-time.Minute), nil), "c1", base))
		for _, r := range []model.LedgerEntry{
			{ContactID: "c1", Score: "engagement", Delta: 15, EventAt: base.Add(-day)},
			{ContactID: "c1", Score: "engagement", Delta: 40, EventAt: base.Add(-10 * day)},
			{ContactID: "c1", Score: "fit", Delta: -8, EventAt: base.Add(-2 * day)},
			{ContactID: "c1", Score: "engagement", Delta: 500, EventAt: base.Add(time.Hour)},
		} {
			r.At, r.Value = base, r.Delta
			noErr(t, tx.InsertLedger(&r))
		}
	}
	batch := func(tx store.Tx) {
		noErr(t, tx.InsertEvent(event("b-old", "c1", "page_visited", base.Add(-5*time.Hour), nil), "c1", base))
		noErr(t, tx.InsertEvent(event("b-new", "c1", "page_visited", base, nil), "c1", base))
		noErr(t, tx.InsertEvent(event("b-c2", "c2", "page_visited", base, nil), "c2", base))
		for _, r := range []model.LedgerEntry{
			{ContactID: "c1", Score: "engagement", Delta: 7, EventAt: base.Add(-6 * day)},
			{ContactID: "c1", Score: "engagement", Delta: 1, EventAt: base.Add(30 * time.Minute)},
			{ContactID: "c2", Score: "engagement", Delta: 1000, EventAt: base.Add(-day)},
		} {
			r.At, r.Value = base, r.Delta
			noErr(t, tx.InsertLedger(&r))
		}
	}
	check := func(tx store.Tx, what string) {
		t.Helper()
		for _, c := range []struct {
			contact, typ string
			since        time.Time
		}{
			{"c1", "page_visited", base.Add(-10 * time.Hour)},
			{"c1", "page_visited", base.Add(-2 * time.Hour)},
			{"c1", "page_visited", base.Add(-2*time.Hour + time.Millisecond)},
			{"c1", "page_visited", base.Add(2 * time.Hour)},
			{"c1", "form_submitted", base.Add(-time.Hour)},
			{"c1", "email_opened", base.Add(-time.Hour)},
			{"c2", "page_visited", base.Add(-time.Hour)},
			{"nobody", "page_visited", base.Add(-time.Hour)},
		} {
			n, oldest, err := tx.EventWindow(c.contact, c.typ, c.since)
			noErr(t, err)
			wantN := must[int](t)(tx.CountContactEvents(c.contact, c.typ, c.since))
			wantOldest, found, err := tx.OldestContactEvent(c.contact, c.typ, c.since)
			noErr(t, err)
			if !found {
				wantOldest = time.Time{}
			}
			if n != wantN || !oldest.Equal(wantOldest) {
				t.Errorf("%s: EventWindow(%s, %s, %v) = %d, %v; want %d, %v", what, c.contact, c.typ, c.since, n, oldest, wantN, wantOldest)
			}
		}
		for _, c := range []struct {
			contact, dim string
			since, now   time.Time
		}{
			{"c1", "", now.Add(-7 * day), now},
			{"c1", "engagement", now.Add(-7 * day), now},
			{"c1", "engagement", now.Add(-30 * day), now},
			{"c1", "engagement", now.Add(-7 * day), base.Add(time.Hour)},
			{"c1", "fit", now.Add(-day), now},
			{"c1", "none", now.Add(-30 * day), now},
			{"c2", "", now.Add(-7 * day), now},
			{"nobody", "", now.Add(-7 * day), now},
		} {
			sum, oldest, ahead, err := tx.ScoreWindowFacts(c.contact, c.dim, c.since, c.now)
			noErr(t, err)
			wantSum, err := tx.ScoreChange(c.contact, c.dim, c.since, c.now)
			noErr(t, err)
			wantOldest, wantAhead, err := tx.ScoreChangeEdges(c.contact, c.dim, c.since, c.now)
			noErr(t, err)
			if sum != wantSum || !oldest.Equal(wantOldest) || !ahead.Equal(wantAhead) {
				t.Errorf("%s: ScoreWindowFacts(%s, %q, %v, %v) = %v, %v, %v; want %v, %v, %v", what, c.contact, c.dim, c.since, c.now,
					sum, oldest, ahead, wantSum, wantOldest, wantAhead)
			}
		}
	}
	inTx(t, s, func(tx store.Tx) {
		stored(tx)
		check(tx, "the batch's own rows")
	})
	inTx(t, s, func(tx store.Tx) { check(tx, "stored rows") })
	inTx(t, s, func(tx store.Tx) {
		batch(tx)
		check(tx, "stored and the batch's rows")
		// A literal answer too, so the test does not only compare the
		// backend with itself: stored -1h, -2h, +1h and the batch's 0.
		n, oldest, err := tx.EventWindow("c1", "page_visited", base.Add(-2*time.Hour))
		noErr(t, err)
		if n != 4 || !oldest.Equal(base.Add(-2*time.Hour)) {
			t.Errorf("EventWindow(c1, page_visited, -2h) = %d, %v; want 4, %v", n, oldest, base.Add(-2*time.Hour))
		}
		sum, oldest, ahead, err := tx.ScoreWindowFacts("c1", "engagement", now.Add(-7*day), now)
		noErr(t, err)
		if sum != 22 || !oldest.Equal(base.Add(-6*day)) || !ahead.Equal(base.Add(30*time.Minute)) {
			t.Errorf("ScoreWindowFacts(c1, engagement, 7d) = %v, %v, %v; want 22, %v, %v", sum, oldest, ahead, base.Add(-6*day), base.Add(30*time.Minute))
		}
	})
}
