package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// The whole-database segment passes: the live count (MatchContacts), a
// back-fill's movers and their bulk write (SegmentMovers,
// ApplySegmentMoves), the next-change moments of time-based segments
// (ScheduleBoundaries, DueAll, DueContacts).

// testMatchContactsSample: the sample is the highest scores first, ties by
// id, cut at sample; a nil filter matches everyone; a filter that is not a
// contact filter has no SQL form.
func testMatchContactsSample(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	saveContacts(t, s,
		&model.Contact{ID: "a", Score: 10}, &model.Contact{ID: "b", Score: 30}, &model.Contact{ID: "c", Score: 30},
		&model.Contact{ID: "d", Score: -5}, &model.Contact{ID: "e", Score: 20})
	n, sample, err := s.MatchContacts(ctx, nil, base, 10)
	noErr(t, err)
	if n != 5 {
		t.Errorf("nil filter counts %d, want 5", n)
	}
	deepEqual(t, "nil filter sample", ids(sample), []string{"b", "c", "e", "a", "d"})

	f := parseContactFilter(t, `{"field":"score","op":"gte","value":10}`)
	n, sample, err = s.MatchContacts(ctx, f, base, 2)
	noErr(t, err)
	if n != 4 {
		t.Errorf("score >= 10 counts %d, want 4", n)
	}
	deepEqual(t, "sample of 2", ids(sample), []string{"b", "c"})
	if sample[0].Score != 30 {
		t.Errorf("sample contacts are whole contacts: score %d, want 30", sample[0].Score)
	}
	n, sample, err = s.MatchContacts(ctx, f, base, 0)
	noErr(t, err)
	if n != 4 || len(sample) != 0 {
		t.Errorf("sample 0: count %d and %d contacts, want 4 and none", n, len(sample))
	}
	n, sample, err = s.MatchContacts(ctx, parseContactFilter(t, `{"field":"score","op":"gt","value":100}`), base, 10)
	noErr(t, err)
	if n != 0 || sample == nil || len(sample) != 0 {
		t.Errorf("no match: count %d, sample %#v; want 0 and an empty list (JSON [])", n, sample)
	}

	ef, errs := flows.ParseFilter(json.RawMessage(`{"field":"url","op":"eq","value":"x"}`), flows.EventFilter)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	_, _, err = s.MatchContacts(ctx, ef, base, 10)
	wantErrIs(t, err, store.ErrNoSQL)
	inTx(t, s, func(tx store.Tx) {
		_, _, err := tx.SegmentMovers("x", ef, base)
		wantErrIs(t, err, store.ErrNoSQL)
		wantErrIs(t, tx.ScheduleBoundaries(ef, base), store.ErrNoSQL)
	})
}

// testSegmentMovers: movers are found in one pass and written in bulk,
// leaving contacts.segments sorted and segment_members in step with it; a
// second pass finds nothing; a time-based filter moves contacts as now
// advances.
func testSegmentMovers(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	hot := parseContactFilter(t, `{"field":"score","op":"gte","value":50}`)
	inTx(t, s, func(tx store.Tx) {
		for i := 0; i < 10; i++ {
			c := &model.Contact{ID: fmt.Sprintf("c%d", i), Score: int64(i * 10), Segments: []string{"a", "z"}, CreatedAt: base.Add(-2 * day)}
			if i < 3 {
				c.Segments = []string{"a", "hot", "z"} // wrongly members: they must exit
			}
			noErr(t, tx.SaveContact(&store.ContactRecord{Contact: c}))
			if i < 3 {
				noErr(t, tx.SetMembership("hot", c.ID, true, base))
			}
		}
		entered, exited, err := tx.SegmentMovers("hot", hot, base)
		noErr(t, err)
		deepEqual(t, "entered", entered, []string{"c5", "c6", "c7", "c8", "c9"})
		deepEqual(t, "exited", exited, []string{"c0", "c1", "c2"})
		noErr(t, tx.ApplySegmentMoves("hot", entered, exited, base))
		noErr(t, tx.ApplySegmentMoves("hot", nil, nil, base))
		r, err := tx.LoadContact("c9")
		noErr(t, err)
		deepEqual(t, "c9's segments inside the transaction", r.Contact.Segments, []string{"a", "hot", "z"})
	})
	c := must[*model.Contact](t)(s.GetContact(ctx, "c7"))
	deepEqual(t, "an entered contact's segments", c.Segments, []string{"a", "hot", "z"})
	c = must[*model.Contact](t)(s.GetContact(ctx, "c1"))
	deepEqual(t, "an exited contact's segments", c.Segments, []string{"a", "z"})
	c = must[*model.Contact](t)(s.GetContact(ctx, "c4"))
	deepEqual(t, "an unmoved contact's segments", c.Segments, []string{"a", "z"})
	members, _, err := s.SegmentMembers(ctx, "hot", 100, "")
	noErr(t, err)
	deepEqual(t, "members", ids(members), []string{"c5", "c6", "c7", "c8", "c9"})

	inTx(t, s, func(tx store.Tx) {
		entered, exited, err := tx.SegmentMovers("hot", hot, base)
		noErr(t, err)
		if len(entered)+len(exited) > 0 {
			t.Errorf("a second pass moves %v in and %v out, want nothing", entered, exited)
		}
	})

	// created_at newer_than 1d: young (12 h old) is in now and out 13 h later.
	young := parseContactFilter(t, `{"field":"created_at","op":"newer_than","value":"1d"}`)
	saveContacts(t, s, &model.Contact{ID: "young", CreatedAt: base.Add(-12 * time.Hour)})
	inTx(t, s, func(tx store.Tx) {
		entered, exited, err := tx.SegmentMovers("new", young, base)
		noErr(t, err)
		deepEqual(t, "new now", entered, []string{"young"})
		deepEqual(t, "nobody leaves new now", nonNil(exited), []string{})
		noErr(t, tx.ApplySegmentMoves("new", entered, exited, base))
	})
	inTx(t, s, func(tx store.Tx) {
		entered, exited, err := tx.SegmentMovers("new", young, base.Add(13*time.Hour))
		noErr(t, err)
		deepEqual(t, "nobody enters new 13 h later", nonNil(entered), []string{})
		deepEqual(t, "new 13 h later", exited, []string{"young"})
	})
}

