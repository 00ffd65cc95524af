package engine

import (
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

var (
	_ flows.EventCounter = contactSubject{}
	_ flows.ScoreChanger = contactSubject{}
)

// Value reads a contact field through the table of contact fields.
func (s contactSubject) Value(field string) (any, bool) {
	if isAccountField(field) {
		return s.accountValue(field)
	}
	return flows.ContactValue(s.c, field)
}

// ScoreChange answers a score_change leaf from the score history, this
// batch's rows included.
func (s contactSubject) ScoreChange(q flows.ScoreChangeQuery) (float64, error) {
	if s.u.windows.on {
		return s.scoreChangeRemembering(q)
	}
	v, err := s.u.tx.ScoreChange(s.c.ID, q.Dimension, q.Since, q.Until)
	return v, asStoreFailure(err)
}

// CountEvents answers a behaviour leaf from the timeline.
func (s contactSubject) CountEvents(q flows.BehaviourQuery) (int, error) {
	if s.u.windows.on && !q.Since.IsZero() {
		return s.countRemembering(q)
	}
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
