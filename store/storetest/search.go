package storetest

import (
	"testing"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

func testEventApplied(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if got := must[bool](t)(s.EventApplied(ctx, "e1")); got {
		t.Fatal("EventApplied(e1) before it was inserted = true")
	}
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.InsertEvent(&model.Event{ID: "e1", Type: "Demo", Timestamp: base}, "c1", base))
	})
	if got := must[bool](t)(s.EventApplied(ctx, "e1")); !got {
		t.Error("EventApplied(e1) after commit = false")
	}
	if got := must[bool](t)(s.EventApplied(ctx, "E1")); got {
		t.Error("EventApplied is exact: E1 is another id")
	}
	// A rolled-back insert was never applied.
	tx, err := s.Begin(ctx)
	noErr(t, err)
	noErr(t, tx.InsertEvent(&model.Event{ID: "e2", Type: "Demo", Timestamp: base}, "c1", base))
	noErr(t, tx.Rollback())
	if got := must[bool](t)(s.EventApplied(ctx, "e2")); got {
		t.Error("EventApplied(e2) after rollback = true")
	}
}

// testContactSearch: q matches id, email and decoded attribute values
// at any depth, ignoring case (Unicode too); never attribute names, JSON
// escapes or quotes.
func testContactSearch(t *testing.T, s store.Store) {
	saveContacts(t, s,
		&model.Contact{ID: "amp", Score: 9, Attributes: map[string]any{"company": "Smith & Sons <Ltd>"}},
		&model.Contact{ID: "quote", Score: 8, Attributes: map[string]any{"motto": `say "hi"`}},
		&model.Contact{ID: "zurich", Score: 7, Attributes: map[string]any{"address": map[string]any{"city": "ZÜRICH"}}},
		&model.Contact{ID: "names", Score: 6, Attributes: map[string]any{"job_title": "Engineer", "tags": []any{"Ops", "Dev"}}},
		&model.Contact{ID: "numbers", Score: 5, Attributes: map[string]any{"company_size": 4242, "ratio": 0.75, "active": true, "gone": nil}},
		&model.Contact{ID: "Straße-1", Score: 4, Email: "Max@Straße.test"},
	)
	for _, c := range []struct {
		name, q string
		want    []string
	}{
		{"ampersand, escaped as \\u0026 in JSON", "& sons", []string{"amp"}},
		{"angle brackets, escaped in JSON", "<ltd>", []string{"amp"}},
		{"the escape itself is not text", `u0026`, []string{}},
		{"a quote inside a value", `"hi"`, []string{"quote"}},
		{"quote and name of the JSON encoding", `":"`, []string{}},
		{"an attribute name is not a value", "job_title", []string{}},
		{"another name", "motto", []string{}},
		{"value, case-insensitive", "ENGINEER", []string{"names"}},
		{"array element", "ops", []string{"names"}},
		{"nested, Unicode case folding", "zürich", []string{"zurich"}},
		{"nested, Unicode upper-case needle", "ZÜR", []string{"zurich"}},
		{"integer value", "4242", []string{"numbers"}},
		{"real value", "0.75", []string{"numbers"}},
		{"booleans are not text", "true", []string{}},
		{"null is not text", "null", []string{}},
		{"id and email with non-ASCII", "STRASSE", []string{}},
		{"email, Unicode folding", "@straße", []string{"Straße-1"}},
		{"id, Unicode folding", "STRAßE-1", []string{"Straße-1"}},
	} {
		got, _, err := s.ListContacts(ctxT(t), store.ContactQuery{Query: c.q})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		deepEqual(t, c.name, ids(got), c.want)
	}
}
