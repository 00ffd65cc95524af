package sqlite

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Score velocity in the compiler: a score_change leaf is a correlated sum
// over the contact's history rows with event_at in (now − within, now],
// compared as a number. It reads what the store's ScoreChange reads
// (TOTAL over the same bounds, score_window.go), through the same index.

// scoreChange compiles a leaf on a Window field (flows.StoredHistorySum).
func (c *sqlCompiler) scoreChange(fc *flows.FieldCond) (sqlExpr, error) {
	w, err := filtersql.WindowOf(fc, c.now)
	if err != nil {
		return sqlExpr{}, err
	}
	e := sqlNumberLeaf(w.Leaf, c.historyRows(w.Table, w.Rows, "TOTAL", true))
	if w.Negate {
		e = sqlNot(e)
	}
	e.history = true
	return e, nil
}

// scoreChangeBoundaries are the "SELECT … AS v" moments (Unix ms) a
// score_change leaf can next change at (filtersql.WindowEdges): the oldest
// row in the window leaves, a row stamped ahead of now enters.
func (c *sqlCompiler) scoreChangeBoundaries(l flows.TimeLeaf) ([]sqlExpr, error) {
	table, in, ahead, err := filtersql.WindowEdges(l, c.now)
	if err != nil {
		return nil, err
	}
	leave := (&sqlBuilder{}).w("SELECT ").expr(c.historyRows(table, in, "MIN", true)).w(" + ").arg(filtersql.CeilMs(l.Window)).w(" AS v").done()
	enter := (&sqlBuilder{}).w("SELECT ").expr(c.historyRows(table, ahead, "MIN", false)).w(" AS v").done()
	return []sqlExpr{leave, enter}, nil
}

// historyRows is "(SELECT agg(…) FROM table h WHERE h is the contact's row
// on q's dimension with event_at after q.Since [and at or before
// q.Until])": TOTAL of the deltas, or MIN of event_at.
func (c *sqlCompiler) historyRows(table string, q flows.ScoreChangeQuery, agg string, until bool) sqlExpr {
	h := c.alias("h")
	col := h + ".delta"
	if agg == "MIN" {
		col = h + ".event_at"
	}
	b := &sqlBuilder{}
	b.w("(SELECT ", agg, "(", col, ") FROM ", table, " ", h, " WHERE ", h, ".contact_id = c.id AND ", h, ".event_at > ").arg(ms(q.Since))
	if until {
		b.w(" AND ", h, ".event_at <= ").arg(ms(q.Until))
	}
	if q.Dimension != "" {
		b.w(" AND ", h, ".dimension = ").arg(q.Dimension)
	}
	return b.w(")").done()
}
