package flowtest

import (
	"strings"

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

// Value returns a contact field: attributes.<name> as stored, score and
// score.<dimension> as int64 (a dimension the contact has no points in is 0),
// grade and deal_stage as strings (absent when empty), tags and segments as
// []string, disqualified as a bool, created_at and last_activity_at as
// time.Time (absent when unset).
func (c *Contact) Value(field string) (any, bool) {
	if name, ok := strings.CutPrefix(field, "attributes."); ok {
		v, ok := c.Attributes[name]
		return v, ok && v != nil
	}
	if dim, ok := strings.CutPrefix(field, "score."); ok {
		return c.Scores[dim], true
	}
	switch field {
	case "score":
		return c.Score, true
	case "grade":
		return c.Grade, c.Grade != ""
	case "deal_stage":
		return c.DealStage, c.DealStage != ""
	case "tags":
		return nonNil(c.Tags), true
	case "segments":
		return nonNil(c.Segments), true
	case "disqualified":
		return c.Disqualified != nil, true
	case "created_at":
		return c.CreatedAt, !c.CreatedAt.IsZero()
	case "last_activity_at":
		if c.LastActivityAt == nil {
			return nil, false
		}
		return *c.LastActivityAt, true
	}
	return nil, false
}

// nonNil makes a contact without tags read as an empty list, so "tags
// not_contains x" and "tags exists" behave as for a contact that had tags.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
