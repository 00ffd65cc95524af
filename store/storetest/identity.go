package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// testIdentity: MoveContact hands a contact's rows to its survivor
// (events stay applied, entries count for the survivor in the same batch
// and after), drops what the survivor recomputes, and leaves an alias that
// resolves forever, through chains; AddAlias keeps an id's first survivor.
func testIdentity(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	inTx(t, s, func(tx store.Tx) {
		for _, id := range []string{"m-a", "m-b", "m-c"} {
			noErr(t, tx.SaveContact(&store.ContactRecord{Contact: fullContact(id)}))
		}
		for i, id := range []string{"ev-a1", "ev-a2"} {
			noErr(t, tx.InsertEvent(&model.Event{ID: id, Type: "Hit", ContactID: "m-a", Timestamp: base.Add(time.Duration(i) * time.Second)}, "m-a", base))
		}
		noErr(t, tx.InsertLedger(&model.LedgerEntry{ContactID: "m-a", At: base, Score: "engagement", Delta: 5, Value: 5, Reason: "test"}))
		noErr(t, tx.RecordEntry("once-flow", "m-a", base))
		noErr(t, tx.ParkRun(store.WaitingRun{FlowID: "f", FlowVersion: 1, ContactID: "m-a", NodeID: "w", Event: []byte(`{}`), WakeAt: base, CreatedAt: base}))
		noErr(t, tx.SetMembership("seg", "m-a", true, base))
		noErr(t, tx.MarkDecayed("m-a", "engagement", base))
		noErr(t, tx.MarkAnonymous("m-a"))
	})
	inTx(t, s, func(tx store.Tx) {
		if anon := must[bool](t)(tx.IsAnonymous("m-a")); !anon {
			t.Error("IsAnonymous(m-a) = false after MarkAnonymous")
		}
		if n := must[int](t)(tx.CountEntries("once-flow", "m-b", time.Time{})); n != 0 {
			t.Errorf("entries of m-b before the merge = %d, want 0", n)
		}
		noErr(t, tx.MoveContact("m-a", "m-b", base.Add(time.Hour)))
		if n := must[int](t)(tx.CountEntries("once-flow", "m-b", time.Time{})); n != 1 {
			t.Errorf("entries of m-b in the merging batch = %d, want 1", n)
		}
		if r := must[*store.ContactRecord](t)(tx.LoadContact("m-a")); r != nil {
			t.Errorf("LoadContact(m-a) after its merge = %+v, want nil", r.Contact)
		}
		if into := must[string](t)(tx.ResolveAlias("m-a")); into != "m-b" {
			t.Errorf("ResolveAlias(m-a) = %q, want m-b", into)
		}
		if into := must[string](t)(tx.ResolveAlias("m-b")); into != "" {
			t.Errorf("ResolveAlias(m-b) = %q, want none", into)
		}
		if anon := must[bool](t)(tx.IsAnonymous("m-a")); anon {
			t.Error("IsAnonymous(m-a) after the merge = true")
		}
		// Repeating the move finds nothing left to move.
		noErr(t, tx.MoveContact("m-a", "m-b", base.Add(time.Hour)))
	})
	inTx(t, s, func(tx store.Tx) {
		if n := must[int](t)(tx.CountEntries("once-flow", "m-b", time.Time{})); n != 1 {
			t.Errorf("entries of m-b after the merge = %d, want 1", n)
		}
		if d := must[time.Time](t)(tx.DecayedAt("m-a", "engagement")); !d.IsZero() {
			t.Errorf("decay mark of merged m-a = %v, want none", d)
		}
	})
	if tl := must[[]model.Event](t)(s.Timeline(ctx, "m-b", 10)); len(tl) != 2 {
		t.Errorf("timeline of m-b = %d events, want m-a's 2", len(tl))
	}
	if ok := must[bool](t)(s.EventApplied(ctx, "ev-a1")); !ok {
		t.Error("a moved event is no longer applied: a redelivery would apply it twice")
	}
	if h := must[[]model.LedgerEntry](t)(s.History(ctx, "m-b", 10)); len(h) != 1 || h[0].Delta != 5 {
		t.Errorf("history of m-b = %+v, want m-a's row", h)
	}
	members, _, err := s.SegmentMembers(ctx, "seg", 10, "")
	noErr(t, err)
	if len(members) != 0 {
		t.Errorf("segment members after the merge = %d, want none (the survivor is evaluated again)", len(members))
	}
	runs := must[[]store.WaitingRun](t)(s.DueRuns(ctx, base.Add(time.Minute), 10))
	if len(runs) != 1 || runs[0].ContactID != "m-b" {
		t.Errorf("parked runs after the merge = %+v, want one of m-b", runs)
	}

	// A chain: m-b into m-c re-points m-a; an id claimed before it exists.
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.MoveContact("m-b", "m-c", base.Add(2*time.Hour)))
		noErr(t, tx.AddAlias("anon-x", "m-c", base))
		noErr(t, tx.AddAlias("anon-x", "m-b", base)) // claimed already: kept
	})
	for id, want := range map[string]string{"m-a": "m-c", "m-b": "m-c", "anon-x": "m-c", "m-c": "m-c", "nobody": "nobody"} {
		if got := must[string](t)(s.ResolveContact(ctx, id)); got != want {
			t.Errorf("ResolveContact(%s) = %q, want %q", id, got, want)
		}
	}
	if from := must[[]string](t)(s.MergedFrom(ctx, "m-c")); !reflect.DeepEqual(from, []string{"anon-x", "m-a", "m-b"}) {
		t.Errorf("MergedFrom(m-c) = %v", from)
	}
	if from := must[[]string](t)(s.MergedFrom(ctx, "m-b")); len(from) != 0 {
		t.Errorf("MergedFrom(m-b) = %v, want none (it merged on)", from)
	}

	// Deleting the survivor forgets the ids that named it.
	inTx(t, s, func(tx store.Tx) {
		if found := must[bool](t)(tx.DeleteContact("m-c")); !found {
			t.Fatal("DeleteContact(m-c) found nothing")
		}
		noErr(t, tx.ForgetContact("m-c"))
	})
	if got := must[string](t)(s.ResolveContact(ctx, "m-a")); got != "m-a" {
		t.Errorf("ResolveContact(m-a) after its survivor was deleted = %q, want itself", got)
	}
}
