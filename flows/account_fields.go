package flows

import "github.com/scoreflow/scoreflow/model"

// The account fields of the table of contact fields (CONTRACT §9): read
// off the contact's account, so a contact without one lacks them all.
// Change "account" is raised when the contact changes account and when its
// account's traits or scores change.
var accountFields = [4]ContactField{
	{Name: "account.score", Type: FieldNumber, Doc: "the account's total score (its contacts' scores aggregated)",
		Column: "score", Storage: StoredColumn, Change: "account", Setter: "it follows the account's contacts", Account: true, Optional: true,
		getAccount: func(a *model.Account, _ string) (any, bool) { return a.Score, true }},
	{Name: "account.score.", Type: FieldNumber, Doc: "the account's score on one dimension, such as account.score.fit",
		Column: "scores", Storage: StoredObjectKey, Change: "account", Setter: "it follows the account's contacts", Account: true, Optional: true,
		getAccount: func(a *model.Account, dim string) (any, bool) { return a.Scores[dim], true }},
	{Name: "account.grade", Type: FieldText, Doc: "the account's grade, from its total score",
		Column: "grade", Storage: StoredColumn, Change: "account", Setter: "it follows the account's score", Account: true, Optional: true,
		getAccount: func(a *model.Account, _ string) (any, bool) { return a.Grade, a.Grade != "" }},
	{Name: "account.attributes.", Type: FieldAny, Doc: "an attribute of the account, such as account.attributes.industry (from group calls)",
		Column: "attributes", Storage: StoredObjectPath, Change: "account", Setter: "use a group call", Account: true, Optional: true,
		getAccount: func(a *model.Account, name string) (any, bool) {
			v, ok := a.Attributes[name]
			return v, ok
		}},
}

// AccountValue reads an account field (account.score, account.grade…) off
// a contact's account, nil when it has none. Subjects that hold a contact
// route the names for which the table's row says Account here.
func AccountValue(a *model.Account, name string) (any, bool) {
	f, rest := findContactField(name)
	if f == nil || !f.Account || a == nil {
		return nil, false
	}
	return f.getAccount(a, rest)
}
