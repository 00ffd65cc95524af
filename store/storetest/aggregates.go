package storetest

import (
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Reads over all contacts: the decay pass's worklist, the dashboard's
// aggregates and the pickers' catalog.

// testDecayDue: a contact is due for a dimension's decay when it holds
// points there (negative too) and was not decayed since before, counting
// from its creation when it never was; ids in order, cut at limit.
func testDecayDue(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	before := base.Add(-2 * day)
	saveContacts(t, s,
		&model.Contact{ID: "never", Scores: map[string]int64{"fit": 10}, CreatedAt: base.Add(-10 * day)},
		&model.Contact{ID: "negative", Scores: map[string]int64{"fit": -3}, CreatedAt: base.Add(-10 * day)},
		&model.Contact{ID: "on-the-dot", Scores: map[string]int64{"fit": 1}, CreatedAt: before},
		&model.Contact{ID: "zero", Scores: map[string]int64{"fit": 0}, CreatedAt: base.Add(-10 * day)},
		&model.Contact{ID: "other-dimension", Scores: map[string]int64{"engagement": 5}, CreatedAt: base.Add(-10 * day)},
		&model.Contact{ID: "young", Scores: map[string]int64{"fit": 4}, CreatedAt: base.Add(-time.Hour)},
		&model.Contact{ID: "decayed-lately", Scores: map[string]int64{"fit": 7}, CreatedAt: base.Add(-10 * day)},
		&model.Contact{ID: "decayed-long-ago", Scores: map[string]int64{"fit": 7}, CreatedAt: base.Add(-10 * day)},
	)
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.MarkDecayed("decayed-lately", "fit", base.Add(-day)))
		noErr(t, tx.MarkDecayed("decayed-long-ago", "fit", base.Add(-3*day)))
		noErr(t, tx.MarkDecayed("negative", "engagement", base)) // another dimension's decay does not count
		at, err := tx.DecayedAt("decayed-lately", "fit")
		noErr(t, err)
		if !at.Equal(base.Add(-day)) {
			t.Errorf("DecayedAt = %v, want %v", at, base.Add(-day))
		}
	})
	due := must[[]string](t)(s.DecayDue(ctx, "fit", before, 100))
	deepEqual(t, "due for fit", due, []string{"decayed-long-ago", "negative", "never", "on-the-dot"})
	due = must[[]string](t)(s.DecayDue(ctx, "fit", before, 2))
	deepEqual(t, "due for fit, limit 2", due, []string{"decayed-long-ago", "negative"})
	due = must[[]string](t)(s.DecayDue(ctx, "engagement", before, 100))
	deepEqual(t, "due for engagement", due, []string{"other-dimension"})
	due = must[[]string](t)(s.DecayDue(ctx, "missing", before, 100))
	if len(due) != 0 {
		t.Errorf("due for a dimension nobody holds: %v", due)
	}
}

// testScoreHistogram: buckets of the smallest width of 1, 2, 5, 10, 20, 50…
// that fits the span of scores (max − min + 1) in the buckets asked, each
// starting at a multiple of the width (negative scores too, so the first
// may start below the lowest score and one more bucket be needed), empty
// ones in between kept.
func testScoreHistogram(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	got := must[[]store.ScoreBucket](t)(s.ScoreHistogram(ctx, 10))
	if got == nil || len(got) != 0 {
		t.Errorf("no contacts: %#v, want an empty list (JSON [])", got)
	}
	for i, sc := range []int64{0, 3, 7, 12, 45, -8} {
		saveContacts(t, s, &model.Contact{ID: string(rune('a' + i)), Score: sc})
	}
	got = must[[]store.ScoreBucket](t)(s.ScoreHistogram(ctx, 10))
	deepEqual(t, "10 buckets over -8..45", got, []store.ScoreBucket{
		{From: -10, To: 0, Count: 1}, {From: 0, To: 10, Count: 3}, {From: 10, To: 20, Count: 1},
		{From: 20, To: 30, Count: 0}, {From: 30, To: 40, Count: 0}, {From: 40, To: 50, Count: 1},
	})
	got = must[[]store.ScoreBucket](t)(s.ScoreHistogram(ctx, 100))
	if len(got) != 54 || got[0] != (store.ScoreBucket{From: -8, To: -7, Count: 1}) || got[53] != (store.ScoreBucket{From: 45, To: 46, Count: 1}) {
		t.Errorf("100 buckets over -8..45: %d buckets %v…, want 54 of width 1", len(got), got[:min(len(got), 3)])
	}
	got = must[[]store.ScoreBucket](t)(s.ScoreHistogram(ctx, 1))
	deepEqual(t, "1 bucket", got, []store.ScoreBucket{{From: -100, To: 0, Count: 1}, {From: 0, To: 100, Count: 5}})
}

// testGradeCounts: contacts by grade, in grade order, "" for no grade.
func testGradeCounts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	got := must[[]store.GradeCount](t)(s.GradeCounts(ctx))
	if got == nil || len(got) != 0 {
		t.Errorf("no contacts: %#v, want an empty list (JSON [])", got)
	}
	saveContacts(t, s, &model.Contact{ID: "a", Grade: "hot"}, &model.Contact{ID: "b"}, &model.Contact{ID: "c", Grade: "cold"},
		&model.Contact{ID: "d", Grade: "hot"})
	got = must[[]store.GradeCount](t)(s.GradeCounts(ctx))
	deepEqual(t, "grades", got, []store.GradeCount{{Grade: "", Count: 1}, {Grade: "cold", Count: 1}, {Grade: "hot", Count: 2}})
}

// testCatalog: event types, tags and top-level attribute names in use,
// sorted, each once.
func testCatalog(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	eventTypes, tags, attrs, err := s.Catalog(ctx)
	noErr(t, err)
	if len(eventTypes)+len(tags)+len(attrs) != 0 {
		t.Errorf("empty store: %v %v %v", eventTypes, tags, attrs)
	}
	saveContacts(t, s,
		&model.Contact{ID: "a", Tags: []string{"vip", "beta"}, Attributes: map[string]any{"plan": "pro", "address": map[string]any{"city": "Oslo"}}},
		&model.Contact{ID: "b", Tags: []string{"beta"}, Attributes: map[string]any{"plan": "free", "zip": "0150"}},
		&model.Contact{ID: "c"})
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.InsertEvent(event("e1", "a", "page_visited", base, nil), "a", base))
		noErr(t, tx.InsertEvent(event("e2", "b", "email_opened", base, nil), "b", base))
		noErr(t, tx.InsertEvent(event("e3", "a", "page_visited", base, nil), "a", base))
	})
	eventTypes, tags, attrs, err = s.Catalog(ctx)
	noErr(t, err)
	deepEqual(t, "event types", eventTypes, []string{"email_opened", "page_visited"})
	deepEqual(t, "tags", tags, []string{"beta", "vip"})
	deepEqual(t, "attributes", attrs, []string{"address", "plan", "zip"})
}
