package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/sqlite"
)

// openSQLite is the one line that knows where the SQLite store lives.
func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parity.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSQLiteParity runs one script of calls the conformance suite does not
// make (segments, membership, parked runs, decay, deletion, jobs, the
// dashboard's aggregates, the bulk segment passes) on SQLite and on
// PostgreSQL and requires the same answers, call by call.
func TestSQLiteParity(t *testing.T) {
	want := parityScript(t, openSQLite(t))
	got := parityScript(t, openAt(t, pgtest.URL(t)))
	if len(got) != len(want) {
		t.Fatalf("PostgreSQL made %d observations, SQLite %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d differs:\n sqlite   %s\n postgres %s", i, want[i], got[i])
		}
	}
}

// parityScript runs the script on s and returns what each step observed,
// as JSON lines (errors as their kind), with the clock's times blanked.
func parityScript(t *testing.T, s store.Store) []string {
	ctx := context.Background()
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var out []string
	see := func(what string, v any, err error) {
		t.Helper()
		kind := ""
		switch {
		case err == nil:
		case errors.Is(err, model.ErrNotFound):
			kind = "not found"
		case errors.Is(err, model.ErrConflict):
			kind = "conflict"
		default:
			t.Fatalf("%s: %v", what, err)
		}
		b, jerr := json.Marshal(v)
		if jerr != nil {
			t.Fatal(jerr)
		}
		out = append(out, fmt.Sprintf("%s: %s %s", what, b, kind))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	inTx := func(fn func(tx store.Tx)) {
		t.Helper()
		tx, err := s.Begin(ctx)
		must(err)
		defer tx.Rollback()
		fn(tx)
		must(tx.Commit())
	}
	blank := func(segs ...model.Segment) []model.Segment {
		for i := range segs {
			segs[i].CreatedAt, segs[i].UpdatedAt = time.Time{}, time.Time{}
		}
		return segs
	}
	members := func(id string) {
		t.Helper()
		var all []string
		after := ""
		for {
			page, next, err := s.SegmentMembers(ctx, id, 2, after)
			see("members page of "+id, ids(page), err)
			all = append(all, ids(page)...)
			if next == "" {
				break
			}
			after = next
		}
		see("members of "+id, all, nil)
	}

	// Contacts over a spread of scores, grades, tags and times.
	inTx(func(tx store.Tx) {
		for i, sc := range []int64{-37, -5, 0, 3, 12, 12, 48, 99, 250, 1001} {
			c := &model.Contact{
				ID: fmt.Sprintf("c%02d", i), Score: sc, Scores: map[string]int64{"engagement": sc}, Grade: []string{"cold", "warm", "hot"}[i%3],
				Tags: []string{[]string{"b", "a", "z"}[i%3], "t" + fmt.Sprint(i%2)}, CreatedAt: base.Add(time.Duration(i) * time.Hour),
				Attributes: map[string]any{"plan": []string{"free", "pro"}[i%2], fmt.Sprintf("k%d", i%4): i},
			}
			if i%4 == 1 {
				c.Disqualified = &model.Disqualification{At: base.Add(time.Duration(10-i) * time.Minute), Reason: "r" + fmt.Sprint(i)}
			}
			if i == 4 {
				c.Scores = map[string]int64{"engagement": 0, "fit": 12}
			}
			rec := &store.ContactRecord{Contact: c}
			if i%3 == 0 {
				rec.NextEvalAt = ms(base.Add(time.Duration(i) * time.Minute))
			}
			must(tx.SaveContact(rec))
		}
		// Two contacts share an email and a creation time: the first saved wins.
		must(tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "twin-b", Email: "twin@x.test", CreatedAt: base}}))
		must(tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "twin-a", Email: "twin@x.test", CreatedAt: base}}))
	})
	inTx(func(tx store.Tx) {
		id, err := tx.ContactIDByEmail("twin@x.test")
		see("ContactIDByEmail(twin)", id, err)
	})

	// Segments.
	for _, id := range []string{"vip", "eu", "all"} {
		seg, err := s.CreateSegment(ctx, model.Segment{ID: id, Name: "Segment " + id, Where: json.RawMessage(`{"all":[]}`)})
		see("CreateSegment "+id, blank(seg), err)
	}
	_, err := s.CreateSegment(ctx, model.Segment{ID: "vip", Name: "again", Where: json.RawMessage(`{}`)})
	see("CreateSegment vip again", nil, err)
	seg, err := s.UpdateSegment(ctx, model.Segment{ID: "eu", Name: "Europe", Description: "d", Where: json.RawMessage(`{"any":[]}`)})
	see("UpdateSegment eu", blank(seg), err)
	_, err = s.UpdateSegment(ctx, model.Segment{ID: "nope", Name: "x", Where: json.RawMessage(`{}`)})
	see("UpdateSegment nope", nil, err)

	// Membership: runs of changes to one key inside one batch.
	inTx(func(tx store.Tx) {
		must(tx.SetMembership("vip", "c01", true, base))
		must(tx.SetMembership("vip", "c02", true, base))
		must(tx.SetMembership("eu", "c01", true, base))
		must(tx.SetMembership("all", "c03", true, base))
	})
	inTx(func(tx store.Tx) {
		must(tx.SetMembership("vip", "c01", false, base.Add(time.Minute))) // out
		must(tx.SetMembership("vip", "c02", false, base.Add(time.Minute))) // out and back
		must(tx.SetMembership("vip", "c02", true, base.Add(2*time.Minute)))
		must(tx.SetMembership("vip", "c05", true, base.Add(time.Minute))) // in, out, in
		must(tx.SetMembership("vip", "c05", false, base.Add(2*time.Minute)))
		must(tx.SetMembership("vip", "c05", true, base.Add(3*time.Minute)))
		must(tx.SetMembership("vip", "c06", true, base))  // in, in
		must(tx.SetMembership("vip", "c06", true, base))  //
		must(tx.SetMembership("vip", "c07", false, base)) // out, never in
		must(tx.SetMembership("eu", "c08", true, base))
		must(tx.SetMembership("eu", "c08", false, base)) // in then out
	})
	for _, id := range []string{"vip", "eu", "all", "none"} {
		members(id)
	}
	list, err := s.ListSegments(ctx)
	see("ListSegments", blank(list...), err)
	seg, err = s.GetSegment(ctx, "vip")
	see("GetSegment vip", blank(seg), err)
	_, err = s.GetSegment(ctx, "nope")
	see("GetSegment nope", nil, err)

	// The bulk segment pass, with a filter each backend compiles.
	vip := parityFilter(t, `{"all":[{"field":"score","op":"gte","value":12},{"field":"grade","op":"neq","value":"hot"}]}`)
	inTx(func(tx store.Tx) {
		entered, exited, err := tx.SegmentMovers("vip", vip, base)
		see("SegmentMovers vip", [][]string{entered, exited}, err)
		must(tx.ApplySegmentMoves("vip", entered, exited, base.Add(time.Hour)))
		entered, exited, err = tx.SegmentMovers("vip", vip, base)
		see("SegmentMovers vip again", [][]string{entered, exited}, err)
		must(tx.ApplySegmentMoves("eu", []string{"c09", "c00"}, []string{"c01"}, base))
		must(tx.ApplySegmentMoves("eu", nil, nil, base))
	})
	members("vip")
	members("eu")
	n, sample, err := s.MatchContacts(ctx, parityFilter(t, `{"all":[{"field":"score","op":"gt","value":0},{"field":"grade","op":"eq","value":"cold"}]}`), base, 2)
	see("MatchContacts", []any{n, ids(sample)}, err)
	n, sample, err = s.MatchContacts(ctx, parityFilter(t, `{"field":"score","op":"gt","value":100000}`), base, 5)
	see("MatchContacts none", []any{n, ids(sample)}, err)
	n, sample, err = s.MatchContacts(ctx, parityFilter(t, `{"field":"score","op":"gt","value":0}`), base, 0)
	see("MatchContacts no sample", []any{n, ids(sample)}, err)

	due, err := s.DueContacts(ctx, base.Add(5*time.Minute), 100)
	see("DueContacts", due, err)
	inTx(func(tx store.Tx) {
		must(tx.ScheduleBoundaries(parityFilter(t, `{"field":"created_at","op":"newer_than","value":"30m"}`), base))
	})
	due, err = s.DueContacts(ctx, base.Add(3*time.Hour), 100)
	see("DueContacts after ScheduleBoundaries", due, err)
	inTx(func(tx store.Tx) { must(tx.DueAll(base.Add(2 * time.Minute))) })
	due, err = s.DueContacts(ctx, base.Add(2*time.Minute), 3)
	see("DueContacts after DueAll", due, err)

	// Deleting a segment takes it out of every member's list.
	must(s.DeleteSegment(ctx, "eu"))
	see("DeleteSegment eu again", nil, s.DeleteSegment(ctx, "eu"))
	c, err := s.GetContact(ctx, "c09")
	see("c09 segments after DeleteSegment", c.Segments, err)
	members("eu")

	// Parked runs.
	inTx(func(tx store.Tx) {
		for i := range 3 {
			must(tx.ParkRun(store.WaitingRun{FlowID: "f", FlowVersion: 2, ContactID: "c01", NodeID: fmt.Sprint("d", i),
				Event: []byte(`{"event":{"id":"e"}}`), WakeAt: base.Add(time.Duration(3-i) * time.Minute), CreatedAt: base}))
		}
	})
	runs, err := s.DueRuns(ctx, base.Add(2*time.Minute), 10)
	for i := range runs {
		runs[i].ID = 0
	}
	see("DueRuns", runs, err)
	count, err := s.CountWaitingRuns(ctx)
	see("CountWaitingRuns", count, err)
	all, err := s.DueRuns(ctx, base.Add(time.Hour), 10)
	must(err)
	inTx(func(tx store.Tx) {
		taken, err := tx.TakeRun(all[0].ID)
		see("TakeRun", taken, err)
		taken, err = tx.TakeRun(all[0].ID)
		see("TakeRun again", taken, err)
		must(tx.ParkRun(store.WaitingRun{FlowID: "f", FlowVersion: 2, ContactID: "c02", NodeID: "late", Event: []byte(`{}`), WakeAt: base, CreatedAt: base}))
	})
	count, err = s.CountWaitingRuns(ctx)
	see("CountWaitingRuns after take", count, err)

	// Decay marks.
	inTx(func(tx store.Tx) {
		at, err := tx.DecayedAt("c07", "engagement")
		see("DecayedAt before", at, err)
		must(tx.MarkDecayed("c07", "engagement", base))
		must(tx.MarkDecayed("c07", "engagement", base.Add(time.Hour)))
		must(tx.MarkDecayed("c08", "engagement", base.Add(48*time.Hour)))
		at, err = tx.DecayedAt("c07", "engagement")
		see("DecayedAt in the batch", at, err)
	})
	for _, dim := range []string{"engagement", "fit", "none", `we"ird`} {
		d, err := s.DecayDue(ctx, dim, base.Add(5*time.Hour), 100)
		see("DecayDue "+dim, d, err)
	}

	// Events, ledger, entries, stats, minutes, webhooks and deletion.
	inTx(func(tx store.Tx) {
		for i := range 6 {
			id := fmt.Sprintf("c%02d", i%3)
			must(tx.InsertEvent(&model.Event{ID: fmt.Sprint("ev", i), Type: []string{"page_visited", "form_submitted"}[i%2], Timestamp: base.Add(time.Duration(i) * time.Second),
				Properties: map[string]any{"n": i}}, id, base))
			must(tx.InsertLedger(&model.LedgerEntry{ContactID: id, At: base, Score: "engagement", Delta: 1, Value: int64(i)}))
			must(tx.RecordEntry("f", id, base))
			must(tx.CountEvents(base.Add(time.Duration(i)*20*time.Second), 1))
		}
		must(tx.EnqueueWebhook(model.WebhookDelivery{Key: "k", URL: "http://x.test", Body: []byte{}, NextAt: base, CreatedAt: base}))
		must(tx.AddNodeStats([]store.NodeStats{{FlowID: "f", NodeID: "n", Minute: base, Entered: 2}, {FlowID: "g", NodeID: "n", Minute: base.Add(time.Hour), Failed: 1}}))
		must(tx.RecordRunFailure(store.RunFailure{FlowID: "f", FlowVersion: 1, ContactID: "c01", Reason: "x", At: base}))
		must(tx.MarkDecayed("c01", "engagement", base))
	})
	hooks, err := s.Webhooks(ctx, "", 10)
	for i := range hooks {
		hooks[i].ID = 0
	}
	see("Webhooks", hooks, err)
	minutes, err := s.EventsPerMinute(ctx, base.Add(-time.Hour))
	see("EventsPerMinute", minutes, err)
	minutes, err = s.EventsPerMinute(ctx, base.Add(time.Minute))
	see("EventsPerMinute since a minute on", minutes, err)
	stats, err := s.AllFlowStats(ctx, base)
	see("AllFlowStats", sortedStats(stats), err)
	stats, err = s.AllFlowStats(ctx, base.Add(time.Minute))
	see("AllFlowStats later", sortedStats(stats), err)
	et, tg, at, err := s.Catalog(ctx)
	see("Catalog", [][]string{et, tg, at}, err)

	inTx(func(tx store.Tx) {
		gone, err := tx.DeleteContact("c01")
		see("DeleteContact c01", gone, err)
		gone, err = tx.DeleteContact("c01")
		see("DeleteContact c01 again", gone, err)
		gone, err = tx.DeleteContact("ghost")
		see("DeleteContact ghost", gone, err)
		// Its event ids may be applied anew.
		must(tx.InsertEvent(&model.Event{ID: "ev1", Type: "again", Timestamp: base}, "c01", base))
	})
	_, err = s.GetContact(ctx, "c01")
	see("GetContact c01 after delete", nil, err)
	tl, err := s.Timeline(ctx, "c01", 0)
	see("Timeline c01 after delete", len(tl), err)
	h, err := s.History(ctx, "c01", 0)
	see("History c01 after delete", len(h), err)
	runs, err = s.DueRuns(ctx, base.Add(time.Hour), 10)
	see("DueRuns after delete", len(runs), err)
	fails, err := s.RunFailures(ctx, "", 10)
	see("RunFailures after delete", len(fails), err)
	members("vip")
	d, err := s.DecayDue(ctx, "engagement", base.Add(100*time.Hour), 100)
	see("DecayDue after delete", d, err)
	inTx(func(tx store.Tx) {
		n, err := tx.CountEntries("f", "c01", time.Time{})
		see("CountEntries c01 after delete", n, err)
		n, err = tx.CountEntries("f", "c02", time.Time{})
		see("CountEntries c02", n, err)
	})

	// The dashboard's aggregates, after regrading.
	st := model.Settings{Scores: model.DefaultSettings().Scores, Grades: []model.Grade{{Name: "low"}, {Name: "mid", Min: i64(10)}, {Name: "top", Min: i64(100)}}}
	must(s.PutSettings(ctx, st))
	gc, err := s.GradeCounts(ctx)
	see("GradeCounts", gc, err)
	for _, b := range []int{1, 3, 10, 20, 1000} {
		hist, err := s.ScoreHistogram(ctx, b)
		see(fmt.Sprint("ScoreHistogram ", b), hist, err)
	}
	dq, err := s.RecentDisqualified(ctx, 2)
	see("RecentDisqualified", ids(dq), err)
	idsAfter, err := s.ContactIDsAfter(ctx, "c05", 3)
	see("ContactIDsAfter", idsAfter, err)

	// Jobs.
	must(s.RecordJobRun(ctx, model.JobRun{Name: "decay", Schedule: "@hourly", LastStart: base, DurationMS: 5, Outcome: "ok"}))
	must(s.RecordJobRun(ctx, model.JobRun{Name: "decay", Schedule: "@daily", LastStart: base.Add(time.Hour), DurationMS: 7, Outcome: "failed", Error: "boom"}))
	must(s.RecordJobRun(ctx, model.JobRun{Name: "backfill", Schedule: "", LastStart: base, Outcome: "skipped"}))
	jobs, err := s.JobRuns(ctx)
	see("JobRuns", jobs, err)
	return out
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func i64(v int64) *int64 { return &v }

func ids(cs []*model.Contact) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// sortedStats orders AllFlowStats, whose order neither store promises.
func sortedStats(st []store.NodeStats) []store.NodeStats {
	for i := 1; i < len(st); i++ {
		for j := i; j > 0 && st[j].FlowID+"/"+st[j].NodeID < st[j-1].FlowID+"/"+st[j-1].NodeID; j-- {
			st[j], st[j-1] = st[j-1], st[j]
		}
	}
	return st
}

func parityFilter(t *testing.T, raw string) *flows.Filter {
	t.Helper()
	f, errs := flows.ParseFilter(json.RawMessage(raw), flows.ContactFilter)
	if len(errs) > 0 {
		t.Fatalf("filter %s: %v", raw, errs)
	}
	return f
}
