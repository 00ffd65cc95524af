// Package filtersql is the dialect-neutral half of the store backends'
// filter compilers: a field leaf's value prepared as flows prepares it,
// the Unix-ms bounds of times, and the case-folding tables that make SQL
// lowercase text as Go does. None of it writes SQL text, which differs
// between SQLite and PostgreSQL and stays in each backend; what is here is
// flows' own semantics, which both dialects must reproduce alike.
package filtersql

import (
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
)

// Want is a field leaf's value, prepared as flows prepares it. It depends
// on the filter only, never on the dialect.
type Want struct {
	Kind   string // "null", "string", "number", "bool"
	Lower  string // string, lowercased as strings.ToLower does
	Num    float64
	B      bool
	T      time.Time // a string that parses as RFC3339
	IsTime bool
}

// WantOf prepares one value of a field condition; a value flows could not
// hold is store.ErrNoSQL.
func WantOf(v any) (Want, error) {
	switch x := v.(type) {
	case nil:
		return Want{Kind: "null"}, nil
	case string:
		w := Want{Kind: "string", Lower: strings.ToLower(x)}
		w.T, w.IsTime = ParseTime(x)
		return w, nil
	case float64:
		return Want{Kind: "number", Num: x}, nil
	case bool:
		return Want{Kind: "bool", B: x}, nil
	}
	return Want{}, fmt.Errorf("%w: unexpected value %T", store.ErrNoSQL, v)
}

// ParseTime is flows' parseTime: the same shape check, then time.Parse.
func ParseTime(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// Leaf is a field condition with its op split into a positive op (and,
// from LeafOf, whether it is negated) and its values prepared.
type Leaf struct {
	Field string
	Op    flows.Op // eq in contains exists gt gte lt lte starts_with ends_with older_than newer_than
	Want  Want
	Set   []Want
	Since time.Time // older_than/newer_than: now minus the span
}

// LeafOf prepares a field condition evaluated at now, and reports whether
// the SQL of its positive op is to be negated.
func LeafOf(fc *flows.FieldCond, now time.Time) (l Leaf, negate bool, err error) {
	l = Leaf{Field: fc.Field()}
	op, negate := fc.Op().Positive()
	l.Op = op
	switch op {
	case flows.OpExists:
	case flows.OpIn:
		list, ok := fc.Value().([]any)
		if !ok {
			return Leaf{}, false, fmt.Errorf("%w: in needs a list", store.ErrNoSQL)
		}
		for _, v := range list {
			w, err := WantOf(v)
			if err != nil {
				return Leaf{}, false, err
			}
			l.Set = append(l.Set, w)
		}
	case flows.OpOlderThan, flows.OpNewerThan:
		l.Since = now.Add(-fc.Span())
	case flows.OpEq, flows.OpContains, flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte, flows.OpStartsWith, flows.OpEndsWith:
		w, err := WantOf(fc.Value())
		if err != nil {
			return Leaf{}, false, err
		}
		l.Want = w
	default:
		return Leaf{}, false, fmt.Errorf("%w: unknown op %s", store.ErrNoSQL, op)
	}
	return l, negate, nil
}

// MsOf splits t into whole Unix ms (rounded down) and whether no
// sub-millisecond part remains.
func MsOf(t time.Time) (int64, bool) {
	return t.UnixMilli(), t.Nanosecond()%int(time.Millisecond) == 0
}

// CeilMs is d in whole milliseconds, rounded up: a moment d after a whole
// ms, in whole ms, is never early.
func CeilMs(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// MsBound is how a whole-ms column compares with a nanosecond time t
// exactly: "col sym ms". With ms = t rounded down and a remainder,
// col > t ⇔ col > ms, col < t ⇔ col <= ms, and so on; false when nothing
// matches (eq with a remainder) or op is not a comparison.
func MsBound(op flows.Op, t time.Time) (sym string, ms int64, ok bool) {
	q, exact := MsOf(t)
	switch op {
	case flows.OpEq:
		if !exact {
			return "", 0, false
		}
		return "=", q, true
	case flows.OpGt:
		return ">", q, true
	case flows.OpGte:
		if exact {
			return ">=", q, true
		}
		return ">", q, true
	case flows.OpLt:
		if exact {
			return "<", q, true
		}
		return "<=", q, true
	case flows.OpLte:
		return "<=", q, true
	}
	return "", 0, false
}

// Window is a score_change leaf (a field leaf with "within") prepared for
// a compiler: its comparison, the history table the table of contact
// fields names, and the rows it sums at now.
type Window struct {
	Leaf   Leaf
	Negate bool
	Table  string
	Rows   flows.ScoreChangeQuery
}

// WindowOf prepares a score_change leaf evaluated at now.
func WindowOf(fc *flows.FieldCond, now time.Time) (Window, error) {
	table, err := HistoryTable(fc.Field())
	if err != nil {
		return Window{}, err
	}
	l, negate, err := LeafOf(fc, now)
	if err != nil {
		return Window{}, err
	}
	return Window{Leaf: l, Negate: negate, Table: table, Rows: fc.ScoreChangeQuery(now)}, nil
}

// HistoryTable is the table a Window field's rows are in
// (flows.StoredHistorySum); store.ErrNoSQL for any other field.
func HistoryTable(field string) (string, error) {
	f, _, ok := flows.LookupContactField(field)
	if !ok || f.Storage != flows.StoredHistorySum {
		return "", fmt.Errorf("%w: %s has no window", store.ErrNoSQL, field)
	}
	return f.Column, nil
}

// WindowEdges are the row sets whose earliest event_at gives a
// score_change leaf's next moment at now (segments' NextChange): In, the
// rows in the window, whose oldest leaves at event_at + CeilMs(window);
// Ahead, the rows stamped after now, whose first enters at its event_at.
func WindowEdges(l flows.TimeLeaf, now time.Time) (table string, in, ahead flows.ScoreChangeQuery, err error) {
	table, err = HistoryTable(l.Field)
	in = flows.ScoreChangeQuery{Dimension: l.Dimension, Since: now.Add(-l.Window), Until: now}
	ahead = flows.ScoreChangeQuery{Dimension: l.Dimension, Since: now}
	return table, in, ahead, err
}
