package flowtest

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// Contact is a flows.Subject over a model.Contact, reading the fields of
// CONTRACT §4 as the engine does. Write one as a literal
// (&flowtest.Contact{Tags: []string{"trial"}}) or view an existing contact
// with ContactOf.
type Contact model.Contact

var _ flows.Subject = (*Contact)(nil)

// ContactOf views c as a Subject without copying it: later changes to c are
// seen by filters.
func ContactOf(c *model.Contact) *Contact { return (*Contact)(c) }

// Value returns a contact field as the engine reads it (flows.ContactValue).
func (c *Contact) Value(field string) (any, bool) {
	return flows.ContactValue((*model.Contact)(c), field)
}
