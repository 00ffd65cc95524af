package storetest

import (
	"testing"

	"github.com/scoreflow/scoreflow/store"
)

// testMergeRelays: a relay is kept once under its id (a repeat from another
// cause changes nothing) and listed by the events that caused it; the
// target of a merge is the live contact an id names, through an alias,
// and nobody for an id without a contact.
func testMergeRelays(t *testing.T, s store.Store) {
	relays := func(tx store.Tx) store.MergeRelayTx {
		rtx, ok := tx.(store.MergeRelayTx)
		if !ok {
			t.Fatalf("%T does not implement store.MergeRelayTx", tx)
		}
		return rtx
	}
	inTx(t, s, func(tx store.Tx) {
		r := relays(tx)
		noErr(t, r.AddMergeRelay(store.MergeRelay{ID: "merge-out/x/y", Cause: "ev-1", Event: []byte(`{"id":"merge-out/x/y"}`)}, base))
		noErr(t, r.AddMergeRelay(store.MergeRelay{ID: "merge-out/z/y", Cause: "ev-1", Event: []byte(`{"id":"merge-out/z/y"}`)}, base))
		noErr(t, r.AddMergeRelay(store.MergeRelay{ID: "merge-out/x/y", Cause: "ev-2", Event: []byte(`{"other":true}`)}, base))
		noErr(t, r.AddMergeRelay(store.MergeRelay{ID: "merge-in/x/y", Cause: "merge-out/x/y", Event: []byte(`{"id":"merge-in/x/y"}`)}, base))
		// Seen in the transaction that wrote them.
		if got := must[[]store.MergeRelay](t)(r.MergeRelays([]string{"ev-1"})); len(got) != 2 {
			t.Errorf("relays of ev-1 in its transaction: %+v", got)
		}
		for _, id := range []string{"m-live", "m-survivor"} {
			noErr(t, tx.SaveContact(&store.ContactRecord{Contact: fullContact(id)}))
		}
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: fullContact("m-old")}))
		noErr(t, tx.MoveContact("m-old", "m-survivor", base))
	})
	inTx(t, s, func(tx store.Tx) {
		r := relays(tx)
		deepEqual(t, "relays of ev-1", must[[]store.MergeRelay](t)(r.MergeRelays([]string{"ev-1"})), []store.MergeRelay{
			{ID: "merge-out/x/y", Cause: "ev-1", Event: []byte(`{"id":"merge-out/x/y"}`)},
			{ID: "merge-out/z/y", Cause: "ev-1", Event: []byte(`{"id":"merge-out/z/y"}`)},
		})
		deepEqual(t, "relays of ev-2 (a repeat id)", len(must[[]store.MergeRelay](t)(r.MergeRelays([]string{"ev-2"}))), 0)
		got := must[[]store.MergeRelay](t)(r.MergeRelays([]string{"ev-2", "merge-out/x/y", "none"}))
		deepEqual(t, "relays of several causes", len(got), 1)
		if len(got) == 1 {
			deepEqual(t, "the merge-in", got[0].ID, "merge-in/x/y")
		}
		deepEqual(t, "no causes", len(must[[]store.MergeRelay](t)(r.MergeRelays(nil))), 0)

		for _, c := range []struct{ from, into, want string }{
			{"m-live", "m-survivor", "m-survivor"},
			{"x", "m-live", "m-live"},
			{"x", "m-old", "m-survivor"}, // merged away: its survivor
			{"x", "nobody", ""},
			{"m-live", "", ""},
		} {
			deepEqual(t, "target of "+c.from+" into "+c.into, must[string](t)(r.MergeTarget(c.from, c.into)), c.want)
		}
	})
}
