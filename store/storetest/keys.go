package storetest

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// testKeys: named keys round-trip with their hash, names are unique, every
// create and revoke bumps the keys generation and writes its audit entry
// (naming the key, never its hash), and last use only moves forward.
func testKeys(t *testing.T, s store.Store) {
	ctx := store.WithActor(ctxT(t), "boss")
	gen0 := must[int64](t)(s.KeysGeneration(ctx))
	bi := must[store.KeyRecord](t)(s.CreateKey(ctx, store.KeyRecord{ID: "k1", Name: "bi-tool", Scope: model.ScopeRead, Hash: strings.Repeat("ab", 32)}))
	if bi.CreatedAt.IsZero() || bi.LastUsedAt != nil {
		t.Errorf("CreateKey = %+v, want a creation time and no last use", bi)
	}
	must[store.KeyRecord](t)(s.CreateKey(ctx, store.KeyRecord{ID: "k2", Name: "segment", Scope: model.ScopeWrite, Hash: strings.Repeat("cd", 32)}))
	gen1 := must[int64](t)(s.KeysGeneration(ctx))
	if gen1 == gen0 {
		t.Errorf("keys generation %d did not change on create", gen1)
	}
	_, err := s.CreateKey(ctx, store.KeyRecord{ID: "k3", Name: "bi-tool", Scope: model.ScopeAdmin, Hash: strings.Repeat("ef", 32)})
	wantErrIs(t, err, model.ErrConflict)
	if g := must[int64](t)(s.KeysGeneration(ctx)); g != gen1 {
		t.Errorf("a refused create moved the generation %d → %d", gen1, g)
	}

	list := must[[]store.KeyRecord](t)(s.ListKeys(ctx))
	if len(list) != 2 || list[0].ID != "k1" || list[1].ID != "k2" {
		t.Fatalf("ListKeys = %+v, want k1, k2", list)
	}
	deepEqual(t, "listed bi-tool", list[0], bi)

	used := base.Add(time.Hour)
	noErr(t, s.TouchKeys(ctx, map[string]time.Time{"k1": used, "gone": used}))
	noErr(t, s.TouchKeys(ctx, map[string]time.Time{"k1": used.Add(-time.Minute)})) // never back
	list = must[[]store.KeyRecord](t)(s.ListKeys(ctx))
	if list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(used) || list[1].LastUsedAt != nil {
		t.Errorf("after TouchKeys: k1 last used %v, k2 %v; want %v and never", list[0].LastUsedAt, list[1].LastUsedAt, used)
	}

	revoked := must[store.KeyRecord](t)(s.RevokeKey(ctx, "k1"))
	if revoked.Name != "bi-tool" {
		t.Errorf("RevokeKey = %+v, want bi-tool", revoked)
	}
	_, err = s.RevokeKey(ctx, "k1")
	wantErrIs(t, err, model.ErrNotFound)
	if g := must[int64](t)(s.KeysGeneration(ctx)); g == gen1 {
		t.Errorf("keys generation %d did not change on revoke", g)
	}
	list = must[[]store.KeyRecord](t)(s.ListKeys(ctx))
	if len(list) != 1 || list[0].ID != "k2" {
		t.Errorf("after revoke ListKeys = %+v, want k2 only", list)
	}
	// The name is free again.
	must[store.KeyRecord](t)(s.CreateKey(ctx, store.KeyRecord{ID: "k4", Name: "bi-tool", Scope: model.ScopeRead, Hash: strings.Repeat("01", 32)}))

	entries, _ := must2(t)(s.Audit(ctx, 10, ""))
	got := auditLines(entries)
	want := []string{"boss key.create bi-tool -", "boss key.create segment -", "boss key.revoke bi-tool -", "boss key.create bi-tool -"}
	deepEqual(t, "audit of keys, newest first", got, reversed(want))
	for _, e := range entries {
		for _, h := range []string{"ab", "cd", "01"} {
			if strings.Contains(e.Target, strings.Repeat(h, 32)) {
				t.Errorf("audit entry %+v holds a key hash", e)
			}
		}
	}
}

