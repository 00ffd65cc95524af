package engine

import (
	"maps"
	"slices"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// The sandbox's part of store.AccountTx: a replay keeps account scores as
// the live engine does (engine/accounts.go runs unchanged), so filters on
// account fields judge a draft as they would live.

var _ store.AccountTx = (*memTx)(nil)

// memAccounts is the accounts' state: rows, the max dimensions' multisets
// and each account's members (for DueAccountMembers).
type memAccounts struct {
	rows     map[string]*model.Account
	values   map[store.AccountDimension]map[int64]int
	members  map[string]map[string]bool // account → contact ids
	memberOf map[string]string          // contact → account
}

func (t *memTx) accountState() *memAccounts {
	if t.accts == nil {
		t.accts = &memAccounts{rows: map[string]*model.Account{}, values: map[store.AccountDimension]map[int64]int{},
			members: map[string]map[string]bool{}, memberOf: map[string]string{}}
	}
	return t.accts
}

// LoadAccounts answers copies, as a store would: the engine changes what it
// loads and writes it back with SaveAccounts.
func (t *memTx) LoadAccounts(ids []string, forUpdate bool) (map[string]*model.Account, error) {
	st := t.accountState()
	out := make(map[string]*model.Account, len(ids))
	for _, id := range ids {
		if a, ok := st.rows[id]; ok {
			out[id] = copyAccount(a)
		} else if forUpdate {
			out[id] = &model.Account{ID: id, Attributes: map[string]any{}, Sums: map[string]int64{}, Scores: map[string]int64{}}
		}
	}
	return out, nil
}

func copyAccount(a *model.Account) *model.Account {
	c := *a
	c.Attributes, c.Sums, c.Scores = maps.Clone(a.Attributes), maps.Clone(a.Sums), maps.Clone(a.Scores)
	return &c
}

func (t *memTx) SaveAccounts(accounts []*model.Account) error {
	st := t.accountState()
	for _, a := range accounts {
		st.rows[a.ID] = copyAccount(a)
	}
	return nil
}

func (t *memTx) SaveAccountScores(accounts []*model.Account) error {
	st := t.accountState()
	for _, a := range accounts {
		c := copyAccount(a)
		// LoadAccounts for update answers an absent account as an empty
		// one, as PostgreSQL's empty row: written here, it keeps those
		// empty traits.
		c.Name, c.Attributes = "", map[string]any{}
		if row, ok := st.rows[a.ID]; ok {
			c.Name, c.Attributes, c.CreatedAt = row.Name, row.Attributes, row.CreatedAt
		}
		st.rows[a.ID] = c
	}
	return nil
}

func (t *memTx) AddAccountValues(changes []store.AccountValueChange) error {
	st := t.accountState()
	for _, c := range changes {
		set := st.values[c.AccountDimension]
		if set == nil {
			set = map[int64]int{}
			st.values[c.AccountDimension] = set
		}
		if set[c.Value] += c.N; set[c.Value] <= 0 {
			delete(set, c.Value)
		}
	}
	return nil
}

// MaxAccountValues scans each multiset: a sandbox account has few distinct
// values, and the store's index probe has no cheaper analogue in a map.
func (t *memTx) MaxAccountValues(keys []store.AccountDimension) (map[store.AccountDimension]int64, error) {
	st := t.accountState()
	out := make(map[store.AccountDimension]int64, len(keys))
	for _, k := range keys {
		if set := st.values[k]; len(set) > 0 {
			out[k] = slices.Max(slices.Collect(maps.Keys(set)))
		} else {
			out[k] = 0
		}
	}
	return out, nil
}

func (t *memTx) DueAccountMembers(accountID string, at time.Time) error {
	for id := range t.accountState().members[accountID] {
		if r := t.contacts[id]; r != nil && (r.NextEvalAt == 0 || r.NextEvalAt > at.UnixMilli()) {
			r.NextEvalAt = at.UnixMilli()
			t.keep(r)
		}
	}
	return nil
}

// trackMember follows a saved contact's account, for DueAccountMembers.
func (t *memTx) trackMember(c *model.Contact) {
	if t.accts == nil && c.AccountID == "" {
		return
	}
	st := t.accountState()
	old := st.memberOf[c.ID]
	if old == c.AccountID {
		return
	}
	if old != "" {
		delete(st.members[old], c.ID)
	}
	if c.AccountID == "" {
		delete(st.memberOf, c.ID)
		return
	}
	st.memberOf[c.ID] = c.AccountID
	if st.members[c.AccountID] == nil {
		st.members[c.AccountID] = map[string]bool{}
	}
	st.members[c.AccountID][c.ID] = true
}

// forgetMember drops a deleted contact from its account's members.
func (t *memTx) forgetMember(id string) {
	if t.accts == nil {
		return
	}
	if old := t.accts.memberOf[id]; old != "" {
		delete(t.accts.members[old], id)
		delete(t.accts.memberOf, id)
	}
}
