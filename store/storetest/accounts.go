package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// testAccounts: account rows round-trip through a batch, the max multiset
// answers its max after adds and removals (and drops emptied values), the
// list pages by score with a search, the member list pages by score, and
// members are made due for the time pass.
func testAccounts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	acme := &model.Account{ID: "acme", Name: "Acme Inc", Attributes: map[string]any{"plan": "pro"},
		Sums: map[string]int64{"engagement": 30, "fit": 0}, Scores: map[string]int64{"engagement": 30, "fit": 9}, Score: 39,
		Grade: "warm", Contacts: 2, CreatedAt: base, UpdatedAt: base}
	globex := &model.Account{ID: "globex", Name: "Globex", Score: 80, Grade: "hot", Contacts: 1, CreatedAt: base, UpdatedAt: base}
	initech := &model.Account{ID: "initech", Name: "Initech", Score: 5, Contacts: 0, CreatedAt: base, UpdatedAt: base}
	dim := store.AccountDimension{Account: "acme", Dimension: "fit"}
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.SaveAccounts([]*model.Account{acme, globex, initech}))
		for _, c := range []struct {
			id, account string
			score       int64
		}{{"ana", "acme", 20}, {"bo", "acme", 10}, {"cy", "globex", 80}, {"dee", "", 50}} {
			noErr(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: c.id, Score: c.score, AccountID: c.account, CreatedAt: base}}))
		}
		got, err := tx.LoadAccounts([]string{"acme", "nobody"}, false)
		noErr(t, err)
		if len(got) != 1 || got["acme"] == nil {
			t.Fatalf("LoadAccounts = %v, want acme only", got)
		}
		a := got["acme"]
		if a.Name != "Acme Inc" || a.Attributes["plan"] != "pro" || a.Sums["engagement"] != 30 || a.Scores["fit"] != 9 ||
			a.Score != 39 || a.Grade != "warm" || a.Contacts != 2 || !a.CreatedAt.Equal(base) {
			t.Errorf("acme read back as %+v", a)
		}
		noErr(t, tx.AddAccountValues([]store.AccountValueChange{{AccountDimension: dim, Value: 4, N: 1}, {AccountDimension: dim, Value: 9, N: 1}}))
		maxOf := func(want int64, why string) {
			t.Helper()
			got, err := tx.MaxAccountValues([]store.AccountDimension{dim, {Account: "acme", Dimension: "none"}})
			noErr(t, err)
			if got[dim] != want || got[store.AccountDimension{Account: "acme", Dimension: "none"}] != 0 {
				t.Errorf("%s: max = %v, want %d (and 0 for an empty multiset)", why, got, want)
			}
		}
		maxOf(9, "after adding 4 and 9")
		noErr(t, tx.AddAccountValues([]store.AccountValueChange{{AccountDimension: dim, Value: 9, N: 1}}))
		noErr(t, tx.AddAccountValues([]store.AccountValueChange{{AccountDimension: dim, Value: 9, N: -1}}))
		maxOf(9, "one of two members at 9 left")
		noErr(t, tx.AddAccountValues([]store.AccountValueChange{{AccountDimension: dim, Value: 9, N: -1}}))
		maxOf(4, "the last member at 9 left: the value is gone")
		noErr(t, tx.AddAccountValues([]store.AccountValueChange{{AccountDimension: dim, Value: -3, N: 2}, {AccountDimension: dim, Value: 4, N: -1}}))
		maxOf(-3, "negative values")
		noErr(t, tx.DueAccountMembers("acme", base))
		for id, want := range map[string]int64{"ana": base.UnixMilli(), "bo": base.UnixMilli(), "cy": 0, "dee": 0} {
			r, err := tx.LoadContact(id)
			noErr(t, err)
			if r.NextEvalAt != want || (id == "ana" && r.Contact.AccountID != "acme") {
				t.Errorf("%s: next_eval_at %d account %q, want %d", id, r.NextEvalAt, r.Contact.AccountID, want)
			}
		}
	})

	// For update, an absent account is missing or empty, never more (a
	// batch that locks it writes it; this one rolls back).
	tx, err := s.Begin(ctx)
	noErr(t, err)
	locked, err := tx.LoadAccounts([]string{"acme", "fresh"}, true)
	noErr(t, err)
	if n := locked["fresh"]; locked["acme"] == nil || locked["acme"].Contacts != 2 || (n != nil && (n.Contacts != 0 || n.Score != 0 || n.Name != "")) {
		t.Fatalf("LoadAccounts for update = %v", locked)
	}
	noErr(t, tx.Rollback())

	// SaveAccountScores writes what members move and keeps the traits; an
	// account no row holds is an error.
	inTx(t, s, func(tx store.Tx) {
		moved := *globex
		moved.Name, moved.Attributes, moved.CreatedAt = "not written", map[string]any{"not": "written"}, base.Add(time.Hour)
		moved.Sums, moved.Scores = map[string]int64{"engagement": 70, "fit": 0}, map[string]int64{"engagement": 70, "fit": 12}
		moved.Score, moved.Grade, moved.Contacts, moved.UpdatedAt = 82, "hotter", 3, base.Add(time.Minute)
		noErr(t, tx.SaveAccountScores([]*model.Account{&moved}))
		got, err := tx.LoadAccounts([]string{"globex"}, false)
		noErr(t, err)
		g := got["globex"]
		if g == nil || g.Name != "Globex" || len(g.Attributes) != 0 || !g.CreatedAt.Equal(base) || g.Sums["engagement"] != 70 ||
			g.Scores["fit"] != 12 || g.Score != 82 || g.Grade != "hotter" || g.Contacts != 3 || !g.UpdatedAt.Equal(base.Add(time.Minute)) {
			t.Errorf("globex after SaveAccountScores: %+v", g)
		}
		moved.Sums, moved.Scores, moved.Score, moved.Grade, moved.Contacts, moved.UpdatedAt = nil, nil, 80, "hot", 1, base
		noErr(t, tx.SaveAccountScores([]*model.Account{&moved})) // back as it was, for the list below
	})
	tx, err = s.Begin(ctx)
	noErr(t, err)
	if err := tx.SaveAccountScores([]*model.Account{{ID: "nobody", UpdatedAt: base}}); err == nil {
		t.Errorf("SaveAccountScores of an account no row holds: no error")
	}
	noErr(t, tx.Rollback())

	got, err := s.GetAccount(ctx, "acme")
	noErr(t, err)
	if got.Name != "Acme Inc" || got.Contacts != 2 {
		t.Errorf("GetAccount = %+v", got)
	}
	_, err = s.GetAccount(ctx, "nobody")
	wantErrIs(t, err, model.ErrNotFound)

	ids := func(list []*model.Account) []string {
		out := []string{}
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	page, next, err := s.ListAccounts(ctx, store.AccountQuery{Limit: 2})
	noErr(t, err)
	if got := ids(page); !equalStrings(got, []string{"globex", "acme"}) || next == "" {
		t.Fatalf("first page %v next %q", got, next)
	}
	page, next, err = s.ListAccounts(ctx, store.AccountQuery{Limit: 2, Cursor: next})
	noErr(t, err)
	if got := ids(page); !equalStrings(got, []string{"initech"}) || next != "" {
		t.Errorf("second page %v next %q", got, next)
	}
	page, _, err = s.ListAccounts(ctx, store.AccountQuery{Limit: 10, Ascend: true})
	noErr(t, err)
	if got := ids(page); !equalStrings(got, []string{"initech", "acme", "globex"}) {
		t.Errorf("ascending %v", got)
	}
	page, _, err = s.ListAccounts(ctx, store.AccountQuery{Limit: 10, Query: "ACME i"})
	noErr(t, err)
	if got := ids(page); !equalStrings(got, []string{"acme"}) {
		t.Errorf("search by name, ignoring case: %v", got)
	}
	_, _, err = s.ListAccounts(ctx, store.AccountQuery{Cursor: "garbage"})
	var inv *model.InvalidError
	if !errors.As(err, &inv) {
		t.Errorf("a bad cursor: %v, want an invalid-input error", err)
	}

	members, next, err := s.AccountContacts(ctx, "acme", 1, "")
	noErr(t, err)
	if len(members) != 1 || members[0].ID != "ana" || next == "" {
		t.Fatalf("first member page %v next %q", members, next)
	}
	members, next, err = s.AccountContacts(ctx, "acme", 1, next)
	noErr(t, err)
	if len(members) != 1 || members[0].ID != "bo" || next != "" {
		t.Errorf("second member page %v next %q", members, next)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
