package storetest

import (
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// testContactSaveEachColumn changes one column of a loaded contact at a
// time and saves it: whatever a backend does to write less (SQLite leaves
// unchanged indexed columns out of its UPDATE), every change is stored and
// nothing else moves. Each case saves twice in one transaction, so the
// second save starts from what the first one wrote.
func testContactSaveEachColumn(t *testing.T, s store.Store) {
	later := base.Add(7 * time.Hour)
	cases := []struct {
		name   string
		change func(r *store.ContactRecord)
	}{
		{"nothing", func(*store.ContactRecord) {}},
		{"score and scores", func(r *store.ContactRecord) {
			r.Contact.Score, r.Contact.Scores["engagement"], r.Scores = 40, 29, ""
		}},
		{"grade", func(r *store.ContactRecord) { r.Contact.Grade = "hot" }},
		{"deal stage", func(r *store.ContactRecord) { r.Contact.DealStage = "sql" }},
		{"disqualify reason", func(r *store.ContactRecord) {
			r.Contact.Disqualified = &model.Disqualification{At: r.Contact.Disqualified.At, Reason: "spam"}
		}},
		{"disqualified at", func(r *store.ContactRecord) {
			r.Contact.Disqualified = &model.Disqualification{At: later, Reason: "competitor"}
		}},
		{"requalified", func(r *store.ContactRecord) { r.Contact.Disqualified = nil }},
		{"last activity", func(r *store.ContactRecord) { r.Contact.LastActivityAt = &later }},
		{"no last activity", func(r *store.ContactRecord) { r.Contact.LastActivityAt = nil }},
		{"email", func(r *store.ContactRecord) { r.Contact.Email = "other@acme.test" }},
		{"no email", func(r *store.ContactRecord) { r.Contact.Email = "" }},
		{"account", func(r *store.ContactRecord) { r.Contact.AccountID = "globex" }},
		{"next eval", func(r *store.ContactRecord) { r.NextEvalAt = later.UnixMilli() }},
		{"no next eval", func(r *store.ContactRecord) { r.NextEvalAt = 0 }},
		{"attributes", func(r *store.ContactRecord) {
			r.Contact.Attributes = map[string]any{"plan": "pro"}
			r.Attributes = ""
		}},
		{"tags and segments", func(r *store.ContactRecord) {
			r.Contact.Tags, r.Tags = []string{"vip"}, ""
			r.Contact.Segments, r.Segments = []string{"hot-leads"}, ""
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := "col-" + string(rune('a'+i))
			first := fullContact(id)
			first.AccountID = "acme"
			inTx(t, s, func(tx store.Tx) {
				noErr(t, tx.SaveContact(&store.ContactRecord{Contact: first, NextEvalAt: base.Add(time.Hour).UnixMilli()}))
			})
			var want *store.ContactRecord
			inTx(t, s, func(tx store.Tx) {
				r := must[*store.ContactRecord](t)(tx.LoadContact(id))
				tc.change(r)
				noErr(t, tx.SaveContact(r))
				// A second change on top of the first, in the same batch.
				r.Contact.Score, r.Contact.Grade = r.Contact.Score+1, "second"
				later2 := later.Add(time.Minute)
				r.Contact.LastActivityAt = &later2
				noErr(t, tx.SaveContact(r))
				want = r
			})
			inTx(t, s, func(tx store.Tx) {
				got := must[*store.ContactRecord](t)(tx.LoadContact(id))
				if g, w := got.Columns(), want.Columns(); g != w {
					t.Errorf("stored columns\n got %+v\nwant %+v", g, w)
				}
				sameJSON(t, "attributes", got.Attributes, jsonOf(t, want.Contact.Attributes))
				sameJSON(t, "scores", got.Scores, jsonOf(t, want.Contact.Scores))
				sameJSON(t, "tags", got.Tags, jsonOf(t, want.Contact.Tags))
				sameJSON(t, "segments", got.Segments, jsonOf(t, want.Contact.Segments))

				// A touch of the loaded record moves only what a touch writes.
				touched := later.Add(time.Hour)
				got.Contact.LastActivityAt = &touched
				got.Contact.Score = 5000
				noErr(t, tx.TouchContact(got))
			})
			inTx(t, s, func(tx store.Tx) {
				got := must[*store.ContactRecord](t)(tx.LoadContact(id))
				w := want.Columns()
				w.HasLastActivity, w.LastActivityAt = true, later.Add(time.Hour).UnixMilli()
				if g := got.Columns(); g != w {
					t.Errorf("after the touch\n got %+v\nwant %+v", g, w)
				}
			})
		})
	}
}