// testScheduleBoundaries: each contact's next pass comes forward to the
// first millisecond at which a time leaf flips, never back; DueContacts
// then returns it from that very millisecond.
func testScheduleBoundaries(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	now := base
	ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	inactive := parseContactFilter(t, `{"field":"last_activity_at","op":"older_than","value":"30d"}`)
	opens := parseContactFilter(t, `{"event":"email_opened","within":"60d","where":{"field":"campaign","op":"eq","value":"spring"}}`)
	inTx(t, s, func(tx store.Tx) {
		for _, r := range []*store.ContactRecord{
			{Contact: &model.Contact{ID: "fresh", CreatedAt: base, LastActivityAt: ago(10 * day)}},
			{Contact: &model.Contact{ID: "early", CreatedAt: base, LastActivityAt: ago(10 * day)}, NextEvalAt: now.Add(time.Hour).UnixMilli()},
			{Contact: &model.Contact{ID: "late", CreatedAt: base, LastActivityAt: ago(10 * day)}, NextEvalAt: now.Add(40 * day).UnixMilli()},
			{Contact: &model.Contact{ID: "idle", CreatedAt: base}},
			{Contact: &model.Contact{ID: "reader", CreatedAt: base, LastActivityAt: ago(40 * day)}},
		} {
			noErr(t, tx.SaveContact(r))
		}
		for i, ev := range []struct {
			at       time.Duration
			campaign string
		}{{70 * day, "spring"}, {50 * day, "summer"}, {5 * day, "Spring"}, {2 * day, "spring"}} {
			noErr(t, tx.InsertEvent(event(fmt.Sprintf("open-%d", i), "reader", "email_opened", now.Add(-ev.at),
				map[string]any{"campaign": ev.campaign}), "reader", now))
		}

		noErr(t, tx.ScheduleBoundaries(inactive, now))
		noErr(t, tx.ScheduleBoundaries(opens, now))
		noErr(t, tx.ScheduleBoundaries(parseContactFilter(t, `{"field":"score","op":"gt","value":1}`), now))
		// An attribute's time may have no SQL form (the caller then makes
		// all due); if it has, nobody here holds that attribute.
		attr := parseContactFilter(t, `{"field":"attributes.signup","op":"older_than","value":"1d"}`)
		if err := tx.ScheduleBoundaries(attr, now); err != nil && !errors.Is(err, store.ErrNoSQL) {
			t.Errorf("ScheduleBoundaries on an attribute's time: %v, want nil or store.ErrNoSQL", err)
		}

		inactiveAt := now.Add(20*day + time.Millisecond) // 10 days ago + 30 days + 1 ms
		readerAt := now.Add(55*day + time.Millisecond)   // the oldest spring open in the window, 5 days ago
		for id, want := range map[string]time.Time{"fresh": inactiveAt, "early": now.Add(time.Hour), "late": inactiveAt,
			"idle": {}, "reader": readerAt} {
			checkNextPass(t, tx, id, want)
		}
	})
	inactiveAt := now.Add(20*day + time.Millisecond)
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		{now, []string{}},
		{now.Add(time.Hour), []string{"early"}},
		{inactiveAt.Add(-time.Millisecond), []string{"early"}},
		{inactiveAt, []string{"early", "fresh", "late"}},
		{now.Add(55*day + time.Millisecond), []string{"early", "fresh", "late", "reader"}},
		{now.Add(1000 * day), []string{"early", "fresh", "late", "reader"}},
	} {
		due := must[[]string](t)(s.DueContacts(ctx, tc.at, 100))
		deepEqual(t, "due at "+tc.at.Format(time.RFC3339Nano), sortedCopy(due), tc.want)
	}
	due := must[[]string](t)(s.DueContacts(ctx, inactiveAt, 1))
	deepEqual(t, "the earliest due first", due, []string{"early"})

	inTx(t, s, func(tx store.Tx) { noErr(t, tx.DueAll(now)) })
	due = must[[]string](t)(s.DueContacts(ctx, now, 100))
	deepEqual(t, "DueAll makes everyone due", sortedCopy(due), []string{"early", "fresh", "idle", "late", "reader"})
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}