// testAudit: every change of flows, segments and settings leaves one entry
// in its own transaction, with the actor and (for flows) the version; a
// refused change leaves none; the log pages newest first.
func testAudit(t *testing.T, s store.Store) {
	ctx := store.WithActor(ctxT(t), "alice")
	must[store.FlowRecord](t)(s.CreateFlow(ctx, store.FlowRecord{ID: "f1", Name: "One", Doc: doc("f1", 1)}))
	must[store.FlowRecord](t)(s.UpdateFlow(ctx, store.FlowRecord{ID: "f1", Name: "One", Doc: doc("f1", 2)}, 1))
	_, err := s.UpdateFlow(ctx, store.FlowRecord{ID: "f1", Name: "Stale", Doc: doc("f1", 3)}, 1)
	wantErrIs(t, err, model.ErrConflict)
	_, err = s.CreateFlow(ctx, store.FlowRecord{ID: "f1", Name: "Again", Doc: doc("f1", 4)})
	wantErrIs(t, err, model.ErrConflict)
	bob := store.WithActor(ctx, "bob")
	noErr(t, s.DeleteFlow(bob, "f1"))
	wantErrIs(t, s.DeleteFlow(bob, "f1"), model.ErrNotFound)

	seg := model.Segment{ID: "s1", Name: "S", Where: []byte(`{"field":"score","op":"gte","value":1}`)}
	must[model.Segment](t)(s.CreateSegment(ctx, seg))
	must[model.Segment](t)(s.UpdateSegment(ctx, seg))
	_, err = s.UpdateSegment(ctx, model.Segment{ID: "nope", Name: "N", Where: seg.Where})
	wantErrIs(t, err, model.ErrNotFound)
	noErr(t, s.DeleteSegment(ctx, "s1"))
	noErr(t, s.PutSettings(ctx, model.DefaultSettings()))
	// Without an actor (the examples loaded at start): an empty name.
	must[store.FlowRecord](t)(s.CreateFlow(ctxT(t), store.FlowRecord{ID: "f2", Name: "Two", Doc: doc("f2", 1)}))
	// Standalone entries, for features whose change is not a store method.
	noErr(t, s.RecordAudit(ctx, model.AuditEntry{Action: "contacts.import", Target: "people.csv"}))
	noErr(t, s.RecordAudit(ctx, model.AuditEntry{Action: "lab.apply", Target: "run-1", Key: "carol", At: base}))

	want := []string{
		"alice flow.create f1 1", "alice flow.update f1 2", "bob flow.delete f1 2",
		"alice segment.create s1 -", "alice segment.update s1 -", "alice segment.delete s1 -",
		"alice settings.update settings -", " flow.create f2 1", "alice contacts.import people.csv -", "carol lab.apply run-1 -",
	}
	all, next := must2(t)(s.Audit(ctx, 100, ""))
	deepEqual(t, "the whole log, newest first", auditLines(all), reversed(want))
	if next != "" {
		t.Errorf("a page holding everything has next cursor %q", next)
	}
	if !all[0].At.Equal(base) {
		t.Errorf("an entry given a time keeps it: %v, want %v", all[0].At, base)
	}
	for _, e := range all[1:] {
		if e.At.IsZero() || e.ID <= 0 {
			t.Errorf("entry %+v lacks a time or an id", e)
		}
	}

	// Pages of 3 meet the same entries in the same order, each once.
	var paged []model.AuditEntry
	cursor := ""
	for i := 0; ; i++ {
		page, next := must2(t)(s.Audit(ctx, 3, cursor))
		if len(page) > 3 || i > 10 {
			t.Fatalf("page %d has %d entries", i, len(page))
		}
		paged = append(paged, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	deepEqual(t, "paged log", paged, all)

	_, _, err = s.Audit(ctx, 3, "not-a-cursor")
	var inv *model.InvalidError
	if !errors.As(err, &inv) {
		t.Errorf("a malformed cursor: err = %v, want an InvalidError", err)
	}
}

// testAuditTx: an entry recorded in an engine batch commits or rolls back
// with it.
func testAuditTx(t *testing.T, s store.Store) {
	ctx := store.WithActor(ctxT(t), "merger")
	for _, commit := range []bool{false, true} {
		tx, err := s.Begin(ctx)
		noErr(t, err)
		atx, ok := tx.(store.AuditTx)
		if !ok {
			noErr(t, tx.Rollback())
			t.Fatalf("the backend's Tx (%T) does not implement store.AuditTx", tx)
		}
		target := map[bool]string{false: "rolled-back", true: "kept"}[commit]
		noErr(t, atx.RecordAudit(model.AuditEntry{Action: "contact.merge", Target: target}))
		if commit {
			noErr(t, tx.Commit())
		} else {
			noErr(t, tx.Rollback())
		}
	}
	entries, _ := must2(t)(s.Audit(ctx, 10, ""))
	deepEqual(t, "audit after a rolled-back and a committed batch", auditLines(entries), []string{"merger contact.merge kept -"})
}

func auditLines(entries []model.AuditEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		v := "-"
		if e.Version != nil {
			v = strconv.Itoa(*e.Version)
		}
		out[i] = e.Key + " " + e.Action + " " + e.Target + " " + v
	}
	return out
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func must2(t *testing.T) func(entries []model.AuditEntry, next string, err error) ([]model.AuditEntry, string) {
	return func(entries []model.AuditEntry, next string, err error) ([]model.AuditEntry, string) {
		t.Helper()
		noErr(t, err)
		return entries, next
	}
}
