package segments

import (
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// timeLeaf is a part of a filter whose truth can change as time passes with
// nothing else happening.
type timeLeaf struct {
	field  string        // older_than/newer_than on this time field, or
	event  string        // a behaviour leaf on this event type
	where  *flows.Filter // the behaviour leaf's filter on properties
	window time.Duration // its "within", or the older/newer_than span
}

// History is what NextChange needs beyond the filter's own reads: the
// oldest of a contact's events that a behaviour window still holds.
type History interface {
	flows.Subject
	OldestEvent(q flows.BehaviourQuery) (time.Time, bool, error)
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
	leaf     *timeLeaf     // a time leaf
	static   *flows.Filter // a subtree time cannot change, to evaluate
}

func (n *timeNode) next(h History, now time.Time) (time.Time, error) {
	switch n.op {
	case "leaf":
		if n.leaf == nil {
			return time.Time{}, nil
		}
		return n.leaf.boundary(h, now)
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
func (l *timeLeaf) boundary(h History, now time.Time) (time.Time, error) {
	var t time.Time
	if l.field != "" {
		v, ok := h.Value(l.field)
		if !ok {
			return time.Time{}, nil
		}
		at, ok := asTime(v)
		if !ok {
			return time.Time{}, nil
		}
		t = at.Truncate(time.Millisecond).Add(l.window + time.Millisecond)
	} else {
		oldest, ok, err := h.OldestEvent(flows.BehaviourQuery{Type: l.event, Where: l.where, Since: now.Add(-l.window), Now: now})
		if err != nil || !ok {
			return time.Time{}, err
		}
		t = oldest.Add(l.window + time.Millisecond)
	}
	if !t.After(now) {
		return time.Time{}, nil
	}
	return t, nil
}

// buildTimeTree compiles a filter's JSON for NextChange; nil when the
// filter has no time leaf at all.
func buildTimeTree(node any) *timeNode {
	n := buildNode(node)
	if n == nil || n.static != nil {
		return nil
	}
	return n
}

// buildNode returns the node; a subtree without time leaves comes back
// with static set.
func buildNode(node any) *timeNode {
	m, ok := node.(map[string]any)
	if !ok {
		return nil
	}
	n := &timeNode{op: "leaf"}
	switch {
	case m["all"] != nil || m["any"] != nil:
		n.op = "all"
		list, _ := m["all"].([]any)
		if l, ok := m["any"].([]any); ok {
			n.op, list = "any", l
		}
		for _, c := range list {
			if cn := buildNode(c); cn != nil {
				n.children = append(n.children, cn)
			}
		}
	case m["not"] != nil:
		n.op = "not"
		if cn := buildNode(m["not"]); cn != nil {
			n.children = []*timeNode{cn}
		}
	default:
		leaves, _ := scanLeaves(m)
		if len(leaves) > 0 {
			n.leaf = &leaves[0]
		}
	}
	timeFree := n.leaf == nil
	for _, c := range n.children {
		timeFree = timeFree && c.static != nil
	}
	if n.op == "not" && len(n.children) == 0 {
		timeFree = true
	}
	if timeFree {
		f, errs := flows.ParseFilterValue(m, flows.ContactFilter)
		if len(errs) > 0 {
			return nil
		}
		n.static = f
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

// scanLeaves walks a filter's JSON for time leaves and segment references.
// The filter was validated already, so shapes are trusted.
func scanLeaves(node any) ([]timeLeaf, []string) {
	var leaves []timeLeaf
	refs := map[string]bool{}
	var walk func(n any)
	walk = func(n any) {
		m, ok := n.(map[string]any)
		if !ok {
			return
		}
		for _, k := range []string{"all", "any"} {
			if list, ok := m[k].([]any); ok {
				for _, c := range list {
					walk(c)
				}
			}
		}
		if c, ok := m["not"]; ok {
			walk(c)
		}
		if ev, ok := m["event"].(string); ok {
			if within, ok := m["within"].(string); ok {
				d, _ := model.ParseDuration(within)
				var where *flows.Filter
				if w, ok := m["where"]; ok && w != nil {
					where, _ = flows.ParseFilterValue(w, flows.EventFilter)
				}
				leaves = append(leaves, timeLeaf{event: ev, where: where, window: time.Duration(d)})
			}
			return
		}
		field, _ := m["field"].(string)
		op, _ := m["op"].(string)
		if op == "older_than" || op == "newer_than" {
			if s, ok := m["value"].(string); ok {
				d, _ := model.ParseDuration(s)
				leaves = append(leaves, timeLeaf{field: field, window: time.Duration(d)})
			}
		}
		if field == "segments" {
			switch v := m["value"].(type) {
			case string:
				refs[v] = true
			case []any:
				for _, e := range v {
					if s, ok := e.(string); ok {
						refs[s] = true
					}
				}
			}
		}
	}
	walk(node)
	out := make([]string, 0, len(refs))
	for r := range refs {
		out = append(out, r)
	}
	return leaves, out
}
