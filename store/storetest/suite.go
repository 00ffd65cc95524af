package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Run checks the behaviour every store.Store backend must have. open
// returns a fresh, empty store that lives until the test ends. A backend's
// tests also call FilterProperty, the random test of its filter compiler.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"FlowsCreateUpdateConflict", testFlowsCreateUpdate},
		{"FlowsReadAndList", testFlowsRead},
		{"FlowsDeleteKeepsVersions", testFlowsDelete},
		{"Generation", testGeneration},
		{"Keys", testKeys}, {"Audit", testAudit}, {"AuditTx", testAuditTx},
		{"SettingsDefaultAndRoundTrip", testSettingsRoundTrip},
		{"SettingsRegradeContacts", testSettingsRegrade},
		{"TxSeenEvents", testSeenEvents},
		{"TxRollbackLeavesNothing", testRollback},
		{"TxContactRoundTrip", testContactRoundTrip},
		{"TxContactEmptyParts", testContactEmptyParts},
		{"TxTouchContact", testTouchContact},
		{"TxContactSaveEachColumn", testContactSaveEachColumn},
		{"TxContactIDByEmail", testContactIDByEmail},
		{"TxPrefetchContacts", testPrefetch},
		{"TxEntries", testEntries},
		{"TxNodeStats", testNodeStats},
		{"TxRunFailures", testRunFailures},
		{"TxContactEvents", testContactEvents},
		{"TxLedgerHistory", testLedgerHistory},
		{"ContactsListPaging", testListPaging},
		{"ContactsListFilters", testListFilters},
		{"ContactsTimeline", testTimeline},
		{"WebhookOutbox", testOutbox},
		{"WebhookOutboxClaims", testOutboxClaims}, {"WebhookOutboxClaimsConcurrent", testOutboxClaimsConcurrent},
		{"DeadEvents", testDeadEvents},
		{"ReadersDuringWriteTx", testReadersDuringTx},
		{"EventApplied", testEventApplied},
		{"ContactSearch", testContactSearch},
		{"SegmentMatchTable", testSegmentMatchTable},
		{"MatchContactsSample", testMatchContactsSample},
		{"SegmentMovers", testSegmentMovers},
		{"ScheduleBoundaries", testScheduleBoundaries},
		{"TxScoreWindow", testScoreWindow},
		{"TxWindowFacts", testWindowFacts},
		{"ScoreChangeFilters", testScoreChangeFilters},
		{"DecayDue", testDecayDue},
		{"ScoreHistogram", testScoreHistogram},
		{"GradeCounts", testGradeCounts},
		{"Catalog", testCatalog},
		{"Identity", testIdentity},
		{"LabScanEvents", testScanEvents},
		{"LabJobs", testLabJobs},
		{"Accounts", testAccounts},
		{"Partitions", testPartitions},
		{"MergeRelays", testMergeRelays},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// base is a fixed, millisecond-aligned instant: stores keep milliseconds.
var base = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want errors.Is(err, %v)", err, target)
	}
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

