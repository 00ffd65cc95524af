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
// It is conservative: at that moment the membership is evaluated again, and
// the next moment computed then.
func (s *Segment) NextChange(h History, now time.Time) (time.Time, error) {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, l := range s.leaves {
		if l.field != "" {
			if v, ok := h.Value(l.field); ok {
				if t, ok := asTime(v); ok {
					consider(t.Add(l.window))
				}
			}
			continue
		}
		oldest, ok, err := h.OldestEvent(flows.BehaviourQuery{Type: l.event, Where: l.where, Since: now.Add(-l.window), Now: now})
		if err != nil {
			return time.Time{}, fmt.Errorf("segment %s: %w", s.ID, err)
		}
		if ok {
			consider(oldest.Add(l.window))
		}
	}
	return next, nil
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
