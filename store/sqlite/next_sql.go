package sqlite

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
// missed. Leaves on attribute times have no SQL form here: store.ErrNoSQL.
// A score_change leaf changes when its oldest row leaves the window or a
// row stamped ahead of now enters it (filter_score_change.go).
// ok is false when the filter has no time leaf.
func nextChangeSQL(f *flows.Filter, now time.Time) (expr string, args []any, ok bool, err error) {
	if f != nil && f.Kind() != flows.ContactFilter {
		return "", nil, false, fmt.Errorf("%w: %s is not a contact filter", store.ErrNoSQL, f.Kind())
	}
	c := &sqlCompiler{now: now}
	nowMS := now.UnixMilli()
	var parts []string
	for _, l := range f.TimeLeaves() {
		win := l.Window.Milliseconds()
		if l.ScoreChange {
			x, err := c.scoreChangeBoundaries(l)
			if err != nil {
				return "", nil, false, err
			}
			for _, p := range x {
				parts, args = append(parts, p.text), append(args, p.args...)
			}
			continue
		}
		if l.Field != "" {
			field, _, found := flows.LookupContactField(l.Field)
			if !found || field.Storage != flows.StoredMillis {
				return "", nil, false, fmt.Errorf("%w: time of %s", store.ErrNoSQL, l.Field)
			}
			// time + span + 1 ms: the first ms at which older_than holds
			// and newer_than no longer does.
			parts = append(parts, "SELECT c."+field.Column+" + ? AS v")
			args = append(args, win+1)
			continue
		}
		e := c.alias("e")
		b := &sqlBuilder{}
		b.w("SELECT (SELECT MIN(", e, ".ts) FROM events ", e, " WHERE ", e, ".contact_id = c.id AND ", e, ".type = ").arg(l.Event)
		b.w(" AND ", e, ".ts >= ").arg(nowMS - win)
		if l.Where != nil {
			w, err := c.node(l.Where.Root(), e+".properties")
			if err != nil {
				return "", nil, false, err
			}
			b.w(" AND (").expr(w).w(")")
		}
		// In the window while ts >= now-window: out one millisecond later.
		b.w(") + ").arg(win + 1).w(" AS v")
		x := b.done()
		parts = append(parts, x.text)
		args = append(args, x.args...)
	}
	if len(parts) == 0 {
		return "", nil, false, nil
	}
	// MIN ignores NULLs: the earliest boundary still ahead.
	expr = "(SELECT MIN(v) FROM (" + strings.Join(parts, " UNION ALL ") + ") WHERE v > ?)"
	return expr, append(args, nowMS), true, nil
}
