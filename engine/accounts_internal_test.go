package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// TestKnownMax: the max after a batch's changes follows from the max
// before unless members at the old max left and none came at or above it;
// then the store must be asked.
func TestKnownMax(t *testing.T) {
	k := store.AccountDimension{Account: "acme", Dimension: "fit"}
	ch := func(value int64, n int) store.AccountValueChange {
		return store.AccountValueChange{AccountDimension: k, Value: value, N: n}
	}
	held := &model.Account{Contacts: 3, Scores: map[string]int64{"fit": 9}}
	for _, tc := range []struct {
		name    string
		before  *model.Account
		changes []store.AccountValueChange
		want    int64
		known   bool
	}{
		{"an empty multiset: the largest added", &model.Account{}, []store.AccountValueChange{ch(-4, 1), ch(-2, 2)}, -2, true},
		{"an empty multiset losing members is not empty", &model.Account{}, []store.AccountValueChange{ch(1, -1), ch(3, 1)}, 0, false},
		{"a value above the max", held, []store.AccountValueChange{ch(9, -1), ch(12, 1)}, 12, true},
		{"a value at the max", held, []store.AccountValueChange{ch(9, 1)}, 9, true},
		{"below the max only", held, []store.AccountValueChange{ch(2, -1), ch(5, 1)}, 9, true},
		{"the max lost a member", held, []store.AccountValueChange{ch(5, 1), ch(9, -1)}, 0, false},
		{"no max before for the dimension", &model.Account{Contacts: 2, Scores: map[string]int64{}}, []store.AccountValueChange{ch(1, 1)}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, known := knownMax(tc.before, "fit", tc.changes)
			assert.Equal(t, tc.known, known)
			if tc.known {
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

// TestSandboxSaveAccountScores: the replay's store writes scores and keeps
// the traits, and an account it answered empty for update (as
// PostgreSQL's empty row) is written with those empty traits.
func TestSandboxSaveAccountScores(t *testing.T) {
	tx := &memTx{}
	assert.NoError(t, tx.SaveAccounts([]*model.Account{{ID: "acme", Name: "Acme", Attributes: map[string]any{"plan": "pro"}}}))
	got, err := tx.LoadAccounts([]string{"acme", "fresh"}, true)
	assert.NoError(t, err)
	for _, a := range got {
		a.Name, a.Attributes = "not written", map[string]any{"not": "written"}
		a.Sums, a.Scores, a.Score, a.Contacts = map[string]int64{"fit": 4}, map[string]int64{"fit": 4}, 4, 1
	}
	assert.NoError(t, tx.SaveAccountScores([]*model.Account{got["acme"], got["fresh"]}))
	after, err := tx.LoadAccounts([]string{"acme", "fresh"}, false)
	assert.NoError(t, err)
	if assert.Len(t, after, 2) {
		assert.Equal(t, "Acme", after["acme"].Name)
		assert.Equal(t, map[string]any{"plan": "pro"}, after["acme"].Attributes)
		assert.Equal(t, "", after["fresh"].Name)
		assert.Equal(t, map[string]any{}, after["fresh"].Attributes)
		for _, a := range after {
			assert.Equal(t, int64(4), a.Score)
			assert.Equal(t, int64(4), a.Scores["fit"])
			assert.Equal(t, int64(1), a.Contacts)
		}
	}
}
