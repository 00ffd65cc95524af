package postgres

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// accountLeaf compiles a leaf on an account field (account.score…): the
// leaf on the accounts column, inside an EXISTS on the contact's account,
// so a contact without an account lacks the field, as flows.AccountValue
// says. The probe is one primary-key lookup per contact.
func (c *sqlCompiler) accountLeaf(l filtersql.Leaf, f flows.ContactField, rest string) (sqlExpr, error) {
	a := c.alias("a")
	p, err := c.columnLeaf(l, f, rest, a+"."+f.Column)
	if err != nil || p.text == sqlFalse.text {
		return p, err
	}
	return sqlExpr{text: "EXISTS (SELECT 1 FROM accounts " + a + " WHERE " + a + ".id = c.account_id AND (" + p.text + "))"}, nil
}
