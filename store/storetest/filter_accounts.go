package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Accounts in the property test: a few accounts with random traits and
// scores, most contacts in one of them (some in an account that has no
// row, which reads as none), and leaves on account.* fields, so both
// compilers' joins on accounts are checked against flows.AccountValue.

const propAccounts = 6

// accountSet draws the population's accounts; contacts drawn afterwards
// join them.
func (g *propGen) accountSet() []*model.Account {
	out := make([]*model.Account, propAccounts)
	g.accountIDs = []string{"ghost"} // no row: a contact in it has no account
	for i := range out {
		a := &model.Account{ID: fmt.Sprintf("acct%d", i), Name: g.str(g.pick(propTexts["fold"])),
			Scores: map[string]int64{}, Sums: map[string]int64{}, Grade: g.pick(propGrades), CreatedAt: filterNow, UpdatedAt: filterNow}
		for _, d := range propDims {
			if g.chance(0.6) {
				v := g.r.Int64N(300) - 60
				a.Scores[d], a.Sums[d] = v, v
				a.Score += v
			}
		}
		a.Attributes = propDecode(g.object(propAttrKeys, 3+g.r.IntN(8), 0))
		g.accountAttrs = append(g.accountAttrs, a.Attributes)
		g.accountIDs = append(g.accountIDs, a.ID)
		out[i] = a
	}
	return out
}

// joinAccount puts a drawn contact in one of the accounts, most of the time.
func (g *propGen) joinAccount(c *model.Contact) {
	if len(g.accountIDs) > 0 && g.chance(0.75) {
		c.AccountID = g.pick(g.accountIDs)
	}
}

// accountField draws an account.* field name.
func (g *propGen) accountField() string {
	switch g.r.IntN(6) {
	case 0:
		return "account.score"
	case 1:
		return "account.grade"
	case 2:
		return "account." + g.pick(propDimFields)
	}
	return "account.attributes." + g.pick(append(append([]string{}, propAttrKeys...), "missing", "a.b.x"))
}

func writeFilterAccounts(t *testing.T, s store.Store, accounts []*model.Account) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) {
		noErr(t, tx.SaveAccounts(accounts))
	})
}

// accountValue reads an account field as the engine does: the contact's
// account loaded through the transaction (engine/accounts.go).
func (v *engineView) accountValue(field string) (any, bool) {
	if v.c.AccountID == "" {
		return nil, false
	}
	if !v.accountLoaded {
		got, err := v.tx.LoadAccounts([]string{v.c.AccountID}, false)
		if err != nil {
			panic(fmt.Sprintf("load account %s: %v", v.c.AccountID, err))
		}
		v.account, v.accountLoaded = got[v.c.AccountID], true
	}
	return flows.AccountValue(v.account, field)
}

func isAccountField(field string) bool { return strings.HasPrefix(field, "account.") }
