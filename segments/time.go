package segments

import (
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/flows"
)

// History is what NextChange needs beyond the filter's own reads: the
// oldest of a contact's events that a behaviour window still holds, and
// for score_change windows the edges of its score history rows (as
// store.ScoreWindow's ScoreChangeEdges: the oldest row with since <
// event_at <= now and the first after now, zero when none).
type History interface {
	flows.Subject
	OldestEvent(q flows.BehaviourQuery) (time.Time, bool, error)
	ScoreChangeEdges(dimension string, since, now time.Time) (oldest, ahead time.Time, err error)
}

// NextChange returns the earliest moment after now at which the segment's
// membership for this contact can change by time alone, or the zero time.
// It is conservative: at that moment the membership is evaluated again and
// the next moment computed then. Parts that time cannot change are pruned:
// an "all" with a false time-free condition stays false whatever the time
// (a CEO never becomes a dead-end student by waiting), and an "any" with a
// true one stays true.
func (s *Segment) NextChange(h History, now time.Time) (time.Time, error) {
	if s.tree == nil {
		return time.Time{}, nil
	}
	t, err := s.tree.next(h, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("segment %s: %w", s.ID, err)
	}
	return t, nil
}

// timeNode mirrors a filter's structure for NextChange.
type timeNode struct {
	op       string // all, any, not, leaf
	children []*timeNode
	leaf     *flows.TimeLeaf // a time leaf
	static   *flows.Filter   // a subtree time cannot change, to evaluate
}

func (n *timeNode) next(h History, now time.Time) (time.Time, error) {
	switch n.op {
	case "leaf":
		if n.leaf == nil {
			return time.Time{}, nil
		}
		return boundary(n.leaf, h, now)
	case "not":
		return n.children[0].next(h, now)
	}
	// all: a false static child settles it; any: a true one does.
	settles := n.op == "any"
	for _, c := range n.children {
		if c.static == nil {
			continue
		}
		ok, err := c.static.Match(h, now)
		if err != nil {
			return time.Time{}, err
		}
		if ok == settles {
			return time.Time{}, nil
		}
	}
	var next time.Time
	for _, c := range n.children {
		if c.static != nil {
			continue
		}
		t, err := c.next(h, now)
		if err != nil {
			return time.Time{}, err
		}
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, nil
}

// boundary is when this leaf's truth can next change with time: the first
// millisecond past the window (an event counts while ts >= now-window, a
// time is older_than D while t < now-D), so times are whole milliseconds.
func boundary(l *flows.TimeLeaf, h History, now time.Time) (time.Time, error) {
	var t time.Time
	if l.ScoreChange {
		return scoreChangeBoundary(l, h, now)
	}
	if l.Field != "" {
		v, ok := h.Value(l.Field)
		if !ok {
			return time.Time{}, nil
		}
		at, ok := asTime(v)
		if !ok {
			return time.Time{}, nil
		}
		t = at.Truncate(time.Millisecond).Add(l.Window + time.Millisecond)
	} else {
		oldest, ok, err := h.OldestEvent(flows.BehaviourQuery{Type: l.Event, Where: l.Where, Since: now.Add(-l.Window), Now: now})
		if err != nil || !ok {
			return time.Time{}, err
		}
		t = oldest.Add(l.Window + time.Millisecond)
	}
	if !t.After(now) {
		return time.Time{}, nil
	}
	return t, nil
}

// scoreChangeBoundary is when a score_change sum next changes with time: a
// row is in the window while now-window < event_at <= now (event_at in
// whole ms, compared with now's ms), so the oldest row in it leaves at
// event_at + window (rounded up to a whole ms) and a row stamped ahead of
// now enters at its event_at.
func scoreChangeBoundary(l *flows.TimeLeaf, h History, now time.Time) (time.Time, error) {
	oldest, ahead, err := h.ScoreChangeEdges(l.Dimension, now.Add(-l.Window), now)
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	if !oldest.IsZero() {
		next = ceilMillisecond(oldest.Add(l.Window))
	}
	if !ahead.IsZero() && (next.IsZero() || ahead.Before(next)) {
		next = ahead
	}
	if !next.After(now) {
		return time.Time{}, nil
	}
	return next, nil
}

func ceilMillisecond(t time.Time) time.Time {
	if r := t.Truncate(time.Millisecond); !r.Equal(t) {
		return r.Add(time.Millisecond)
	}
	return t
}

// buildTimeTree mirrors a filter's tree for NextChange; nil when the
// filter has no time leaf at all.
func buildTimeTree(f *flows.Filter) *timeNode {
	if f == nil {
		return nil
	}
	n := buildNode(f, f.Root())
	if n.static != nil {
		return nil
	}
	return n
}

// buildNode returns the node; a subtree without time leaves comes back
// with static set to it as a filter of its own.
func buildNode(f *flows.Filter, node flows.FilterNode) *timeNode {
	n := &timeNode{op: "leaf"}
	var children []flows.FilterNode
	switch t := node.(type) {
	case flows.AllNode:
		n.op, children = "all", t
	case flows.AnyNode:
		n.op, children = "any", t
	case flows.NotNode:
		n.op, children = "not", []flows.FilterNode{t.Child()}
	case *flows.FieldCond:
		if l, ok := t.TimeLeaf(); ok {
			n.leaf = &l
		}
	case *flows.EventCond:
		if l, ok := t.TimeLeaf(); ok {
			n.leaf = &l
		}
	}
	timeFree := n.leaf == nil
	for _, c := range children {
		cn := buildNode(f, c)
		n.children = append(n.children, cn)
		timeFree = timeFree && cn.static != nil
	}
	if timeFree {
		n.static = f.Subfilter(node)
	}
	return n
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case *time.Time:
		if t != nil {
			return *t, true
		}
	case string:
		if p, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return p, true
		}
	}
	return time.Time{}, false
}
