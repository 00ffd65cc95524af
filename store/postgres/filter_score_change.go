package postgres

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Score velocity in the compiler: a score_change leaf is a correlated sum
// over the contact's history rows with event_at in (now − within, now],
// an exact numeric compared as float64 would compare it (numberLeaf), as
// the store's ScoreChange reads it (score_window.go), through the same
// index.

// scoreChange compiles a leaf on a Window field (flows.StoredHistorySum).
func (c *sqlCompiler) scoreChange(fc *flows.FieldCond) (sqlExpr, error) {
	w, err := filtersql.WindowOf(fc, c.now)
	if err != nil {
		return sqlExpr{}, err
	}
	e := c.numberLeaf(w.Leaf, "COALESCE("+c.historyRows(w.Table, w.Rows, "SUM", true)+", 0::numeric)")
	if w.Negate {
		e = sqlNot(e)
	}
	e.history = true
	return e, nil
}

// scoreChangeBoundary is the moment (Unix ms) a score_change leaf can next
// change at (filtersql.WindowEdges): the oldest row in the window leaves,
// a row stamped ahead of now enters; both are after now by their bounds,
// and LEAST ignores the NULL of none.
func (c *sqlCompiler) scoreChangeBoundary(l flows.TimeLeaf) (string, error) {
	table, in, ahead, err := filtersql.WindowEdges(l, c.now)
	if err != nil {
		return "", err
	}
	leave := c.historyRows(table, in, "MIN", true) + " + " + c.args.int(filtersql.CeilMs(l.Window))
	return "LEAST(" + leave + ", " + c.historyRows(table, ahead, "MIN", false) + ")", nil
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
