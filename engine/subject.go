package engine

import (
	"strings"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// contactSubject lets filters read a contact (CONTRACT §4 fields) and count
// its events for behaviour leaves, inside the batch's transaction so events
// of this batch count too.
type contactSubject struct {
	u *unit
	c *model.Contact
}

var _ flows.EventCounter = contactSubject{}

func (s contactSubject) Value(field string) (any, bool) {
	c := s.c
	switch field {
	case "score":
		return c.Score, true
	case "grade":
		return c.Grade, c.Grade != ""
	case "tags":
		return c.Tags, true
	case "segments":
		return c.Segments, true
	case "deal_stage":
		return c.DealStage, c.DealStage != ""
	case "disqualified":
		return c.Disqualified != nil, true
	case "created_at":
		return c.CreatedAt, true
	case "last_activity_at":
		if c.LastActivityAt == nil {
			return nil, false
		}
		return *c.LastActivityAt, true
	case "email":
		return c.Email, c.Email != ""
	case "id":
		return c.ID, true
	}
	if name, ok := strings.CutPrefix(field, "attributes."); ok {
		v, ok := c.Attributes[name]
		return v, ok
	}
	if dim, ok := strings.CutPrefix(field, "score."); ok {
		// A dimension never scored is 0, so "score.fit lt 10" holds for it.
		return c.Scores[dim], true
	}
	return nil, false
}

// CountEvents answers a behaviour leaf from the timeline.
func (s contactSubject) CountEvents(q flows.BehaviourQuery) (int, error) {
	if q.Where == nil {
		n, err := s.u.tx.CountContactEvents(s.c.ID, q.Type, q.Since)
		return n, asStoreFailure(err)
	}
	n := 0
	var matchErr error
	err := s.u.tx.ContactEvents(s.c.ID, q.Type, q.Since, func(props map[string]any) bool {
		ok, err := q.Where.Match(flows.PropertiesSubject(props), q.Now)
		if err != nil {
			matchErr = err
			return false
		}
		if ok {
			n++
		}
		return true
	})
	if err != nil {
		return 0, asStoreFailure(err)
	}
	return n, matchErr
}
