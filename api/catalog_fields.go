package api

import "github.com/scoreflow/scoreflow/flows"

// contactFieldJSON is a row of flows' table of contact fields as the
// catalog serves it, so the UI's filter builder offers the fields and ops
// the server accepts instead of a list of its own. Storage, columns and
// change marks stay on the server: the UI has no use for them.
type contactFieldJSON struct {
	// Name is a field name, or a family's prefix ("score.", "attributes.").
	Name string          `json:"name"`
	Type flows.FieldType `json:"type"`
	Doc  string          `json:"doc"`
	// Family: Name is a prefix, completed by a dimension or attribute name.
	Family bool `json:"family"`
	// Settable: action.set_field may write it.
	Settable bool `json:"settable"`
	// Optional: contacts may lack it, so "is set" / "is not set" apply.
	Optional bool `json:"optional"`
	// Window: a leaf on it needs "within" (score_change), and compares a
	// number of points with eq, neq, gt, gte, lt or lte.
	Window bool `json:"window"`
	// Account: read off the contact's account (account.score…).
	Account bool `json:"account,omitempty"`
}

// contactFieldsJSON lists the table in its order, the order the UI's field
// picker shows.
func contactFieldsJSON() []contactFieldJSON {
	rows := flows.ContactFields()
	out := make([]contactFieldJSON, len(rows))
	for i, f := range rows {
		out[i] = contactFieldJSON{Name: f.Name, Type: f.Type, Doc: f.Doc, Family: f.Family(), Settable: f.Settable, Optional: f.Optional, Window: f.Window, Account: f.Account}
	}
	return out
}
