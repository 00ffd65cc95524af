package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
)

// nextChangeSQL compiles the SQL twin of segments' NextChange: an
// expression over contacts "c" giving, in Unix ms, the earliest moment after
// now at which time alone can change the filter for that contact, or NULL.
// As NextChange does, it prunes parts time cannot change: an "all" with a
// false time-free condition stays false whatever the time, and an "any"
// with a true one stays true, so neither has a moment (and a back-fill does
// not read the event history of contacts it cannot concern). The moment may
// still be conservative (the rest of the filter may not change then), never
// late. An attribute's time is read as filterSQL reads it (an RFC 3339
// string, or each one of an array), so every instant at which such a leaf
// can flip is a moment. ok is false when the filter has no time leaf
// (nothing to schedule). A time-free part that cannot be compiled is
// store.ErrNoSQL, as for filterSQL.
func nextChangeSQL(f *flows.Filter, now time.Time, args *sqlArgs) (expr string, ok bool, err error) {
	if f != nil && f.Kind() != flows.ContactFilter {
		return "", false, fmt.Errorf("%w: %s is not a contact filter", store.ErrNoSQL, f.Kind())
	}
	if f == nil {
		return "", false, nil
	}
	c := &sqlCompiler{now: now, args: args}
	next, err := c.next(f.Root())
	if err != nil || next == "" || next == "NULL::bigint" {
		return "", false, err
	}
	return next, true, nil
}

// next is the moment of node n (a bigint expression, NULL for none), or ""
// when time cannot change n at all.
func (c *sqlCompiler) next(n flows.FilterNode) (string, error) {
	switch t := n.(type) {
	case *flows.FieldCond:
		if l, ok := t.TimeLeaf(); ok && l.ScoreChange {
			return c.scoreChangeBoundary(l) // filter_score_change.go
		}
		if l, ok := t.TimeLeaf(); ok {
			return c.fieldBoundary(l)
		}
		return "", nil
	case *flows.EventCond:
		if l, ok := t.TimeLeaf(); ok {
			return c.eventBoundary(l)
		}
		return "", nil
	case flows.NotNode:
		return c.next(t.Child())
	case flows.AllNode:
		return c.nextOfAll(t, false)
	case flows.AnyNode:
		return c.nextOfAll(t, true)
	}
	return "", fmt.Errorf("%w: unexpected filter node %T", store.ErrNoSQL, n)
}

// nextOfAll is the moment of an "all" (with anyNode, an "any"): none when a
// time-free child settles it (false for all, true for any), else the
// earliest of its children's (LEAST ignores NULLs).
func (c *sqlCompiler) nextOfAll(children []flows.FilterNode, anyNode bool) (string, error) {
	var moments, static []string
	for _, child := range children {
		m, err := c.next(child)
		if err != nil {
			return "", err
		}
		if m != "" {
			moments = append(moments, m)
			continue
		}
		e, err := c.node(child, "")
		if err != nil {
			return "", err
		}
		static = append(static, e.text)
	}
	if len(moments) == 0 {
		return "", nil
	}
	least := moments[0]
	if len(moments) > 1 {
		least = "LEAST(" + strings.Join(moments, ", ") + ")"
	}
	if len(static) == 0 {
		return least, nil
	}
	settles := "NOT ((" + strings.Join(static, ") AND (") + "))"
	if anyNode {
		settles = "((" + strings.Join(static, ") OR (") + "))"
	}
	return "(CASE WHEN " + settles + " THEN NULL ELSE " + least + " END)", nil
}

// ahead keeps a leaf's moment x only when it is after now (OFFSET 0 keeps
// the planner from computing x twice).
func (c *sqlCompiler) ahead(x string) string {
	b := c.alias("b")
	return "(SELECT " + b + ".v FROM (SELECT " + x + " AS v OFFSET 0) " + b + " WHERE " + b + ".v > " + c.args.int(c.now.UnixMilli()) + ")"
}

// fieldBoundary is the moment an older_than/newer_than leaf flips: the
// first whole ms after time + span, when older_than starts to hold and
// newer_than stops.
func (c *sqlCompiler) fieldBoundary(l flows.TimeLeaf) (string, error) {
	field, _, found := flows.LookupContactField(l.Field)
	if !found {
		return "", fmt.Errorf("%w: time of %s", store.ErrNoSQL, l.Field)
	}
	col := "c." + field.Column
	switch field.Storage {
	case flows.StoredMillis:
		// A whole-ms time t: t + span < now from t + span + 1 ms on.
		return c.ahead(col + " + " + c.args.int(l.Window.Milliseconds()+1)), nil
	case flows.StoredObjectPath:
		x := c.jsonValue(col, jsonPathOf(l.Field, field.Name))
		if x == jsonNone {
			return "NULL::bigint", nil
		}
		j, m, b := c.alias("j"), c.alias("m"), c.alias("b")
		sec, nsec := rfc3339Instant(m)
		// floor((t + span) / 1 ms) + 1, in parts that cannot overflow.
		at := sec + " * 1000 + " + nsec + " / 1000000 + " + c.args.int(l.Window.Milliseconds()) +
			" + (" + nsec + " % 1000000 + " + c.args.int(int64(l.Window%time.Millisecond)) + ") / 1000000 + 1"
		text := "(CASE WHEN jsonb_typeof(" + j + ".e) = 'string' THEN " + j + ".e #>> '{}' END)"
		return "(SELECT MIN(" + b + ".v) FROM (SELECT (SELECT CASE WHEN " + rfc3339Valid(m) + " THEN " + at + " END FROM " + rfc3339Match(text, m) + ") AS v" +
			" FROM jsonb_array_elements(CASE jsonb_typeof(" + x + ") WHEN 'array' THEN " + x + " WHEN 'string' THEN jsonb_build_array(" + x + ") END) " +
			j + "(e)) " + b + " WHERE " + b + ".v > " + c.args.int(c.now.UnixMilli()) + ")", nil
	}
	return "", fmt.Errorf("%w: time of %s", store.ErrNoSQL, l.Field)
}

// eventBoundary is the moment the oldest matching event in a behaviour
// leaf's window leaves it: in while ts >= now - window, out one
// millisecond later.
func (c *sqlCompiler) eventBoundary(l flows.TimeLeaf) (string, error) {
	e := c.alias("e")
	from, err := c.eventsOf(e, l.Event, l.Window, l.Where)
	if err != nil {
		return "", err
	}
	return c.ahead("(SELECT MIN(" + e + ".ts) " + from + ") + " + c.args.int(l.Window.Milliseconds()+1)), nil
}
