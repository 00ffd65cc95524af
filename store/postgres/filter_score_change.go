package postgres

import (
	"fmt"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Score velocity in the compiler: a score_change leaf is a correlated sum
// over the contact's history rows with event_at in (now − within, now],
// an exact numeric compared as float64 would compare it (numberLeaf), as
// the store's ScoreChange reads it (score_window.go), through the same
// index.

// scoreChange compiles a leaf on a Window field (flows.StoredHistorySum).
func (c *sqlCompiler) scoreChange(fc *flows.FieldCond) (sqlExpr, error) {
	f, _, ok := flows.LookupContactField(fc.Field())
	if !ok || f.Storage != flows.StoredHistorySum {
		return sqlExpr{}, fmt.Errorf("%w: %s has no window", store.ErrNoSQL, fc.Field())
	}
	l, negate, err := filtersql.LeafOf(fc, c.now)
	if err != nil {
		return sqlExpr{}, err
	}
	sum := "COALESCE(" + c.historyRows(f.Column, fc.ScoreChangeQuery(c.now), "SUM", true) + ", 0::numeric)"
	e := c.numberLeaf(l, sum)
	if negate {
		e = sqlNot(e)
	}
	e.history = true
	return e, nil
}

// scoreChangeBoundary is the moment (Unix ms) a score_change leaf can next
// change at, as segments' NextChange finds it: the oldest row in the window
// leaves at event_at + window (rounded up to a whole ms), a row stamped
// ahead of now enters at its event_at; both are after now by their bounds,
// and LEAST ignores the NULL of none.
func (c *sqlCompiler) scoreChangeBoundary(l flows.TimeLeaf) (string, error) {
	f, _, ok := flows.LookupContactField(l.Field)
	if !ok || f.Storage != flows.StoredHistorySum {
		return "", fmt.Errorf("%w: %s has no window", store.ErrNoSQL, l.Field)
	}
	in := flows.ScoreChangeQuery{Dimension: l.Dimension, Since: c.now.Add(-l.Window), Until: c.now}
	leave := c.historyRows(f.Column, in, "MIN", true) + " + " + c.args.int(filtersql.CeilMs(l.Window))
	enter := c.historyRows(f.Column, flows.ScoreChangeQuery{Dimension: l.Dimension, Since: c.now}, "MIN", false)
	return "LEAST(" + leave + ", " + enter + ")", nil
}

// historyRows is "(SELECT agg(…) FROM table h WHERE h is the contact's row
// on q's dimension with event_at after q.Since [and at or before
// q.Until])": SUM of the deltas, or MIN of event_at.
func (c *sqlCompiler) historyRows(table string, q flows.ScoreChangeQuery, agg string, until bool) string {
	h := c.alias("h")
	col := h + ".delta"
	if agg == "MIN" {
		col = h + ".event_at"
	}
	s := "(SELECT " + agg + "(" + col + ") FROM " + table + " " + h + " WHERE " + h + ".contact_id = c.id AND " + h + ".event_at > " + c.args.int(ms(q.Since))
	if until {
		s += " AND " + h + ".event_at <= " + c.args.int(ms(q.Until))
	}
	if q.Dimension != "" {
		s += " AND " + h + ".dimension = " + c.args.text(q.Dimension)
	}
	return s + ")"
}
