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
