package engine

import (
	"maps"
	"reflect"
	"sort"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// Accounts in the unit of work. A contact's account and scores as loaded
// (its snapshot) and as they stand at flush tell what the batch changed:
// the old account loses the old scores, the new one gains the new, applied
// as deltas to the account's sums and member count, and for max dimensions
// to its multiset of values (store.AccountTx). The cost is a few index
// operations per changed contact per batch, never a rescan of members.
// Accounts are read from the store in every batch, not cached across
// batches: another replica may change the same account.

// accountSnap is what a contact's account membership was when the batch
// loaded it.
type accountSnap struct {
	id     string
	scores map[string]int64 // nil when id is ""
}

// snapshotAccount records the membership of a freshly loaded contact.
// When segments read account fields, a member's segments are evaluated
// against its account in every batch that touches it: the account may
// have changed since (its members are also made due for the time pass,
// but a cached member may not know it).
func (u *unit) snapshotAccount(cs *contactState) {
	if id := cs.c.AccountID; id != "" {
		cs.acct = accountSnap{id: id, scores: maps.Clone(cs.c.Scores)}
		if u.accountWatched() {
			cs.mark(segments.ChangeAccount)
		}
	}
}

// accountWatched reports whether any segment reads account fields.
func (u *unit) accountWatched() bool {
	if u.watch == 0 {
		u.watch = -1
		if len(u.flows.segments.Affected([]segments.Change{segments.ChangeAccount})) > 0 {
			u.watch = 1
		}
	}
	return u.watch > 0
}

// accountState is an account the batch read or changes.
type accountState struct {
	a *model.Account
	// before is the account as loaded, to tell what changed: Scores is
	// replaced, never changed in place (ScoreAccount), and Attributes is
	// copied before a group call changes it (traits), so sharing their maps
	// is safe. Sums change in place: they are not compared.
	before  model.Account
	traits  bool // a group call changed name or attributes
	changed bool // membership, sums or traits changed
	locked  bool // loaded for update (a filter's read is not)
	stored  bool // a row holds it (it was not started by this batch)
}

// account returns the batch's copy of an account, loading it (or starting
// a new one) on first use; forUpdate when the batch will change it.
func (u *unit) account(id string, forUpdate bool) (*accountState, error) {
	if st, ok := u.accounts[id]; ok && (st.locked || !forUpdate) {
		return st, nil
	}
	if err := u.loadAccounts([]string{id}, forUpdate); err != nil {
		return nil, err
	}
	return u.accounts[id], nil
}

// loadAccounts loads, in one call, the accounts of ids the batch has not
// (ids sorted, so concurrent batches lock rows in one order), or, for
// update, has only read; an id without a row starts a new account.
func (u *unit) loadAccounts(ids []string, forUpdate bool) error {
	var missing []string
	for _, id := range ids {
		// A read-only copy is unchanged (changes load for update), so
		// replacing it with the locked row loses nothing.
		if st, ok := u.accounts[id]; !ok || (forUpdate && !st.locked) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if u.accounts == nil {
		u.accounts = map[string]*accountState{}
	}
	got := make(map[string]*model.Account, len(missing))
	if rest := u.cachedAccounts(missing, got); len(rest) > 0 {
		loaded, err := u.tx.LoadAccounts(rest, forUpdate)
		if err != nil {
			return asStoreFailure(err)
		}
		maps.Copy(got, loaded)
	}
	for _, id := range missing {
		a, ok := got[id]
		if !ok {
			a = &model.Account{ID: id, Attributes: map[string]any{}, Scores: map[string]int64{}, Sums: map[string]int64{},
				Grade: u.settings.GradeFor(0), CreatedAt: u.now, UpdatedAt: u.now}
		}
		// A new account is written at flush only when the batch changes it
		// (a filter reading an account no row holds creates nothing).
		st := &accountState{a: a, before: *a, changed: !ok && forUpdate, locked: forUpdate, stored: ok}
		u.accounts[id] = st
	}
	return nil
}

// joinAccount applies an event's account_id: the contact moves into the
// account, and a group call's properties become the account's traits
// (properties.name its name).
func (u *unit) joinAccount(cs *contactState, ev *model.Event) error {
	if ev.AccountID == "" {
		return nil
	}
	if cs.c.AccountID != ev.AccountID {
		cs.c.AccountID = ev.AccountID
		cs.dirty = true
		cs.mark(segments.ChangeAccount)
	}
	if ev.Type != model.EventGroup || len(ev.Properties) == 0 {
		return nil
	}
	st, err := u.account(ev.AccountID, true)
	if err != nil {
		return err
	}
	copied := false
	for k, v := range ev.Properties {
		if k == "name" {
			if name, ok := v.(string); ok && name != st.a.Name {
				st.a.Name, st.changed, st.traits = name, true, true
			}
			continue
		}
		v = normalizeJSON(v)
		if old, had := st.a.Attributes[k]; !had || !reflect.DeepEqual(old, v) {
			if !copied { // before (and the cache) keep the loaded map
				st.a.Attributes, copied = maps.Clone(st.a.Attributes), true
				if st.a.Attributes == nil {
					st.a.Attributes = map[string]any{}
				}
			}
			st.a.Attributes[k], st.changed, st.traits = v, true, true
		}
	}
	if st.traits {
		cs.mark(segments.ChangeAccount)
	}
	return nil
}

// leaveAccount takes a contact out of its account (it is being deleted).
func (cs *contactState) leaveAccount() { cs.c.AccountID = "" }

// flushAccounts applies the batch's membership and score changes to the
// accounts, then writes the accounts that changed: one call each to load
// the accounts, change the max multisets, read the maxes that moved and
// save the accounts.
func (u *unit) flushAccounts() error {
	var moved []*contactState
	ids := map[string]bool{}
	visit := func(cs *contactState) {
		old, cur := cs.acct.id, cs.c.AccountID
		if old == "" && cur == "" {
			return
		}
		if old == cur && maps.Equal(cs.acct.scores, cs.c.Scores) {
			return
		}
		moved = append(moved, cs)
		ids[old], ids[cur] = true, true
	}
	for _, cs := range u.contacts {
		visit(cs)
	}
	// Contacts merged away in the batch are gone from contacts, but their
	// account must still lose them.
	for _, cs := range u.departed {
		visit(cs)
	}
	delete(ids, "")
	for id, st := range u.accounts {
		if st.changed { // a group call's traits
			ids[id] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	if err := u.loadAccounts(sorted, true); err != nil {
		return err
	}
	maxDims := u.settings.MaxDimensions()
	values := map[store.AccountValueChange]int{} // keyed with N 0: the net change of each value
	change := func(acct, dim string, value int64, n int) {
		k := store.AccountValueChange{AccountDimension: store.AccountDimension{Account: acct, Dimension: dim}, Value: value}
		values[k] += n
	}
	for _, cs := range moved {
		old, cur := cs.acct.id, cs.c.AccountID
		if old == cur {
			// The member's scores moved within its account: only the
			// dimensions that moved change the sums and the multisets.
			st := u.accounts[cur]
			st.changed = true
			moveSums(st.a, cs.acct.scores, cs.c.Scores)
			for _, d := range maxDims {
				if _, ok := st.a.Sums[d]; !ok {
					st.a.Sums[d] = 0
				}
				if was, is := cs.acct.scores[d], cs.c.Scores[d]; was != is {
					change(cur, d, was, -1)
					change(cur, d, is, 1)
				}
			}
			continue
		}
		if old != "" {
			st := u.accounts[old]
			st.changed = true
			st.a.Contacts--
			addSums(st.a, cs.acct.scores, -1)
			for _, d := range maxDims {
				change(old, d, cs.acct.scores[d], -1)
			}
		}
		if cur != "" {
			st := u.accounts[cur]
			st.changed = true
			st.a.Contacts++
			addSums(st.a, cs.c.Scores, 1)
			for _, d := range maxDims {
				if _, ok := st.a.Sums[d]; !ok {
					st.a.Sums[d] = 0 // a max dimension is shown once any member counts for it
				}
				change(cur, d, cs.c.Scores[d], 1)
			}
		}
	}
	var changes []store.AccountValueChange
	for k, n := range values {
		if n != 0 { // a member whose value did not move changes nothing
			k.N = n
			changes = append(changes, k)
		}
	}
	sort.Slice(changes, func(i, j int) bool { return valueKeyLess(changes[i], changes[j]) })
	if err := u.tx.AddAccountValues(changes); err != nil {
		return asStoreFailure(err)
	}
	// Most maxes follow from the max before and the batch's changes; the
	// store's index is asked only for those whose top value lost members.
	maxes := map[store.AccountDimension]int64{}
	var ask []store.AccountDimension
	for i := 0; i < len(changes); {
		j := i + 1
		for j < len(changes) && changes[j].AccountDimension == changes[i].AccountDimension {
			j++
		}
		k := changes[i].AccountDimension
		if v, ok := knownMax(&u.accounts[k.Account].before, k.Dimension, changes[i:j]); ok {
			maxes[k] = v
		} else {
			ask = append(ask, k)
		}
		i = j
	}
	if len(ask) > 0 {
		asked, err := u.tx.MaxAccountValues(ask)
		if err != nil {
			return asStoreFailure(err)
		}
		maps.Copy(maxes, asked)
	}
	watched := u.accountWatched()
	var save, saveScores []*model.Account
	for _, id := range sorted {
		st := u.accounts[id]
		if !st.changed {
			continue
		}
		a := st.a
		// A max dimension whose multiset did not change keeps its value.
		err := u.settings.ScoreAccount(a, func(d string) (int64, error) {
			if v, ok := maxes[store.AccountDimension{Account: id, Dimension: d}]; ok {
				return v, nil
			}
			return st.before.Scores[d], nil
		})
		if err != nil {
			return asStoreFailure(err)
		}
		a.UpdatedAt = u.now
		if st.stored && !st.traits {
			saveScores = append(saveScores, a)
		} else {
			save = append(save, a)
		}
		// Members' segments that read account fields follow the account at
		// the next time pass: one statement per changed account per batch.
		if watched && (st.traits || a.Score != st.before.Score || a.Grade != st.before.Grade || !maps.Equal(a.Scores, st.before.Scores)) {
			if err := u.tx.DueAccountMembers(a.ID, u.now); err != nil {
				return asStoreFailure(err)
			}
		}
	}
	if err := u.tx.SaveAccounts(save); err != nil {
		return asStoreFailure(err)
	}
	return asStoreFailure(u.tx.SaveAccountScores(saveScores))
}

// knownMax is the largest value of an account's multiset for dim after
// the batch's changes (sorted by value, net counts), when the account's
// max before tells it: the multiset was empty, a value at or above the old
// max was added, or no member at the old max left. False when members at
// the old max left and none came at or above it: whether one is left
// there, or what is below, only the store knows.
func knownMax(before *model.Account, dim string, changes []store.AccountValueChange) (int64, bool) {
	top, added := int64(0), false
	for _, c := range changes {
		if c.N > 0 {
			top, added = c.Value, true // sorted: the last one is the largest
		}
	}
	if before.Contacts <= 0 { // every member holds a value: the multiset was empty
		for _, c := range changes {
			if c.N < 0 {
				return 0, false // it was not, after all
			}
		}
		return top, added
	}
	old, ok := before.Scores[dim]
	if !ok {
		return 0, false
	}
	if added && top >= old {
		return top, true
	}
	for _, c := range changes {
		if c.N < 0 && c.Value >= old {
			return 0, false
		}
	}
	return old, true
}

// moveSums changes an account's sums by a member's scores moving from was
// to is: what addSums(was, -1) then addSums(is, 1) would do, in one pass.
func moveSums(a *model.Account, was, is map[string]int64) {
	if a.Sums == nil {
		a.Sums = map[string]int64{}
	}
	for d, v := range is {
		a.Sums[d] += v - was[d]
	}
	for d, v := range was {
		if _, ok := is[d]; !ok {
			a.Sums[d] -= v
		}
	}
}

// addSums adds (sign 1) or removes (sign -1) a member's scores to an
// account's sums.
func addSums(a *model.Account, scores map[string]int64, sign int64) {
	if a.Sums == nil {
		a.Sums = map[string]int64{}
	}
	for d, v := range scores {
		a.Sums[d] += sign * v
	}
}

func valueKeyLess(a, b store.AccountValueChange) bool {
	if a.Account != b.Account {
		return a.Account < b.Account
	}
	if a.Dimension != b.Dimension {
		return a.Dimension < b.Dimension
	}
	return a.Value < b.Value
}

// accountOf is the account a filter reads for a contact: the batch's copy
// (its traits current, its scores as of the batch's start) or the store's;
// nil when the contact has none.
func (u *unit) accountOf(c *model.Contact) (*model.Account, error) {
	if c.AccountID == "" {
		return nil, nil
	}
	st, err := u.account(c.AccountID, false)
	if err != nil {
		return nil, err
	}
	return st.a, nil
}

// accountValue answers a filter's account.* field.
func (s contactSubject) accountValue(field string) (any, bool) {
	a, err := s.u.accountOf(s.c)
	if err != nil {
		// Value cannot fail: remember it so the batch fails instead of
		// matching on a missing account.
		s.u.accountErr = err
		return nil, false
	}
	return flows.AccountValue(a, field)
}

func isAccountField(field string) bool { return strings.HasPrefix(field, "account.") }

// The account cache: on an exclusive store (store.Exclusive) the engine is
// the only writer of accounts, so the accounts a batch committed stay
// decoded for the next batches, as contacts do; elsewhere every batch
// reads them (another replica may have changed them). It is dropped when
// settings change (a settings save rescores every account) and when a
// commit fails.

const accountCacheSize = 20000

func newAccountCache(st store.Store) *lru.Cache[string, *model.Account] {
	if !store.IsExclusive(st) {
		return nil
	}
	c, _ := lru.New[string, *model.Account](accountCacheSize) // errs only on size <= 0
	return c
}

func (e *Engine) purgeAccounts() {
	if e.accounts != nil {
		e.accounts.Purge()
	}
}

// cachedAccounts moves the ids the cache holds from ids into got (copies:
// the batch changes them freely) and returns the others.
func (u *unit) cachedAccounts(ids []string, got map[string]*model.Account) []string {
	c := u.eng.accounts
	if c == nil {
		return ids
	}
	rest := ids[:0:0]
	for _, id := range ids {
		if a, ok := c.Get(id); ok {
			got[id] = cloneAccount(a)
		} else {
			rest = append(rest, id)
		}
	}
	return rest
}

// cacheAccounts keeps the committed batch's accounts.
func (u *unit) cacheAccounts() {
	if u.eng.accounts == nil {
		return
	}
	for id, st := range u.accounts {
		if st.changed || st.stored { // as committed
			u.eng.accounts.Add(id, st.a)
		}
	}
}

func cloneAccount(a *model.Account) *model.Account {
	c := *a
	// Attributes and Scores are replaced, never changed in place (see
	// accountState.before); Sums change in place.
	c.Sums = maps.Clone(a.Sums)
	return &c
}
