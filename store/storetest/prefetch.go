package storetest

import (
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/store"
)

// testPrefetch: PrefetchContacts is a hint. Loads after it answer as
// without it: stored contacts as stored, missing ones as nil, a contact
// the batch wrote since as written, entries counted with the contact.
func testPrefetch(t *testing.T, s store.Store) {
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: fullContact("p1")}))
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: fullContact("p2")}))
		noErr(t, tx.RecordEntry("flow-a", "p1", base))
	})
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.PrefetchContacts([]string{"p1", "missing", "p2", "p1", ""}))
		noErr(t, tx.PrefetchContacts([]string{"p1"})) // again: harmless
		r := must[*store.ContactRecord](t)(tx.LoadContact("p1"))
		if r == nil {
			t.Fatal("LoadContact(p1) after prefetch = nil")
		}
		sameContact(t, "prefetched p1", r.Contact, fullContact("p1"))
		if r := must[*store.ContactRecord](t)(tx.LoadContact("missing")); r != nil {
			t.Errorf("LoadContact(missing) after prefetch = %+v, want nil", r)
		}
		if n := must[int](t)(tx.CountEntries("flow-a", "p1", time.Time{})); n != 1 {
			t.Errorf("CountEntries(p1) after prefetch = %d, want 1", n)
		}
		noErr(t, tx.RecordEntry("flow-a", "p1", base.Add(time.Minute)))
		if n := must[int](t)(tx.CountEntries("flow-a", "p1", time.Time{})); n != 2 {
			t.Errorf("CountEntries(p1) with the batch's own = %d, want 2", n)
		}

		changed := fullContact("p2")
		changed.Score, changed.Grade = 1234, "hot"
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: changed}))
		r = must[*store.ContactRecord](t)(tx.LoadContact("p2"))
		sameContact(t, "p2 written after the prefetch", r.Contact, changed)

		// A contact the batch creates after prefetching it as missing.
		noErr(t, tx.SaveContact(&store.ContactRecord{Contact: fullContact("missing")}))
		r = must[*store.ContactRecord](t)(tx.LoadContact("missing"))
		if r == nil {
			t.Fatal("LoadContact(missing) after saving it = nil")
		}
	})
}
