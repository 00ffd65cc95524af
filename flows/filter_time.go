package flows

import "time"

// TimeLeaf is a leaf of a contact filter whose truth can change as time
// passes with nothing else happening: older_than/newer_than on a field, a
// behaviour leaf counting events within a window, or a score_change leaf
// summing history rows within a window.
type TimeLeaf struct {
	// Field is the field of an older_than/newer_than or score_change leaf
	// ("" for a behaviour leaf).
	Field string
	// ScoreChange marks a score_change leaf, whose Dimension ("" = every
	// dimension) is summed over history rows with event_at in the window:
	// it changes when a row leaves the window (event_at + Window) or, for
	// an event stamped ahead of now, enters it (event_at).
	ScoreChange bool
	Dimension   string
	// Event is the event type a behaviour leaf counts ("" for a field leaf).
	Event string
	// Where filters the counted events' properties; nil counts them all.
	Where *Filter
	// Window is the leaf's span: "within" of a behaviour or score_change
	// leaf, the duration of older_than/newer_than.
	Window time.Duration
}

// TimeLeaves lists the filter's time leaves in the order they are written
// (depth first). A behaviour leaf without "within" counts all time, so it
// is not one; the leaves of a behaviour leaf's where read event properties,
// which do not age, so they are not walked.
func (f *Filter) TimeLeaves() []TimeLeaf {
	var out []TimeLeaf
	walkTimeLeaves(f.Root(), func(l TimeLeaf) { out = append(out, l) })
	return out
}

// walkTimeLeaves calls fn with each time leaf under n, depth first.
func walkTimeLeaves(n FilterNode, fn func(TimeLeaf)) {
	switch t := n.(type) {
	case AllNode:
		for _, c := range t {
			walkTimeLeaves(c, fn)
		}
	case AnyNode:
		for _, c := range t {
			walkTimeLeaves(c, fn)
		}
	case NotNode:
		walkTimeLeaves(t.child, fn)
	case *FieldCond:
		if l, ok := t.TimeLeaf(); ok {
			fn(l)
		}
	case *EventCond:
		if l, ok := t.TimeLeaf(); ok {
			fn(l)
		}
	}
}

// TimeLeaf is the leaf as a TimeLeaf; false when time alone cannot change it.
func (c *FieldCond) TimeLeaf() (TimeLeaf, bool) {
	if c.within > 0 {
		return TimeLeaf{Field: c.field, ScoreChange: true, Dimension: c.dimension, Window: c.within}, true
	}
	if c.op != OpOlderThan && c.op != OpNewerThan {
		return TimeLeaf{}, false
	}
	return TimeLeaf{Field: c.field, Window: c.span}, true
}

// TimeLeaf is the leaf as a TimeLeaf; false when it counts all time.
func (b *EventCond) TimeLeaf() (TimeLeaf, bool) {
	if b.within <= 0 {
		return TimeLeaf{}, false
	}
	return TimeLeaf{Event: b.event, Where: b.where, Window: b.within}, true
}
