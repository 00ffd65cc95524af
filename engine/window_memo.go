package engine

import (
	"time"

	"github.com/scoreflow/scoreflow/flows"
)

// windowMemo keeps what a contact's segment evaluation read of its history
// windows (an event count, a score_change sum), with each window's edges
// read in the same statement (store.WindowFacts), so the time pass right
// after it (scheduleTimePass) finds where each window next changes without
// reading the window again: one read per window instead of two.
//
// It is on only between start and end, around an evaluation and its time
// pass. Nothing writes a contact's events or score history in between
// (evaluate records memberships only; the events it queues are applied
// later), and end empties it, so no entry
// outlives the rows it describes.
type windowMemo struct {
	on     bool
	events []eventWindowFact
	scores []scoreWindowFact
}

// eventWindowFact is the oldest of a contact's events of a type, matching
// where, with ts >= since.
type eventWindowFact struct {
	contact, typ string
	where        *flows.Filter
	since        time.Time
	oldest       time.Time
	found        bool
}

// scoreWindowFact is the edges of a contact's score history window on a
// dimension (store.ScoreWindow's ScoreChangeEdges).
type scoreWindowFact struct {
	contact, dimension string
	since, now         time.Time
	oldest, ahead      time.Time
}

// start turns the memo on, around an evaluation and its time pass; false
// when it was on already (the outer caller ends it).
func (m *windowMemo) start() bool {
	if m.on {
		return false
	}
	m.on = true
	return true
}

// end turns the memo off and forgets every entry.
func (m *windowMemo) end() {
	m.on = false
	m.events = m.events[:0]
	m.scores = m.scores[:0]
}

func (m *windowMemo) event(contact string, q flows.BehaviourQuery) (eventWindowFact, bool) {
	for _, f := range m.events {
		if f.contact == contact && f.typ == q.Type && f.where == q.Where && f.since.Equal(q.Since) {
			return f, true
		}
	}
	return eventWindowFact{}, false
}

func (m *windowMemo) score(contact, dimension string, since, now time.Time) (scoreWindowFact, bool) {
	for _, f := range m.scores {
		if f.contact == contact && f.dimension == dimension && f.since.Equal(since) && f.now.Equal(now) {
			return f, true
		}
	}
	return scoreWindowFact{}, false
}

// countRemembering counts a behaviour leaf's events in its window and
// remembers the oldest that matched: one statement without a where, one
// oldest-first scan with one.
func (s contactSubject) countRemembering(q flows.BehaviourQuery) (int, error) {
	fact := eventWindowFact{contact: s.c.ID, typ: q.Type, where: q.Where, since: q.Since}
	var n int
	if q.Where == nil {
		var err error
		if n, fact.oldest, err = s.u.tx.EventWindow(s.c.ID, q.Type, q.Since); err != nil {
			return 0, asStoreFailure(err)
		}
		fact.found = n > 0
	} else {
		var matchErr error
		err := s.u.tx.OldestContactEvents(s.c.ID, q.Type, q.Since, func(ts time.Time, props map[string]any) bool {
			ok, err := q.Where.Match(flows.PropertiesSubject(props), q.Now)
			if err != nil {
				matchErr = err
				return false
			}
			if ok {
				if n == 0 {
					fact.oldest, fact.found = ts, true
				}
				n++
			}
			return true
		})
		if err != nil {
			return 0, asStoreFailure(err)
		}
		if matchErr != nil {
			return 0, matchErr
		}
	}
	s.u.windows.events = append(s.u.windows.events, fact)
	return n, nil
}

// scoreChangeRemembering sums a score_change leaf's window and remembers
// its edges.
func (s contactSubject) scoreChangeRemembering(q flows.ScoreChangeQuery) (float64, error) {
	sum, oldest, ahead, err := s.u.tx.ScoreWindowFacts(s.c.ID, q.Dimension, q.Since, q.Until)
	if err != nil {
		return 0, asStoreFailure(err)
	}
	s.u.windows.scores = append(s.u.windows.scores, scoreWindowFact{
		contact: s.c.ID, dimension: q.Dimension, since: q.Since, now: q.Until, oldest: oldest, ahead: ahead})
	return sum, nil
}