// inTx runs fn in one write transaction and commits it.
func inTx(t *testing.T, s store.Store, fn func(tx store.Tx)) {
	t.Helper()
	tx, err := s.Begin(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	fn(tx)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func doc(id string, rev int) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"rev":%d,"nodes":[]}`, id, rev))
}

func generation(t *testing.T, s store.Store) int64 {
	t.Helper()
	return must[int64](t)(s.Generation(ctxT(t)))
}

// ---- flows

func testFlowsCreateUpdate(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	f := must[store.FlowRecord](t)(s.CreateFlow(ctx, store.FlowRecord{ID: "f1", Name: "First", Enabled: true, Doc: doc("f1", 1)}))
	if f.Version != 1 || f.ID != "f1" || f.Name != "First" || !f.Enabled {
		t.Fatalf("CreateFlow = %+v, want f1 version 1", f)
	}
	if f.CreatedAt.IsZero() || !f.CreatedAt.Equal(f.UpdatedAt) {
		t.Errorf("CreateFlow times: created %v updated %v", f.CreatedAt, f.UpdatedAt)
	}

	_, err := s.CreateFlow(ctx, store.FlowRecord{ID: "f1", Name: "Again", Doc: doc("f1", 9)})
	wantErrIs(t, err, model.ErrConflict)

	f2 := must[store.FlowRecord](t)(s.UpdateFlow(ctx, store.FlowRecord{ID: "f1", Name: "Second", Enabled: false, Doc: doc("f1", 2)}, 1))
	if f2.Version != 2 || f2.Name != "Second" || f2.Enabled {
		t.Fatalf("UpdateFlow = %+v, want version 2, name Second, disabled", f2)
	}
	if !f2.CreatedAt.Equal(f.CreatedAt) {
		t.Errorf("UpdateFlow CreatedAt = %v, want the original %v", f2.CreatedAt, f.CreatedAt)
	}
	if f2.UpdatedAt.Before(f.UpdatedAt) {
		t.Errorf("UpdateFlow UpdatedAt %v is before the create's %v", f2.UpdatedAt, f.UpdatedAt)
	}

	// A stale version is refused and changes nothing.
	_, err = s.UpdateFlow(ctx, store.FlowRecord{ID: "f1", Name: "Stale", Doc: doc("f1", 99)}, 1)
	wantErrIs(t, err, model.ErrConflict)
	cur := must[store.FlowRecord](t)(s.GetFlow(ctx, "f1"))
	if cur.Version != 2 || string(cur.Doc) != string(doc("f1", 2)) || cur.Name != "Second" {
		t.Errorf("after stale update: %+v (doc %s), want version 2 unchanged", cur, cur.Doc)
	}
	// expectVersion 0 skips the check.
	f3 := must[store.FlowRecord](t)(s.UpdateFlow(ctx, store.FlowRecord{ID: "f1", Name: "Third", Doc: doc("f1", 3)}, 0))
	if f3.Version != 3 {
		t.Errorf("UpdateFlow without expectVersion = version %d, want 3", f3.Version)
	}

	_, err = s.UpdateFlow(ctx, store.FlowRecord{ID: "missing", Doc: doc("missing", 1)}, 0)
	wantErrIs(t, err, model.ErrNotFound)
	_, err = s.UpdateFlow(ctx, store.FlowRecord{ID: "missing", Doc: doc("missing", 1)}, 1)
	wantErrIs(t, err, model.ErrNotFound)
}

func testFlowsRead(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	for _, id := range []string{"b", "a", "c"} {
		must[store.FlowRecord](t)(s.CreateFlow(ctx, store.FlowRecord{ID: id, Name: "Flow " + id, Doc: doc(id, 1)}))
	}
	must[store.FlowRecord](t)(s.UpdateFlow(ctx, store.FlowRecord{ID: "b", Name: "Flow b v2", Enabled: true, Doc: doc("b", 2)}, 1))
	must[store.FlowRecord](t)(s.UpdateFlow(ctx, store.FlowRecord{ID: "b", Name: "Flow b v3", Enabled: true, Doc: doc("b", 3)}, 2))

	g := must[store.FlowRecord](t)(s.GetFlow(ctx, "b"))
	if g.ID != "b" || g.Version != 3 || g.Name != "Flow b v3" || !g.Enabled || string(g.Doc) != string(doc("b", 3)) {
		t.Errorf("GetFlow(b) = %+v doc %s, want version 3", g, g.Doc)
	}
	if g.CreatedAt.IsZero() || g.UpdatedAt.Before(g.CreatedAt) {
		t.Errorf("GetFlow(b) times: created %v updated %v", g.CreatedAt, g.UpdatedAt)
	}
	_, err := s.GetFlow(ctx, "nope")
	wantErrIs(t, err, model.ErrNotFound)

	v1 := must[store.FlowRecord](t)(s.GetFlowVersion(ctx, "b", 1))
	if v1.ID != "b" || v1.Version != 1 || string(v1.Doc) != string(doc("b", 1)) {
		t.Errorf("GetFlowVersion(b, 1) = %+v doc %s, want the first doc", v1, v1.Doc)
	}
	_, err = s.GetFlowVersion(ctx, "b", 4)
	wantErrIs(t, err, model.ErrNotFound)
	_, err = s.GetFlowVersion(ctx, "nope", 1)
	wantErrIs(t, err, model.ErrNotFound)

	versions := must[[]store.FlowRecord](t)(s.FlowVersions(ctx, "b"))
	var nums []int
	for i, v := range versions {
		nums = append(nums, v.Version)
		if v.ID != "b" || string(v.Doc) != string(doc("b", v.Version)) {
			t.Errorf("FlowVersions(b)[%d] = %+v doc %s", i, v, v.Doc)
		}
	}
	deepEqual(t, "FlowVersions(b) versions", nums, []int{3, 2, 1})
	_, err = s.FlowVersions(ctx, "nope")
	wantErrIs(t, err, model.ErrNotFound)

	list := must[[]store.FlowRecord](t)(s.ListFlows(ctx))
	var ids []string
	for _, f := range list {
		ids = append(ids, fmt.Sprintf("%s@%d", f.ID, f.Version))
		if string(f.Doc) != string(doc(f.ID, f.Version)) {
			t.Errorf("ListFlows %s: doc %s is not its current version's", f.ID, f.Doc)
		}
	}
	deepEqual(t, "ListFlows", ids, []string{"a@1", "b@3", "c@1"})
}

func testFlowsDelete(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must[store.FlowRecord](t)(s.CreateFlow(ctx, store.FlowRecord{ID: "gone", Name: "Gone", Doc: doc("gone", 1)}))
	must[store.FlowRecord](t)(s.UpdateFlow(ctx, store.FlowRecord{ID: "gone", Name: "Gone", Doc: doc("gone", 2)}, 1))
	must[store.FlowRecord](t)(s.CreateFlow(ctx, store.FlowRecord{ID: "stays", Name: "Stays", Doc: doc("stays", 1)}))

	noErr(t, s.DeleteFlow(ctx, "gone"))
	_, err := s.GetFlow(ctx, "gone")
	wantErrIs(t, err, model.ErrNotFound)
	wantErrIs(t, s.DeleteFlow(ctx, "gone"), model.ErrNotFound)
	_, err = s.UpdateFlow(ctx, store.FlowRecord{ID: "gone", Doc: doc("gone", 3)}, 2)
	wantErrIs(t, err, model.ErrNotFound)

	for v := 1; v <= 2; v++ {
		old := must[store.FlowRecord](t)(s.GetFlowVersion(ctx, "gone", v))
		if string(old.Doc) != string(doc("gone", v)) {
			t.Errorf("GetFlowVersion(gone, %d) after delete: doc %s", v, old.Doc)
		}
	}
	list := must[[]store.FlowRecord](t)(s.ListFlows(ctx))
	if len(list) != 1 || list[0].ID != "stays" {
		t.Errorf("ListFlows after delete = %+v, want only stays", list)
	}

	// A new flow with the same id continues the numbering, so history rows
	// naming gone@1 and gone@2 still mean the old documents.
	again := must[store.FlowRecord](t)(s.CreateFlow(ctx, store.FlowRecord{ID: "gone", Name: "Back", Doc: doc("gone", 3)}))
	if again.Version != 3 {
		t.Fatalf("re-created flow version = %d, want 3", again.Version)
	}
	cur := must[store.FlowRecord](t)(s.GetFlow(ctx, "gone"))
	if cur.Version != 3 || cur.Name != "Back" || string(cur.Doc) != string(doc("gone", 3)) {
		t.Errorf("GetFlow after re-create = %+v doc %s", cur, cur.Doc)
	}
	old := must[store.FlowRecord](t)(s.GetFlowVersion(ctx, "gone", 1))
	if string(old.Doc) != string(doc("gone", 1)) {
		t.Errorf("version 1 after re-create: doc %s", old.Doc)
	}
	var nums []int
	for _, v := range must[[]store.FlowRecord](t)(s.FlowVersions(ctx, "gone")) {
		nums = append(nums, v.Version)
	}
	deepEqual(t, "FlowVersions after re-create", nums, []int{3, 2, 1})
	again2 := must[store.FlowRecord](t)(s.UpdateFlow(ctx, store.FlowRecord{ID: "gone", Name: "Back", Doc: doc("gone", 4)}, 3))
	if again2.Version != 4 {
		t.Errorf("update after re-create = version %d, want 4", again2.Version)
	}
}

func testGeneration(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	last := generation(t, s)
	step := func(what string, fn func() error) {
		t.Helper()
		noErr(t, fn())
		g := generation(t, s)
		if g <= last {
			t.Errorf("generation after %s = %d, want > %d", what, g, last)
		}
		last = g
	}
	step("CreateFlow", func() error {
		_, err := s.CreateFlow(ctx, store.FlowRecord{ID: "g", Name: "G", Doc: doc("g", 1)})
		return err
	})
	step("UpdateFlow", func() error {
		_, err := s.UpdateFlow(ctx, store.FlowRecord{ID: "g", Name: "G", Doc: doc("g", 2)}, 1)
		return err
	})
	step("PutSettings", func() error { return s.PutSettings(ctx, model.DefaultSettings()) })
	step("DeleteFlow", func() error { return s.DeleteFlow(ctx, "g") })

	// Refused changes and plain reads do not move it.
	_, err := s.CreateFlow(ctx, store.FlowRecord{ID: "h", Name: "H", Doc: doc("h", 1)})
	noErr(t, err)
	last = generation(t, s)
	_, err = s.CreateFlow(ctx, store.FlowRecord{ID: "h", Name: "H", Doc: doc("h", 1)})
	wantErrIs(t, err, model.ErrConflict)
	_, err = s.UpdateFlow(ctx, store.FlowRecord{ID: "h", Doc: doc("h", 2)}, 7)
	wantErrIs(t, err, model.ErrConflict)
	wantErrIs(t, s.DeleteFlow(ctx, "nope"), model.ErrNotFound)
	must[[]store.FlowRecord](t)(s.ListFlows(ctx))
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "c", CreatedAt: base}}))
	})
	if g := generation(t, s); g != last {
		t.Errorf("generation moved from %d to %d without a flow or settings change", last, g)
	}
}

// ---- settings

func i64(v int64) *int64 { return &v }

func testSettingsRoundTrip(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	got := must[model.Settings](t)(s.GetSettings(ctx))
	deepEqual(t, "GetSettings on an empty store", got, model.DefaultSettings())

	want := model.Settings{
		Scores: []model.ScoreDimension{
			{Name: "engagement", Min: i64(-100), Max: i64(500), Decay: &model.Decay{Every: model.Duration(30 * 24 * time.Hour), Percent: 25}},
			{Name: "fit", Min: i64(0), Max: i64(100)},
			{Name: "open"},
		},
		Grades:   []model.Grade{{Name: "cold"}, {Name: "warm", Min: i64(20)}, {Name: "hot", Min: i64(50)}, {Name: "blazing", Min: i64(200)}},
		Pipeline: []string{"new", "mql", "won"},
	}
	if errs := want.Validate(); len(errs) > 0 {
		t.Fatalf("test settings invalid: %v", errs)
	}
	noErr(t, s.PutSettings(ctx, want))
	deepEqual(t, "GetSettings after PutSettings", must[model.Settings](t)(s.GetSettings(ctx)), want)

	// A second put replaces, not merges.
	second := model.Settings{Scores: []model.ScoreDimension{{Name: "only"}}, Grades: []model.Grade{{Name: "all"}}, Pipeline: []string{"x"}}
	noErr(t, s.PutSettings(ctx, second))
	deepEqual(t, "GetSettings after a second PutSettings", must[model.Settings](t)(s.GetSettings(ctx)), second)
}

func testSettingsRegrade(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	def := model.DefaultSettings()
	scores := map[string]int64{"neg": -10, "zero": 0, "ten": 10, "twenty": 20, "thirty": 30, "fifty": 50, "ninety": 90}
	inTx(t, s, func(tx store.Tx) {
		for id, sc := range scores {
			c := &model.Contact{ID: id, Scores: map[string]int64{"engagement": sc}, Score: sc, Grade: def.GradeFor(sc), CreatedAt: base}
			noErr(t, tx.SaveContact(&store.ContactRecord{Contact: c}))
		}
	})
	check := func(st model.Settings) {
		t.Helper()
		for id, sc := range scores {
			c := must[*model.Contact](t)(s.GetContact(ctx, id))
			if want := st.GradeFor(sc); c.Grade != want {
				t.Errorf("contact %s (score %d): grade %q, want %q", id, sc, c.Grade, want)
			}
			if c.Score != sc {
				t.Errorf("contact %s: regrade changed score to %d", id, c.Score)
			}
		}
	}
	check(def)

	// New thresholds, more grades, given out of order and sorted by Validate
	// as the API does.
	st := model.Settings{
		Scores:   def.Scores,
		Grades:   []model.Grade{{Name: "A", Min: i64(80)}, {Name: "D"}, {Name: "B", Min: i64(25)}, {Name: "C", Min: i64(5)}},
		Pipeline: def.Pipeline,
	}
	if errs := st.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	noErr(t, s.PutSettings(ctx, st))
	check(st)
	if c := must[*model.Contact](t)(s.GetContact(ctx, "ninety")); c.Grade != "A" {
		t.Errorf("ninety: grade %q, want A", c.Grade)
	}

	// Without an unbounded grade, scores below every bound have no grade.
	st2 := model.Settings{Scores: def.Scores, Grades: []model.Grade{{Name: "in", Min: i64(15)}, {Name: "top", Min: i64(60)}}, Pipeline: def.Pipeline}
	if errs := st2.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	noErr(t, s.PutSettings(ctx, st2))
	check(st2)
	if c := must[*model.Contact](t)(s.GetContact(ctx, "ten")); c.Grade != "" {
		t.Errorf("ten: grade %q, want none", c.Grade)
	}

	// Only an unbounded grade, and no grades at all: both valid settings.
	for _, grades := range [][]model.Grade{{{Name: "everyone"}}, nil} {
		st3 := model.Settings{Scores: def.Scores, Grades: grades, Pipeline: def.Pipeline}
		if errs := st3.Validate(); len(errs) > 0 {
			t.Fatal(errs)
		}
		noErr(t, s.PutSettings(ctx, st3))
		check(st3)
	}
}

// ---- Tx

func event(id, contact, typ string, ts time.Time, props map[string]any) *model.Event {
	return &model.Event{ID: id, Type: typ, ContactID: contact, Timestamp: ts, Properties: props}
}

func testSeenEvents(t *testing.T, s store.Store) {
	ids := make([]string, 1300)
	for i := range ids {
		ids[i] = fmt.Sprintf("ev-%04d", i)
	}
	const applied = 1200 // more than two chunks of 500
	inTx(t, s, func(tx store.Tx) {
		seen := must[map[string]bool](t)(tx.SeenEvents(ids))
		if len(seen) != 0 {
			t.Errorf("SeenEvents before any insert = %d ids", len(seen))
		}
		empty := must[map[string]bool](t)(tx.SeenEvents(nil))
		if len(empty) != 0 {
			t.Errorf("SeenEvents(nil) = %v", empty)
		}
		for _, id := range ids[:applied] {
			noErr(t, tx.InsertEvent(event(id, "c1", "custom", base, nil), "c1", base))
		}
		// The transaction sees its own inserts.
		seen = must[map[string]bool](t)(tx.SeenEvents(ids))
		if len(seen) != applied {
			t.Errorf("SeenEvents inside the tx = %d ids, want %d", len(seen), applied)
		}
	})
	inTx(t, s, func(tx store.Tx) {
		seen := must[map[string]bool](t)(tx.SeenEvents(ids))
		if len(seen) != applied {
			t.Errorf("SeenEvents after commit = %d ids, want %d", len(seen), applied)
		}
		for i, id := range ids {
			if seen[id] != (i < applied) {
				t.Fatalf("SeenEvents[%s] = %v, want %v", id, seen[id], i < applied)
			}
		}
		// More ids than SQLite allows variables in one statement (32766):
		// only chunking gets this through.
		many := make([]string, 0, 40000)
		for i := 0; i < 40000; i++ {
			many = append(many, fmt.Sprintf("ev-%04d", i))
		}
		if seen := must[map[string]bool](t)(tx.SeenEvents(many)); len(seen) != applied {
			t.Errorf("SeenEvents(40000 ids) = %d ids, want %d", len(seen), applied)
		}
		one := must[map[string]bool](t)(tx.SeenEvents([]string{"ev-0499", "ev-0500", "ev-1250", "ev-0499"}))
		deepEqual(t, "SeenEvents at a chunk boundary", one, map[string]bool{"ev-0499": true, "ev-0500": true})

		err := tx.InsertEvent(event("ev-0007", "c2", "other", base, map[string]any{"x": 1}), "c2", base)
		wantErrIs(t, err, model.ErrConflict)
		// The transaction stays usable after a refused duplicate.
		noErr(t, tx.InsertEvent(event("ev-new", "c1", "custom", base, nil), "c1", base))
	})
	inTx(t, s, func(tx store.Tx) {
		seen := must[map[string]bool](t)(tx.SeenEvents([]string{"ev-new"}))
		if !seen["ev-new"] {
			t.Error("event inserted after a refused duplicate was not committed")
		}
		// The duplicate left the first row as it was.
		if n := must[int](t)(tx.CountContactEvents("c2", "other", time.Time{})); n != 0 {
			t.Errorf("duplicate insert stored a row for c2: %d", n)
		}
	})
}

func testRollback(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	tx, err := s.Begin(ctx)
	noErr(t, err)
	noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "rb", Email: "rb@x.test", Score: 5, CreatedAt: base}}))
	noErr(t, tx.InsertEvent(event("rb-ev", "rb", "custom", base, map[string]any{"a": "b"}), "rb", base))
	flow, ver := "f", 1
	noErr(t, tx.InsertLedger(&model.LedgerEntry{ContactID: "rb", At: base, Score: "engagement", Delta: 5, Value: 5, Flow: &flow, FlowVersion: &ver}))
	noErr(t, tx.RecordEntry("f", "rb", base))
	noErr(t, tx.AddNodeStats([]store.NodeStats{{FlowID: "f", NodeID: "n", Minute: base, Entered: 1}}))
	noErr(t, tx.RecordRunFailure(store.RunFailure{FlowID: "f", FlowVersion: 1, ContactID: "rb", Reason: "x", At: base}))
	noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: "rb-k", URL: "http://x.test", Body: []byte("{}"), NextAt: base, CreatedAt: base}))
	if c := must[*store.ContactRecord](t)(tx.LoadContact("rb")); c == nil {
		t.Fatal("the tx does not see its own contact")
	}
	noErr(t, tx.Rollback())
	noErr(t, tx.Rollback()) // a second rollback is harmless

	_, err = s.GetContact(ctx, "rb")
	wantErrIs(t, err, model.ErrNotFound)
	if n := must[int64](t)(s.CountContacts(ctx)); n != 0 {
		t.Errorf("CountContacts after rollback = %d", n)
	}
	if ev := must[[]model.Event](t)(s.Timeline(ctx, "rb", 0)); len(ev) != 0 {
		t.Errorf("Timeline after rollback = %+v", ev)
	}
	if h := must[[]model.LedgerEntry](t)(s.History(ctx, "rb", 0)); len(h) != 0 {
		t.Errorf("History after rollback = %+v", h)
	}
	if st := must[[]store.NodeStats](t)(s.FlowStats(ctx, "f", time.Time{})); len(st) != 0 {
		t.Errorf("FlowStats after rollback = %+v", st)
	}
	if f := must[[]store.RunFailure](t)(s.RunFailures(ctx, "", 10)); len(f) != 0 {
		t.Errorf("RunFailures after rollback = %+v", f)
	}
	if w := must[[]model.WebhookDelivery](t)(s.Webhooks(ctx, "", 10)); len(w) != 0 {
		t.Errorf("Webhooks after rollback = %+v", w)
	}
	inTx(t, s, func(tx store.Tx) {
		if c := must[*store.ContactRecord](t)(tx.LoadContact("rb")); c != nil {
			t.Errorf("LoadContact after rollback = %+v", c.Contact)
		}
		if seen := must[map[string]bool](t)(tx.SeenEvents([]string{"rb-ev"})); seen["rb-ev"] {
			t.Error("rolled-back event counts as seen")
		}
		if n := must[int](t)(tx.CountEntries("f", "rb", time.Time{})); n != 0 {
			t.Errorf("CountEntries after rollback = %d", n)
		}
		if id := must[string](t)(tx.ContactIDByEmail("rb@x.test")); id != "" {
			t.Errorf("ContactIDByEmail after rollback = %q", id)
		}
	})
}

// fullContact sets every field, with nested attribute values in the types
// JSON decoding produces.
func fullContact(id string) *model.Contact {
	last := base.Add(90 * time.Minute)
	return &model.Contact{
		ID:    id,
		Email: id + "@acme.test",
		Attributes: map[string]any{
			"job_title": "CEO",
			"company":   map[string]any{"name": "Acme", "size": float64(40), "regions": []any{"eu", "us"}},
			"vip":       true,
			"ratio":     1.5,
			"nothing":   nil,
			"list":      []any{float64(1), "two", map[string]any{"three": float64(3)}},
		},
		Scores:         map[string]int64{"engagement": 23, "fit": 15, "negative": -4},
		Score:          34,
		Grade:          "warm",
		Tags:           []string{"trial", "newsletter"},
		DealStage:      "mql",
		Disqualified:   &model.Disqualification{At: base.Add(time.Hour), Reason: "competitor"},
		Segments:       []string{"active", "eu"},
		CreatedAt:      base,
		LastActivityAt: &last,
	}
}

func sameContact(t *testing.T, what string, got, want *model.Contact) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: contact is nil", what)
	}
	g, w := *got, *want
	// Compare times by instant, then the rest field by field.
	if !g.CreatedAt.Equal(w.CreatedAt) {
		t.Errorf("%s: CreatedAt = %v, want %v", what, g.CreatedAt, w.CreatedAt)
	}
	switch {
	case (g.LastActivityAt == nil) != (w.LastActivityAt == nil):
		t.Errorf("%s: LastActivityAt = %v, want %v", what, g.LastActivityAt, w.LastActivityAt)
	case g.LastActivityAt != nil && !g.LastActivityAt.Equal(*w.LastActivityAt):
		t.Errorf("%s: LastActivityAt = %v, want %v", what, *g.LastActivityAt, *w.LastActivityAt)
	}
	switch {
	case (g.Disqualified == nil) != (w.Disqualified == nil):
		t.Errorf("%s: Disqualified = %+v, want %+v", what, g.Disqualified, w.Disqualified)
	case g.Disqualified != nil && (!g.Disqualified.At.Equal(w.Disqualified.At) || g.Disqualified.Reason != w.Disqualified.Reason):
		t.Errorf("%s: Disqualified = %+v, want %+v", what, *g.Disqualified, *w.Disqualified)
	}
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	g.LastActivityAt, w.LastActivityAt = nil, nil
	g.Disqualified, w.Disqualified = nil, nil
	deepEqual(t, what, g, w)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameJSON compares two JSON texts by value.
func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: %q is not JSON: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func testContactRoundTrip(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	want := fullContact("c-42")
	rec := &store.ContactRecord{Contact: want}
	inTx(t, s, func(tx store.Tx) {
		if r := must[*store.ContactRecord](t)(tx.LoadContact("c-42")); r != nil {
			t.Fatalf("LoadContact of a missing contact = %+v, want nil", r)
		}
		noErr(t, tx.SaveContact(rec))
		// SaveContact fills in the encodings it made.
		sameJSON(t, "rec.Attributes", rec.Attributes, jsonOf(t, want.Attributes))
		sameJSON(t, "rec.Scores", rec.Scores, jsonOf(t, want.Scores))
		sameJSON(t, "rec.Tags", rec.Tags, jsonOf(t, want.Tags))
		sameJSON(t, "rec.Segments", rec.Segments, jsonOf(t, want.Segments))
		// And the tx reads its own write.
		r := must[*store.ContactRecord](t)(tx.LoadContact("c-42"))
		sameContact(t, "LoadContact in the saving tx", r.Contact, want)
	})

	got := must[*model.Contact](t)(s.GetContact(ctx, "c-42"))
	sameContact(t, "GetContact", got, want)
	_, err := s.GetContact(ctx, "nope")
	wantErrIs(t, err, model.ErrNotFound)

	inTx(t, s, func(tx store.Tx) {
		r := must[*store.ContactRecord](t)(tx.LoadContact("c-42"))
		sameContact(t, "LoadContact", r.Contact, want)
		sameJSON(t, "loaded Attributes encoding", r.Attributes, jsonOf(t, want.Attributes))
		sameJSON(t, "loaded Scores encoding", r.Scores, jsonOf(t, want.Scores))
		sameJSON(t, "loaded Tags encoding", r.Tags, jsonOf(t, want.Tags))
		sameJSON(t, "loaded Segments encoding", r.Segments, jsonOf(t, want.Segments))

		// Change tags (clearing their encoding) and attributes (keeping the
		// stale encoding): only the cleared part is re-encoded, which is
		// the contract the engine relies on to skip JSON work.
		c := r.Contact
		c.Tags = []string{"customer"}
		r.Tags = ""
		c.Attributes["job_title"] = "CTO"
		c.Score = 99
		c.Scores["engagement"] = 88
		r.Scores = ""
		c.Grade = "hot"
		c.DealStage = "won"
		c.Disqualified = nil
		c.LastActivityAt = nil
		c.Email = ""
		c.Segments = nil
		r.Segments = ""
		noErr(t, tx.SaveContact(r))
		sameJSON(t, "re-encoded Tags", r.Tags, `["customer"]`)
		sameJSON(t, "re-encoded Segments", r.Segments, `[]`)
		sameJSON(t, "kept Attributes encoding", r.Attributes, jsonOf(t, want.Attributes))
	})

	got = must[*model.Contact](t)(s.GetContact(ctx, "c-42"))
	second := fullContact("c-42")
	second.Email = ""
	second.Tags = []string{"customer"}
	second.Scores = map[string]int64{"engagement": 88, "fit": 15, "negative": -4}
	second.Score = 99
	second.Grade = "hot"
	second.DealStage = "won"
	second.Disqualified = nil
	second.LastActivityAt = nil
	second.Segments = []string{}
	// Attributes keep the stored encoding: job_title is still CEO.
	sameContact(t, "GetContact after a partial re-encode", got, second)
	if got.Attributes["job_title"] != "CEO" {
		t.Errorf("attributes were re-encoded although their encoding was kept: job_title = %v", got.Attributes["job_title"])
	}
	// CreatedAt is the first save's, even if a later save says otherwise.
	inTx(t, s, func(tx store.Tx) {
		r := must[*store.ContactRecord](t)(tx.LoadContact("c-42"))
		r.Contact.CreatedAt = base.Add(24 * time.Hour)
		noErr(t, tx.SaveContact(r))
	})
	got = must[*model.Contact](t)(s.GetContact(ctx, "c-42"))
	if !got.CreatedAt.Equal(base) {
		t.Errorf("CreatedAt after a later save = %v, want %v", got.CreatedAt, base)
	}
	if n := must[int64](t)(s.CountContacts(ctx)); n != 1 {
		t.Errorf("CountContacts = %d, want 1", n)
	}
}

// testContactEmptyParts saves a contact with only an id: collections come
// back empty, never nil, so the API writes {} and [] rather than null.
func testContactEmptyParts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "bare", CreatedAt: base}}))
	})
	c := must[*model.Contact](t)(s.GetContact(ctx, "bare"))
	if c.Attributes == nil || len(c.Attributes) != 0 {
		t.Errorf("Attributes = %#v, want an empty map", c.Attributes)
	}
	if c.Scores == nil || len(c.Scores) != 0 {
		t.Errorf("Scores = %#v, want an empty map", c.Scores)
	}
	if c.Tags == nil || len(c.Tags) != 0 {
		t.Errorf("Tags = %#v, want an empty slice", c.Tags)
	}
	if c.Segments == nil || len(c.Segments) != 0 {
		t.Errorf("Segments = %#v, want an empty slice", c.Segments)
	}
	if c.Email != "" || c.Disqualified != nil || c.LastActivityAt != nil || c.Score != 0 || c.Grade != "" || c.DealStage != "" {
		t.Errorf("bare contact = %+v", c)
	}
	if b := jsonOf(t, c); !json.Valid([]byte(b)) {
		t.Fatal(b)
	}
	var m map[string]json.RawMessage
	noErr(t, json.Unmarshal([]byte(jsonOf(t, c)), &m))
	for k, want := range map[string]string{"attributes": "{}", "scores": "{}", "tags": "[]", "segments": "[]"} {
		if string(m[k]) != want {
			t.Errorf("contact JSON %s = %s, want %s", k, m[k], want)
		}
	}
}

func testTouchContact(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	want := fullContact("t1")
	inTx(t, s, func(tx store.Tx) { noErr(t, tx.SaveContact(&store.ContactRecord{Contact: want})) })

	later := base.Add(5 * time.Hour)
	inTx(t, s, func(tx store.Tx) {
		r := must[*store.ContactRecord](t)(tx.LoadContact("t1"))
		c := r.Contact
		c.Email = "new@acme.test"
		c.LastActivityAt = &later
		// None of these may be written by a touch.
		c.Score = 1000
		c.Grade = "hot"
		c.Tags = []string{"changed"}
		c.Attributes = map[string]any{"changed": true}
		c.Scores = map[string]int64{"changed": 1}
		c.DealStage = "lost"
		c.Disqualified = nil
		c.Segments = []string{"changed"}
		c.CreatedAt = later
		noErr(t, tx.TouchContact(&store.ContactRecord{Contact: c}))
		// A touch of a contact that does not exist writes nothing.
		noErr(t, tx.TouchContact(&store.ContactRecord{Contact: &model.Contact{ID: "ghost", Email: "ghost@x.test", LastActivityAt: &later}}))
	})
	got := must[*model.Contact](t)(s.GetContact(ctx, "t1"))
	exp := fullContact("t1")
	exp.Email = "new@acme.test"
	exp.LastActivityAt = &later
	sameContact(t, "GetContact after TouchContact", got, exp)
	_, err := s.GetContact(ctx, "ghost")
	wantErrIs(t, err, model.ErrNotFound)

	// A touch can clear both.
	inTx(t, s, func(tx store.Tx) { noErr(t, tx.TouchContact(&store.ContactRecord{Contact: &model.Contact{ID: "t1"}})) })
	got = must[*model.Contact](t)(s.GetContact(ctx, "t1"))
	if got.Email != "" || got.LastActivityAt != nil {
		t.Errorf("after clearing touch: email %q last activity %v", got.Email, got.LastActivityAt)
	}
	if got.Score != want.Score {
		t.Errorf("clearing touch changed score to %d", got.Score)
	}
}

func testContactIDByEmail(t *testing.T, s store.Store) {
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "newer", Email: "shared@x.test", CreatedAt: base.Add(time.Hour)}}))
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "older", Email: "shared@x.test", CreatedAt: base}}))
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "solo", Email: "solo@x.test", CreatedAt: base}}))
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "noemail", CreatedAt: base}}))
		// Visible inside the writing tx.
		if id := must[string](t)(tx.ContactIDByEmail("solo@x.test")); id != "solo" {
			t.Errorf("ContactIDByEmail(solo) in tx = %q", id)
		}
	})
	inTx(t, s, func(tx store.Tx) {
		for email, want := range map[string]string{"shared@x.test": "older", "solo@x.test": "solo", "none@x.test": "", "": ""} {
			if id := must[string](t)(tx.ContactIDByEmail(email)); id != want {
				t.Errorf("ContactIDByEmail(%q) = %q, want %q", email, id, want)
			}
		}
	})
}

func testEntries(t *testing.T, s store.Store) {
	inTx(t, s, func(tx store.Tx) {
		if n := must[int](t)(tx.CountEntries("f1", "c1", time.Time{})); n != 0 {
			t.Errorf("CountEntries before any = %d", n)
		}
		noErr(t, tx.RecordEntry("f1", "c1", base.Add(-48*time.Hour)))
		noErr(t, tx.RecordEntry("f1", "c1", base.Add(-time.Hour)))
		noErr(t, tx.RecordEntry("f1", "c2", base))
		noErr(t, tx.RecordEntry("f2", "c1", base))
		if n := must[int](t)(tx.CountEntries("f1", "c1", time.Time{})); n != 2 {
			t.Errorf("CountEntries in the writing tx = %d, want 2", n)
		}
	})
	inTx(t, s, func(tx store.Tx) {
		for _, c := range []struct {
			flow, contact string
			since         time.Time
			want          int
		}{
			{"f1", "c1", time.Time{}, 2},
			{"f1", "c1", base.Add(-24 * time.Hour), 1},
			{"f1", "c1", base.Add(-time.Hour), 1}, // since is inclusive
			{"f1", "c1", base.Add(-time.Hour + time.Millisecond), 0},
			{"f1", "c2", time.Time{}, 1},
			{"f2", "c1", time.Time{}, 1},
			{"f2", "c2", time.Time{}, 0},
			{"f3", "c1", time.Time{}, 0},
		} {
			if n := must[int](t)(tx.CountEntries(c.flow, c.contact, c.since)); n != c.want {
				t.Errorf("CountEntries(%s, %s, %v) = %d, want %d", c.flow, c.contact, c.since, n, c.want)
			}
		}
	})
}

func testNodeStats(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	minute := base.Truncate(time.Minute)
	earlier := minute.Add(-10 * time.Minute)
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.AddNodeStats([]store.NodeStats{
			{FlowID: "f1", NodeID: "t1", Minute: minute, Entered: 3, Completed: 2, Failed: 1},
			{FlowID: "f1", NodeID: "a1", Minute: minute, Entered: 1, Completed: 1},
			{FlowID: "f1", NodeID: "t1", Minute: earlier, Entered: 100},
			{FlowID: "f2", NodeID: "t1", Minute: minute, Entered: 7},
		}))
		noErr(t, tx.AddNodeStats(nil))
	})
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.AddNodeStats([]store.NodeStats{
			{FlowID: "f1", NodeID: "t1", Minute: minute, Entered: 4, Completed: 4},
			{FlowID: "f1", NodeID: "a1", Minute: minute, Failed: 2},
		}))
	})
	strip := func(st []store.NodeStats) []store.NodeStats {
		for i := range st {
			st[i].Minute = time.Time{}
		}
		return st
	}
	got := strip(must[[]store.NodeStats](t)(s.FlowStats(ctx, "f1", minute)))
	deepEqual(t, "FlowStats(f1, this minute)", got, []store.NodeStats{
		{FlowID: "f1", NodeID: "a1", Entered: 1, Completed: 1, Failed: 2},
		{FlowID: "f1", NodeID: "t1", Entered: 7, Completed: 6, Failed: 1},
	})
	got = strip(must[[]store.NodeStats](t)(s.FlowStats(ctx, "f1", minute.Add(-time.Hour))))
	deepEqual(t, "FlowStats(f1, an hour back)", got, []store.NodeStats{
		{FlowID: "f1", NodeID: "a1", Entered: 1, Completed: 1, Failed: 2},
		{FlowID: "f1", NodeID: "t1", Entered: 107, Completed: 6, Failed: 1},
	})
	if got := must[[]store.NodeStats](t)(s.FlowStats(ctx, "f1", minute.Add(time.Minute))); len(got) != 0 {
		t.Errorf("FlowStats after the last minute = %+v", got)
	}
	if got := must[[]store.NodeStats](t)(s.FlowStats(ctx, "none", time.Time{})); got == nil || len(got) != 0 {
		t.Errorf("FlowStats of an unknown flow = %#v, want empty", got)
	}
}

func testRunFailures(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	fails := []store.RunFailure{
		{FlowID: "f1", FlowVersion: 1, ContactID: "c1", EventID: "e1", NodeID: "a1", Reason: "cascade cap", At: base},
		{FlowID: "f2", FlowVersion: 4, ContactID: "c2", Reason: "no node", At: base.Add(time.Minute)},
		{FlowID: "f1", FlowVersion: 2, ContactID: "c3", EventID: "e3", NodeID: "w1", Reason: "webhook error", At: base.Add(2 * time.Minute)},
	}
	inTx(t, s, func(tx store.Tx) {
		for _, f := range fails {
			noErr(t, tx.RecordRunFailure(f))
		}
	})
	norm := func(fs []store.RunFailure) []store.RunFailure {
		for i := range fs {
			if !fs[i].At.IsZero() {
				fs[i].At = fs[i].At.UTC()
			}
		}
		return fs
	}
	deepEqual(t, "RunFailures(f1)", norm(must[[]store.RunFailure](t)(s.RunFailures(ctx, "f1", 10))), []store.RunFailure{fails[2], fails[0]})
	deepEqual(t, "RunFailures(all)", norm(must[[]store.RunFailure](t)(s.RunFailures(ctx, "", 10))), []store.RunFailure{fails[2], fails[1], fails[0]})
	deepEqual(t, "RunFailures(all, 1)", norm(must[[]store.RunFailure](t)(s.RunFailures(ctx, "", 1))), []store.RunFailure{fails[2]})
	if got := must[[]store.RunFailure](t)(s.RunFailures(ctx, "none", 10)); got == nil || len(got) != 0 {
		t.Errorf("RunFailures(none) = %#v, want empty", got)
	}
}

func testContactEvents(t *testing.T, s store.Store) {
	inTx(t, s, func(tx store.Tx) {
		for i, ev := range []*model.Event{
			event("p1", "c1", "page_visited", base.Add(-3*time.Hour), map[string]any{"url": "/a", "n": 1}),
			event("p2", "c1", "page_visited", base.Add(-2*time.Hour), map[string]any{"url": "/b", "n": 2}),
			event("p3", "c1", "page_visited", base.Add(-1*time.Hour), map[string]any{"url": "/c", "n": 3}),
			event("p4", "c1", "page_visited", base.Add(-4*time.Hour), nil),
			event("o1", "c1", "form_submitted", base, map[string]any{"form": "demo"}),
			event("x1", "c2", "page_visited", base, map[string]any{"url": "/other"}),
		} {
			noErr(t, tx.InsertEvent(ev, ev.ContactID, base.Add(time.Duration(i)*time.Second)))
		}
	})
	inTx(t, s, func(tx store.Tx) {
		collect := func(since time.Time, stopAfter int) []map[string]any {
			t.Helper()
			var out []map[string]any
			noErr(t, tx.ContactEvents("c1", "page_visited", since, func(p map[string]any) bool {
				out = append(out, p)
				return stopAfter == 0 || len(out) < stopAfter
			}))
			return out
		}
		deepEqual(t, "ContactEvents(ever)", collect(time.Time{}, 0), []map[string]any{
			{"url": "/c", "n": float64(3)}, {"url": "/b", "n": float64(2)}, {"url": "/a", "n": float64(1)}, {},
		})
		deepEqual(t, "ContactEvents(since -2h)", collect(base.Add(-2*time.Hour), 0), []map[string]any{
			{"url": "/c", "n": float64(3)}, {"url": "/b", "n": float64(2)},
		})
		deepEqual(t, "ContactEvents stopped after one", collect(time.Time{}, 1), []map[string]any{{"url": "/c", "n": float64(3)}})
		deepEqual(t, "ContactEvents stopped after two", collect(base.Add(-10*time.Hour), 2), []map[string]any{
			{"url": "/c", "n": float64(3)}, {"url": "/b", "n": float64(2)},
		})
		if got := collect(base, 0); len(got) != 0 {
			t.Errorf("ContactEvents(since now) = %v", got)
		}
		calls := 0
		noErr(t, tx.ContactEvents("nobody", "page_visited", time.Time{}, func(map[string]any) bool { calls++; return true }))
		if calls != 0 {
			t.Errorf("ContactEvents(nobody) called fn %d times", calls)
		}

		for _, c := range []struct {
			contact, typ string
			since        time.Time
			want         int
		}{
			{"c1", "page_visited", time.Time{}, 4},
			{"c1", "page_visited", base.Add(-2 * time.Hour), 2},
			{"c1", "page_visited", base.Add(-2*time.Hour + time.Millisecond), 1},
			{"c1", "form_submitted", time.Time{}, 1},
			{"c1", "email_opened", time.Time{}, 0},
			{"c2", "page_visited", base.Add(-time.Minute), 1},
		} {
			if n := must[int](t)(tx.CountContactEvents(c.contact, c.typ, c.since)); n != c.want {
				t.Errorf("CountContactEvents(%s, %s, %v) = %d, want %d", c.contact, c.typ, c.since, n, c.want)
			}
		}
		// The tx still works after a callback stopped a read early.
		noErr(t, tx.InsertEvent(event("p5", "c1", "page_visited", base, map[string]any{"url": "/d"}), "c1", base))
		if n := must[int](t)(tx.CountContactEvents("c1", "page_visited", time.Time{})); n != 5 {
			t.Errorf("CountContactEvents after another insert = %d, want 5", n)
		}
	})
}

func strp(s string) *string { return &s }
func intp(v int) *int       { return &v }

func testLedgerHistory(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	rows := []model.LedgerEntry{
		{ContactID: "c1", At: base, EventAt: base.Add(-2 * time.Hour), Score: "engagement", Delta: 10, Value: 10, Flow: strp("pricing"), FlowVersion: intp(3), Node: strp("a1"), EventID: strp("e1")},
		{ContactID: "c1", At: base.Add(time.Minute), EventAt: base.Add(time.Minute), Score: "fit", Delta: 5, Value: 5, Flow: strp("fit"), FlowVersion: intp(1), Node: strp("a2"), EventID: strp("e2")},
		{ContactID: "c2", At: base, Score: "engagement", Delta: 1, Value: 1, Flow: strp("other"), FlowVersion: intp(1), Node: strp("n"), EventID: strp("e3")},
		{ContactID: "c1", At: base.Add(30 * 24 * time.Hour), Score: "engagement", Delta: -3, Value: 7, Reason: "decay"},
	}
	inTx(t, s, func(tx store.Tx) {
		for i := range rows {
			noErr(t, tx.InsertLedger(&rows[i]))
		}
	})
	rows[3].EventAt = rows[3].At // a row written without EventAt reads back with its At
	got := must[[]model.LedgerEntry](t)(s.History(ctx, "c1", 0))
	for i := range got {
		if got[i].ID == 0 {
			t.Errorf("History[%d] has no id", i)
		}
		got[i].ID = 0
	}
	deepEqual(t, "History(c1)", got, []model.LedgerEntry{rows[3], rows[1], rows[0]})
	if len(got) > 0 {
		d := got[0]
		if d.Flow != nil || d.FlowVersion != nil || d.Node != nil || d.EventID != nil || d.Reason != "decay" {
			t.Errorf("decay row = %+v, want nil flow/version/node/event and reason decay", d)
		}
		var m map[string]json.RawMessage
		noErr(t, json.Unmarshal([]byte(jsonOf(t, d)), &m))
		if string(m["event_at"]) != jsonOf(t, d.At) {
			t.Errorf("decay row's event_at = %s, want its at %s", m["event_at"], jsonOf(t, d.At))
		}
		if string(m["flow"]) != "null" || string(m["reason"]) != `"decay"` {
			t.Errorf("decay row JSON = %s", jsonOf(t, d))
		}
	}
	limited := must[[]model.LedgerEntry](t)(s.History(ctx, "c1", 2))
	if len(limited) != 2 || limited[0].Score != "engagement" || limited[0].Delta != -3 || limited[1].Score != "fit" {
		t.Errorf("History(c1, 2) = %+v", limited)
	}
	if got := must[[]model.LedgerEntry](t)(s.History(ctx, "nobody", 0)); got == nil || len(got) != 0 {
		t.Errorf("History(nobody) = %#v, want empty", got)
	}
}

// ---- contact reads

func saveContacts(t *testing.T, s store.Store, cs ...*model.Contact) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) {
		for _, c := range cs {
			if c.CreatedAt.IsZero() {
				c.CreatedAt = base
			}
			noErr(t, tx.SaveContact(&store.ContactRecord{Contact: c}))
		}
	})
}

func ids(cs []*model.Contact) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// pageAll follows cursors to the end and returns the pages' ids.
func pageAll(t *testing.T, s store.Store, q store.ContactQuery) [][]string {
	t.Helper()
	var pages [][]string
	for i := 0; ; i++ {
		if i > 20 {
			t.Fatal("pagination does not end")
		}
		cs, next, err := s.ListContacts(ctxT(t), q)
		noErr(t, err)
		pages = append(pages, ids(cs))
		if next == "" {
			return pages
		}
		q.Cursor = next
	}
}

func testListPaging(t *testing.T, s store.Store) {
	saveContacts(t, s,
		&model.Contact{ID: "a", Score: 10},
		&model.Contact{ID: "b", Score: 20},
		&model.Contact{ID: "c", Score: 20},
		&model.Contact{ID: "d", Score: 20},
		&model.Contact{ID: "e", Score: -5},
	)
	deepEqual(t, "pages by -score", pageAll(t, s, store.ContactQuery{Limit: 2}), [][]string{{"d", "c"}, {"b", "a"}, {"e"}})
	deepEqual(t, "pages by score", pageAll(t, s, store.ContactQuery{Limit: 2, Ascend: true}), [][]string{{"e", "a"}, {"b", "c"}, {"d"}})
	deepEqual(t, "pages of 3", pageAll(t, s, store.ContactQuery{Limit: 3}), [][]string{{"d", "c", "b"}, {"a", "e"}})
	// A page that ends exactly at the last contact has no next cursor.
	deepEqual(t, "one page of 5", pageAll(t, s, store.ContactQuery{Limit: 5}), [][]string{{"d", "c", "b", "a", "e"}})
	deepEqual(t, "default limit", pageAll(t, s, store.ContactQuery{}), [][]string{{"d", "c", "b", "a", "e"}})

	// A cursor stays valid when contacts change between pages: no
	// duplicates, and a contact that moved behind the cursor is not seen.
	ctx := ctxT(t)
	first, next, err := s.ListContacts(ctx, store.ContactQuery{Limit: 2})
	noErr(t, err)
	deepEqual(t, "first page", ids(first), []string{"d", "c"})
	saveContacts(t, s, &model.Contact{ID: "f", Score: 15})
	rest, _, err := s.ListContacts(ctx, store.ContactQuery{Limit: 10, Cursor: next})
	noErr(t, err)
	deepEqual(t, "rest after an insert", ids(rest), []string{"b", "f", "a", "e"})

	for _, bad := range []string{"!!!not-base64!!!", "bm9jb2xvbg", "YWJjOmlk"} { // "nocolon", "abc:id"
		_, _, err := s.ListContacts(ctx, store.ContactQuery{Cursor: bad})
		var inv *model.InvalidError
		if !errors.As(err, &inv) {
			t.Errorf("ListContacts(cursor %q) err = %v, want *model.InvalidError", bad, err)
		}
	}
	if n := must[int64](t)(s.CountContacts(ctx)); n != 6 {
		t.Errorf("CountContacts = %d, want 6", n)
	}
}

func testListFilters(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if n := must[int64](t)(s.CountContacts(ctx)); n != 0 {
		t.Errorf("CountContacts on an empty store = %d", n)
	}
	empty, next, err := s.ListContacts(ctx, store.ContactQuery{})
	noErr(t, err)
	if empty == nil || len(empty) != 0 || next != "" {
		t.Errorf("ListContacts on an empty store = %#v, %q", empty, next)
	}
	saveContacts(t, s,
		&model.Contact{ID: "alice-1", Email: "Alice@Example.test", Score: 60, Grade: "hot", Tags: []string{"trial", "vip"}, Segments: []string{"hot-leads"},
			Attributes: map[string]any{"company": "ACME Corp", "title": "CEO"}},
		&model.Contact{ID: "bob-2", Email: "bob@other.test", Score: 30, Grade: "warm", Tags: []string{"trial"}, Segments: []string{"hot-leads", "eu"},
			Attributes: map[string]any{"company": "Globex", "note": "100% sure"}},
		&model.Contact{ID: "carol-3", Score: 5, Grade: "cold", Tags: []string{"trialist"}, Segments: []string{"eu"},
			Attributes: map[string]any{"company": "Initech", "profile": map[string]any{"city": "Zürich", "team": "acme-partners"}}},
		&model.Contact{ID: "dave_4", Email: "dave@acme.test", Score: 1, Grade: "cold",
			Attributes: map[string]any{"note": "1000 sure"}},
	)
	for _, c := range []struct {
		name string
		q    store.ContactQuery
		want []string
	}{
		{"grade hot", store.ContactQuery{Grade: "hot"}, []string{"alice-1"}},
		{"grade cold", store.ContactQuery{Grade: "cold"}, []string{"carol-3", "dave_4"}},
		{"grade unknown", store.ContactQuery{Grade: "nope"}, []string{}},
		{"tag exact, not a prefix", store.ContactQuery{Tag: "trial"}, []string{"alice-1", "bob-2"}},
		{"tag trialist", store.ContactQuery{Tag: "trialist"}, []string{"carol-3"}},
		{"segment", store.ContactQuery{Segment: "eu"}, []string{"bob-2", "carol-3"}},
		{"segment and tag", store.ContactQuery{Segment: "hot-leads", Tag: "vip"}, []string{"alice-1"}},
		{"grade and segment", store.ContactQuery{Grade: "cold", Segment: "eu"}, []string{"carol-3"}},
		{"q id, case-insensitive", store.ContactQuery{Query: "ALICE"}, []string{"alice-1"}},
		{"q email", store.ContactQuery{Query: "other.test"}, []string{"bob-2"}},
		{"q email, case-insensitive", store.ContactQuery{Query: "alice@example"}, []string{"alice-1"}},
		{"q attribute text, case-insensitive", store.ContactQuery{Query: "acme"}, []string{"alice-1", "carol-3", "dave_4"}},
		{"q nested attribute", store.ContactQuery{Query: "PARTNERS"}, []string{"carol-3"}},
		{"q percent is literal", store.ContactQuery{Query: "100%"}, []string{"bob-2"}},
		{"q lone percent", store.ContactQuery{Query: "%"}, []string{"bob-2"}},
		{"q underscore is literal", store.ContactQuery{Query: "_"}, []string{"dave_4"}},
		{"q backslash is literal", store.ContactQuery{Query: `\`}, []string{}},
		{"q no match", store.ContactQuery{Query: "zzz"}, []string{}},
		{"q and grade", store.ContactQuery{Query: "acme", Grade: "cold"}, []string{"carol-3", "dave_4"}},
		{"q with ascending", store.ContactQuery{Query: "acme", Ascend: true}, []string{"dave_4", "carol-3", "alice-1"}},
	} {
		got, next, err := s.ListContacts(ctx, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		deepEqual(t, c.name, ids(got), c.want)
		if next != "" {
			t.Errorf("%s: next cursor %q on the only page", c.name, next)
		}
	}
	// Filters hold across pages.
	q := store.ContactQuery{Query: "acme", Limit: 1}
	deepEqual(t, "q paged", pageAll(t, s, q), [][]string{{"alice-1"}, {"carol-3"}, {"dave_4"}})
	// Listed contacts are whole.
	got, _, err := s.ListContacts(ctx, store.ContactQuery{Grade: "hot"})
	noErr(t, err)
	if len(got) == 1 {
		c := got[0]
		if c.Email != "Alice@Example.test" || c.Attributes["company"] != "ACME Corp" || !reflect.DeepEqual(c.Tags, []string{"trial", "vip"}) ||
			!reflect.DeepEqual(c.Segments, []string{"hot-leads"}) || !c.CreatedAt.Equal(base) {
			t.Errorf("listed contact = %+v", c)
		}
	}
	if n := must[int64](t)(s.CountContacts(ctx)); n != 4 {
		t.Errorf("CountContacts = %d, want 4", n)
	}
}

func testTimeline(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	evs := []*model.Event{
		{ID: "e1", Type: "page_visited", Timestamp: base, Properties: map[string]any{"url": "/pricing", "title": "Pricing"}},
		{ID: "e2", Type: "identify", Timestamp: base.Add(2 * time.Hour), Traits: map[string]any{"job_title": "CEO", "company_size": 40, "nested": map[string]any{"a": []any{1, "x"}}}},
		{ID: "e3", Type: "form_submitted", Timestamp: base.Add(time.Hour), Properties: map[string]any{"form": "demo"},
			RawProperties: json.RawMessage(`{"form":"demo"}`)},
		// Same timestamp as e2, applied later: later rows come first.
		{ID: "e4", Type: "custom thing", Timestamp: base.Add(2 * time.Hour)},
	}
	inTx(t, s, func(tx store.Tx) {
		for _, ev := range evs {
			noErr(t, tx.InsertEvent(ev, "c1", base.Add(3*time.Hour)))
		}
		noErr(t, tx.InsertEvent(&model.Event{ID: "other", Type: "page_visited", Timestamp: base.Add(5 * time.Hour), Properties: map[string]any{"url": "/x"}}, "c2", base))
	})
	got := must[[]model.Event](t)(s.Timeline(ctx, "c1", 0))
	var order []string
	for _, ev := range got {
		order = append(order, ev.ID)
		if ev.ContactID != "c1" {
			t.Errorf("timeline event %s contact = %q", ev.ID, ev.ContactID)
		}
	}
	deepEqual(t, "Timeline order", order, []string{"e4", "e2", "e3", "e1"})
	byID := map[string]model.Event{}
	for _, ev := range got {
		byID[ev.ID] = ev
	}
	if e := byID["e1"]; e.Type != "page_visited" || !e.Timestamp.Equal(base) ||
		!reflect.DeepEqual(e.Properties, map[string]any{"url": "/pricing", "title": "Pricing"}) || e.Traits != nil {
		t.Errorf("e1 = %+v", e)
	}
	if e := byID["e2"]; e.Properties != nil ||
		!reflect.DeepEqual(e.Traits, map[string]any{"job_title": "CEO", "company_size": float64(40), "nested": map[string]any{"a": []any{float64(1), "x"}}}) {
		t.Errorf("e2 = %+v", e)
	}
	if e := byID["e3"]; !reflect.DeepEqual(e.Properties, map[string]any{"form": "demo"}) {
		t.Errorf("e3 (stored from raw JSON) = %+v", e)
	}
	if e := byID["e4"]; e.Type != "custom thing" || e.Properties != nil || e.Traits != nil {
		t.Errorf("e4 = %+v", e)
	}
	limited := must[[]model.Event](t)(s.Timeline(ctx, "c1", 2))
	if len(limited) != 2 || limited[0].ID != "e4" || limited[1].ID != "e2" {
		t.Errorf("Timeline(c1, 2) = %v", limited)
	}
	if none := must[[]model.Event](t)(s.Timeline(ctx, "nobody", 0)); none == nil || len(none) != 0 {
		t.Errorf("Timeline(nobody) = %#v, want empty", none)
	}
}

// ---- outbox

func testOutbox(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	now := base
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: "k1", URL: "https://one.test/hook", Headers: map[string]string{"X-Token": "abc"},
			Body: []byte(`{"n":1}`), NextAt: now.Add(-time.Minute), CreatedAt: now.Add(-time.Minute)}))
		noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: "k2", URL: "https://two.test/hook", Body: []byte(`{"n":2}`),
			NextAt: now.Add(time.Hour), CreatedAt: now}))
		noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: "k3", URL: "https://three.test/hook", Body: []byte(`{"n":3}`),
			NextAt: now.Add(-2 * time.Minute), CreatedAt: now}))
		// The same key again (a redelivered event): kept once, first wins.
		noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: "k1", URL: "https://dup.test/hook", Body: []byte(`{"n":"dup"}`),
			NextAt: now.Add(-time.Hour), CreatedAt: now}))
	})
	// And again in a later transaction.
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: "k1", URL: "https://dup2.test/hook", Body: []byte(`{}`), NextAt: now, CreatedAt: now}))
	})

	all := must[[]model.WebhookDelivery](t)(s.Webhooks(ctx, "", 10))
	var keys []string
	for _, d := range all {
		keys = append(keys, d.Key)
	}
	deepEqual(t, "Webhooks(all) newest first", keys, []string{"k3", "k2", "k1"})

	due := must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now, 10))
	if len(due) != 2 || due[0].Key != "k3" || due[1].Key != "k1" {
		t.Fatalf("DueWebhooks(now) = %+v, want k3 then k1", due)
	}
	k1 := due[1]
	if k1.URL != "https://one.test/hook" || string(k1.Body) != `{"n":1}` || !reflect.DeepEqual(k1.Headers, map[string]string{"X-Token": "abc"}) ||
		k1.Status != model.WebhookPending || k1.Attempts != 0 || k1.LastError != "" ||
		!k1.NextAt.Equal(now.Add(-time.Minute)) || !k1.CreatedAt.Equal(now.Add(-time.Minute)) || k1.ID == 0 {
		t.Errorf("k1 = %+v", k1)
	}
	if due[0].Headers != nil {
		t.Errorf("k3 headers = %#v, want none", due[0].Headers)
	}
	if d := must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now, 1)); len(d) != 1 || d[0].Key != "k3" {
		t.Errorf("DueWebhooks(now, 1) = %+v", d)
	}
	if d := must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now.Add(-time.Hour), 10)); len(d) != 0 {
		t.Errorf("DueWebhooks(an hour ago) = %+v", d)
	}
	// next_at == now is due.
	if d := must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now.Add(time.Hour), 10)); len(d) != 3 {
		t.Errorf("DueWebhooks(k2's next_at) = %d rows, want 3", len(d))
	}

	k3 := due[0]
	noErr(t, s.MarkWebhookRetry(ctx, k1.ID, 1, now.Add(30*time.Minute), "503 Service Unavailable"))
	noErr(t, s.MarkWebhookDelivered(ctx, k3.ID, 1, now))
	due = must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now, 10))
	if len(due) != 0 {
		t.Errorf("DueWebhooks after retry and delivery = %+v, want none", due)
	}
	due = must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now.Add(30*time.Minute), 10))
	if len(due) != 1 || due[0].Key != "k1" || due[0].Attempts != 1 || due[0].LastError != "503 Service Unavailable" ||
		!due[0].NextAt.Equal(now.Add(30*time.Minute)) || due[0].Status != model.WebhookPending {
		t.Errorf("DueWebhooks after retry time = %+v, want k1 with attempt 1", due)
	}
	// Delivered after a retry: the error is cleared.
	noErr(t, s.MarkWebhookRetry(ctx, k1.ID, 2, now.Add(40*time.Minute), "timeout"))
	noErr(t, s.MarkWebhookDelivered(ctx, k1.ID, 3, now.Add(41*time.Minute)))

	k2 := must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now.Add(2*time.Hour), 10))
	if len(k2) != 1 || k2[0].Key != "k2" {
		t.Fatalf("DueWebhooks(later) = %+v, want k2", k2)
	}
	noErr(t, s.MarkWebhookFailed(ctx, k2[0].ID, 8, "410 Gone", now.Add(2*time.Hour)))
	if d := must[[]model.WebhookDelivery](t)(s.DueWebhooks(ctx, now.Add(100*time.Hour), 10)); len(d) != 0 {
		t.Errorf("DueWebhooks with nothing pending = %+v", d)
	}

	byStatus := func(status string) []model.WebhookDelivery {
		return must[[]model.WebhookDelivery](t)(s.Webhooks(ctx, status, 10))
	}
	if p := byStatus(model.WebhookPending); len(p) != 0 {
		t.Errorf("Webhooks(pending) = %+v", p)
	}
	delivered := byStatus(model.WebhookDelivered)
	keys = nil
	for _, d := range delivered {
		keys = append(keys, d.Key)
		if d.Status != model.WebhookDelivered || d.LastError != "" {
			t.Errorf("delivered %s = %+v", d.Key, d)
		}
	}
	deepEqual(t, "Webhooks(delivered)", keys, []string{"k3", "k1"})
	if delivered[len(delivered)-1].Attempts != 3 {
		t.Errorf("k1 attempts = %d, want 3", delivered[len(delivered)-1].Attempts)
	}
	failed := byStatus(model.WebhookFailed)
	if len(failed) != 1 || failed[0].Key != "k2" || failed[0].Attempts != 8 || failed[0].LastError != "410 Gone" || failed[0].Status != model.WebhookFailed {
		t.Errorf("Webhooks(failed) = %+v", failed)
	}
	if l := must[[]model.WebhookDelivery](t)(s.Webhooks(ctx, "", 2)); len(l) != 2 {
		t.Errorf("Webhooks(all, 2) = %d rows", len(l))
	}
}

// ---- dead events

func testDeadEvents(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if d := must[[]store.DeadEvent](t)(s.DeadEvents(ctx, 10)); d == nil || len(d) != 0 {
		t.Errorf("DeadEvents on an empty store = %#v", d)
	}
	dead := []store.DeadEvent{
		{StreamSeq: 17, Subject: "scoreflow.events.http", Payload: []byte("{not json"), Error: "invalid JSON", At: base},
		{StreamSeq: 42, Subject: "scoreflow.events.segment", EventID: "evt-9", Payload: []byte{0, 1, 2, 0xff}, Error: "failed after 5 tries", At: base.Add(time.Second)},
	}
	for _, d := range dead {
		noErr(t, s.RecordDeadEvent(ctx, d))
	}
	got := must[[]store.DeadEvent](t)(s.DeadEvents(ctx, 10))
	deepEqual(t, "DeadEvents", got, []store.DeadEvent{dead[1], dead[0]})
	if one := must[[]store.DeadEvent](t)(s.DeadEvents(ctx, 1)); len(one) != 1 || one[0].StreamSeq != 42 {
		t.Errorf("DeadEvents(1) = %+v", one)
	}
}

// ---- concurrency

// testReadersDuringTx holds a write transaction open, mid-batch, while
// readers run: they must neither wait for it nor see its writes.
func testReadersDuringTx(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	saveContacts(t, s, &model.Contact{ID: "committed", Score: 7, Tags: []string{"x"}})

	tx, err := s.Begin(ctx)
	noErr(t, err)
	defer tx.Rollback()
	noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "pending", Score: 1, CreatedAt: base}}))
	noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "committed", Score: 99, CreatedAt: base}}))
	noErr(t, tx.InsertEvent(event("pending-ev", "committed", "custom", base, nil), "committed", base))

	const readers = 16 // more than an idle pool holds, so some connections open now
	errs := make(chan error, readers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			for j := 0; j < 20; j++ {
				c, err := s.GetContact(rctx, "committed")
				if err != nil {
					errs <- fmt.Errorf("GetContact(committed): %w", err)
					return
				}
				if c.Score != 7 {
					errs <- fmt.Errorf("reader sees uncommitted score %d", c.Score)
					return
				}
				if _, err := s.GetContact(rctx, "pending"); !errors.Is(err, model.ErrNotFound) {
					errs <- fmt.Errorf("GetContact(pending) during the tx: %v, want not found", err)
					return
				}
				if _, _, err := s.ListContacts(rctx, store.ContactQuery{Tag: "x"}); err != nil {
					errs <- fmt.Errorf("ListContacts: %w", err)
					return
				}
				if ev, err := s.Timeline(rctx, "committed", 0); err != nil || len(ev) != 0 {
					errs <- fmt.Errorf("Timeline during the tx = %d events, %v", len(ev), err)
					return
				}
			}
		}()
	}
	// The writer keeps writing while they read.
	for i := 0; i < 50; i++ {
		noErr(t, tx.InsertLedger(&model.LedgerEntry{ContactID: "committed", At: base, Score: "engagement", Delta: 1, Value: int64(i)}))
	}
	wg.Wait()
	close(errs)
	var msgs []string
	for err := range errs {
		msgs = append(msgs, err.Error())
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		t.Error(m)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("readers took %v while a write tx was open", d)
	}
	noErr(t, tx.Commit())

	c := must[*model.Contact](t)(s.GetContact(ctx, "committed"))
	if c.Score != 99 {
		t.Errorf("score after commit = %d, want 99", c.Score)
	}
	must[*model.Contact](t)(s.GetContact(ctx, "pending"))
	if h := must[[]model.LedgerEntry](t)(s.History(ctx, "committed", 0)); len(h) != 50 {
		t.Errorf("History after commit = %d rows, want 50", len(h))
	}
}
