package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
)

// reevaluate brings a contact's segment membership up to date with the
// changes marked on it, in the batch's transaction. Only segments that read
// something that changed are evaluated; a membership change marks
// ChangeSegments, so segments built on other segments follow in the next
// round (the set is acyclic, so rounds end). Each move queues a
// segment_entered/exited event caused by cause, unless the unit is quiet
// (a back-fill that must not start a storm of flows).
func (u *unit) reevaluate(cs *contactState, cause *model.Event, queue *[]*model.Event) error {
	set := u.flows.segments
	if len(cs.changes) == 0 {
		return nil
	}
	if len(set.List) == 0 {
		cs.changes = cs.changes[:0]
		return nil
	}
	if u.windows.start() {
		defer u.windows.end()
	}
	timed := u.timedBuf[:0]
	defer func() { u.timedBuf = timed[:0] }()
	for round := 0; len(cs.changes) > 0; round++ {
		if round > len(set.List) {
			return fmt.Errorf("segment evaluation for %s did not settle", cs.c.ID)
		}
		affected := set.Affected(cs.changes)
		cs.changes = cs.changes[:0] // Affected keeps nothing of it
		for _, seg := range affected {
			if err := u.evaluate(cs, seg, cause, queue); err != nil {
				return err
			}
			if seg.TimeBased && !slices.Contains(timed, seg) {
				timed = append(timed, seg)
			}
		}
	}
	if len(timed) > 0 {
		return u.scheduleChanged(cs, timed)
	}
	return nil
}

// evaluate decides one segment for one contact and records a move.
func (u *unit) evaluate(cs *contactState, seg *segments.Segment, cause *model.Event, queue *[]*model.Event) error {
	member, err := seg.Filter.Match(contactSubject{u: u, c: cs.c}, u.now)
	if err != nil {
		return fmt.Errorf("segment %s for %s: %w", seg.ID, cs.c.ID, err)
	}
	c := cs.c
	i, was := slices.BinarySearch(c.Segments, seg.ID)
	if member == was {
		return nil
	}
	cs.own(partSegments)
	if member {
		c.Segments = slices.Insert(c.Segments, i, seg.ID)
	} else {
		c.Segments = slices.Delete(c.Segments, i, i+1)
	}
	cs.dirty, cs.rec.Segments = true, ""
	cs.mark(segments.ChangeSegments)
	if err := u.tx.SetMembership(seg.ID, c.ID, member, u.now); err != nil {
		return err
	}
	typ := model.InternalSegmentExited
	if member {
		typ = model.InternalSegmentEntered
		u.result.entered++
	} else {
		u.result.exited++
	}
	if !u.quiet {
		*queue = append(*queue, u.internalEvent(cause, typ, map[string]any{"segment": seg.ID}))
	}
	return nil
}

// scheduleTimePass stores the next moment any time-based segment can change
// for the contact, so the scheduled pass visits only contacts that are due.
func (u *unit) scheduleTimePass(cs *contactState) error {
	next, err := u.nextChange(cs, u.flows.segments.Timed(), time.Time{})
	if err != nil {
		return err
	}
	u.setNextEval(cs, next)
	return nil
}

// scheduleChanged moves the contact's next time pass after an event changed
// what the time-based segments in changed read. The others read nothing
// that changed, so the moments they can next change are where they were,
// and no later than the next pass already stored: the earlier of that and
// the changed segments' moments is never late. It may be early (a changed
// segment's moment moved later), which costs one pass that finds nothing
// to do and stores the exact moment. A contact already due stays due: its
// pass evaluates every time-based segment, which this event did not.
func (u *unit) scheduleChanged(cs *contactState, changed []*segments.Segment) error {
	var stored time.Time
	if cs.rec.NextEvalAt != 0 {
		stored = time.UnixMilli(cs.rec.NextEvalAt)
	}
	next, err := u.nextChange(cs, changed, stored)
	if err != nil {
		return err
	}
	u.setNextEval(cs, next)
	return nil
}

// nextChange is the earliest of from (zero = none) and the moments at which
// segs can next change for the contact (zero when none can).
func (u *unit) nextChange(cs *contactState, segs []*segments.Segment, from time.Time) (time.Time, error) {
	next := from
	h := contactSubject{u: u, c: cs.c}
	for _, seg := range segs {
		t, err := seg.NextChange(h, u.now)
		if err != nil {
			return time.Time{}, err
		}
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, nil
}

// setNextEval stores next (zero = no pass) as the contact's next pass.
func (u *unit) setNextEval(cs *contactState, next time.Time) {
	var at int64
	if !next.IsZero() {
		at = next.UnixMilli()
	}
	if cs.rec.NextEvalAt != at {
		cs.rec.NextEvalAt = at
		cs.touched = true // a full write when anything else changed too
	}
}

// ScoreChangeEdges are the oldest of the contact's score history rows in a
// window and the first stamped ahead of it (segments.History, for
// score_change windows).
func (s contactSubject) ScoreChangeEdges(dimension string, since, now time.Time) (time.Time, time.Time, error) {
	if f, ok := s.u.windows.score(s.c.ID, dimension, since, now); ok {
		return f.oldest, f.ahead, nil
	}
	oldest, ahead, err := s.u.tx.ScoreChangeEdges(s.c.ID, dimension, since, now)
	return oldest, ahead, asStoreFailure(err)
}

// OldestEvent finds the oldest of the contact's events that a behaviour
// window holds (segments.History).
func (s contactSubject) OldestEvent(q flows.BehaviourQuery) (time.Time, bool, error) {
	if f, ok := s.u.windows.event(s.c.ID, q); ok {
		return f.oldest, f.found, nil
	}
	if q.Where == nil {
		t, ok, err := s.u.tx.OldestContactEvent(s.c.ID, q.Type, q.Since)
		return t, ok, asStoreFailure(err)
	}
	var found time.Time
	var ok bool
	var matchErr error
	err := s.u.tx.OldestContactEvents(s.c.ID, q.Type, q.Since, func(ts time.Time, props map[string]any) bool {
		if q.Where != nil {
			m, err := q.Where.Match(flows.PropertiesSubject(props), q.Now)
			if err != nil {
				matchErr = err
				return false
			}
			if !m {
				return true
			}
		}
		found, ok = ts, true
		return false
	})
	if err != nil {
		return time.Time{}, false, asStoreFailure(err)
	}
	return found, ok, matchErr
}
