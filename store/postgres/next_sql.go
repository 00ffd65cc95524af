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
// Unlike NextChange it does not prune (an "all" with a false time-free
// condition still yields its boundaries), so it is conservative: a contact
// may be visited by the time pass when nothing changes for it, never
// missed. An attribute's time is read as filterSQL reads it (an RFC 3339
// string, or each one of an array), so every instant at which such a leaf
// can flip is a boundary. ok is false when the filter has no time leaf
// (nothing to schedule).
func nextChangeSQL(f *flows.Filter, now time.Time, args *sqlArgs) (expr string, ok bool, err error) {
	if f != nil && f.Kind() != flows.ContactFilter {
		return "", false, fmt.Errorf("%w: %s is not a contact filter", store.ErrNoSQL, f.Kind())
	}
	c := &sqlCompiler{now: now, args: args}
	var parts []string
	for _, l := range f.TimeLeaves() {
		var part string
		var err error
		if l.Field != "" {
			part, err = c.fieldBoundary(l)
		} else {
			part, err = c.eventBoundary(l)
		}
		if err != nil {
			return "", false, err
		}
		if part != "" {
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return "", false, nil // no time leaf, or none any document can hold
	}
	// MIN ignores NULLs: the earliest boundary still ahead.
	return "(SELECT MIN(v) FROM (" + strings.Join(parts, " UNION ALL ") + ") " + c.alias("b") + "(v) WHERE v > " +
		c.args.int(now.UnixMilli()) + ")", true, nil
}

// fieldBoundary is the SELECT of the moments an older_than/newer_than leaf
// flips: the first whole ms after time + span, when older_than starts to
// hold and newer_than stops.
func (c *sqlCompiler) fieldBoundary(l flows.TimeLeaf) (string, error) {
	field, _, found := flows.LookupContactField(l.Field)
	if !found {
		return "", fmt.Errorf("%w: time of %s", store.ErrNoSQL, l.Field)
	}
	col := "c." + field.Column
	switch field.Storage {
	case flows.StoredMillis:
		// A whole-ms time t: t + span < now from t + span + 1 ms on.
		return "SELECT " + col + " + " + c.args.int(l.Window.Milliseconds()+1), nil
	case flows.StoredObjectPath:
		x := c.jsonValue(col, jsonPathOf(l.Field, field.Name))
		if x == jsonNone {
			return "", nil
		}
		j, m := c.alias("j"), c.alias("m")
		sec, nsec := rfc3339Instant(m)
		// floor((t + span) / 1 ms) + 1, in parts that cannot overflow.
		at := sec + " * 1000 + " + nsec + " / 1000000 + " + c.args.int(l.Window.Milliseconds()) +
			" + (" + nsec + " % 1000000 + " + c.args.int(int64(l.Window%time.Millisecond)) + ") / 1000000 + 1"
		text := "(CASE WHEN jsonb_typeof(" + j + ".e) = 'string' THEN " + j + ".e #>> '{}' END)"
		return "SELECT (SELECT CASE WHEN " + rfc3339Valid(m) + " THEN " + at + " END FROM " + rfc3339Match(text, m) + ")" +
			" FROM jsonb_array_elements(CASE jsonb_typeof(" + x + ") WHEN 'array' THEN " + x + " WHEN 'string' THEN jsonb_build_array(" + x + ") END) " +
			j + "(e)", nil
	}
	return "", fmt.Errorf("%w: time of %s", store.ErrNoSQL, l.Field)
}

// eventBoundary is the SELECT of the moment the oldest matching event in a
// behaviour leaf's window leaves it: in while ts >= now - window, out one
// millisecond later.
func (c *sqlCompiler) eventBoundary(l flows.TimeLeaf) (string, error) {
	e := c.alias("e")
	from, err := c.eventsOf(e, l.Event, l.Window, l.Where)
	if err != nil {
		return "", err
	}
	return "SELECT (SELECT MIN(" + e + ".ts) " + from + ") + " + c.args.int(l.Window.Milliseconds()+1), nil
}
