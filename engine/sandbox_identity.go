package engine

import (
	"container/heap"
	"slices"
	"time"

	"github.com/scoreflow/scoreflow/store"
)

// The sandbox's part of store.IdentityTx: a replay merges contacts exactly
// as the live engine does (engine/merge.go runs unchanged), so a draft is
// judged on the same contacts the live model scores.

var _ store.IdentityTx = (*memTx)(nil)

func (t *memTx) ResolveAlias(id string) (string, error) { return t.aliases[id], nil }

// AddAlias keeps the alias map flat, as the stores do: every id that
// resolved to id now resolves to into, so a chain stays one lookup.
func (t *memTx) AddAlias(id, into string, _ time.Time) error {
	if t.aliases == nil {
		t.aliases = map[string]string{}
	}
	if _, merged := t.aliases[id]; merged {
		return nil
	}
	for old, to := range t.aliases {
		if to == id {
			t.aliases[old] = into
		}
	}
	t.aliases[id] = into
	return nil
}

func (t *memTx) MarkAnonymous(id string) error {
	if t.anonymous == nil {
		t.anonymous = map[string]bool{}
	}
	t.anonymous[id] = true
	return nil
}

func (t *memTx) IsAnonymous(id string) (bool, error) { return t.anonymous[id], nil }

func (t *memTx) ForgetContact(id string) error {
	for old, to := range t.aliases {
		if to == id {
			delete(t.aliases, old)
		}
	}
	delete(t.anonymous, id)
	return nil
}

// MoveContact hands from's events, score rows, history, entries and parked
// runs to into and drops from's row, decay marks and anonymous mark, as
// the stores' MoveContact does; into's row is the engine's to write.
func (t *memTx) MoveContact(from, into string, at time.Time) error {
	if byType := t.events[from]; byType != nil {
		dst := t.events[into]
		if dst == nil {
			dst = map[string][]memEvent{}
			t.events[into] = dst
		}
		for typ, list := range byType {
			merged := append(dst[typ], list...)
			slices.SortStableFunc(merged, func(a, b memEvent) int { return a.ts.Compare(b.ts) })
			dst[typ] = merged
		}
		delete(t.events, from)
	}
	if rows := t.scoreRows[from]; rows != nil {
		t.scoreRows[into] = append(t.scoreRows[into], rows...)
		delete(t.scoreRows, from)
	}
	if t.keepHistory {
		if rows := t.history[from]; rows != nil {
			for i := range rows {
				rows[i].ContactID = into
			}
			t.history[into] = append(t.history[into], rows...)
			delete(t.history, from)
		}
	}
	for k, ats := range t.entries {
		if k.contact != from {
			continue
		}
		to := entryKey{k.flow, into}
		t.entries[to] = append(t.entries[to], ats...)
		slices.SortFunc(t.entries[to], time.Time.Compare)
		delete(t.entries, k)
	}
	moved := false
	for id, r := range t.parked {
		if r.ContactID == from {
			r.ContactID = into
			t.parked[id] = r
			moved = true
		}
	}
	if moved { // the heap holds copies: rebuild it from the parked runs
		t.runs = t.runs[:0]
		for _, r := range t.parked {
			t.runs = append(t.runs, r)
		}
		heap.Init(&t.runs)
	}
	for k := range t.decayed {
		if k.contact == from {
			delete(t.decayed, k)
		}
	}
	if _, err := t.DeleteContact(from); err != nil {
		return err
	}
	delete(t.anonymous, from)
	return t.AddAlias(from, into, at)
}
