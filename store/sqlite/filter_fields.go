package sqlite

import (
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
)

// Field leaves: the value prepared as flows prepares it, then a contact
// field mapped to its column by the table of contact fields, or an event
// property (filter_json.go).

// sqlWant is a field leaf's value, prepared as flows prepares it.
type sqlWant struct {
	kind   string // "null", "string", "number", "bool"
	lower  string // string, lowercased as strings.ToLower does
	num    float64
	b      bool
	t      time.Time // a string that parses as RFC3339
	isTime bool
}

func sqlWantOf(v any) (sqlWant, error) {
	switch x := v.(type) {
	case nil:
		return sqlWant{kind: "null"}, nil
	case string:
		w := sqlWant{kind: "string", lower: strings.ToLower(x)}
		w.t, w.isTime = sqlParseTime(x)
		return w, nil
	case float64:
		return sqlWant{kind: "number", num: x}, nil
	case bool:
		return sqlWant{kind: "bool", b: x}, nil
	}
	return sqlWant{}, fmt.Errorf("%w: unexpected value %T", store.ErrNoSQL, v)
}

// sqlParseTime is flows' parseTime: the same shape check, then time.Parse.
func sqlParseTime(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// sqlLeaf is a field condition with its op split into a positive op and
// whether it is negated.
type sqlLeaf struct {
	field string
	op    flows.Op // eq in contains exists gt gte lt lte starts_with ends_with older_than newer_than
	want  sqlWant
	set   []sqlWant
	since time.Time // older_than/newer_than: now minus the span
}

func (c *sqlCompiler) field(fc *flows.FieldCond, props string) (sqlExpr, error) {
	l := sqlLeaf{field: fc.Field()}
	op, negate := fc.Op().Positive()
	l.op = op
	switch op {
	case flows.OpExists:
	case flows.OpIn:
		list, ok := fc.Value().([]any)
		if !ok {
			return sqlExpr{}, fmt.Errorf("%w: in needs a list", store.ErrNoSQL)
		}
		for _, v := range list {
			w, err := sqlWantOf(v)
			if err != nil {
				return sqlExpr{}, err
			}
			l.set = append(l.set, w)
		}
	case flows.OpOlderThan, flows.OpNewerThan:
		l.since = c.now.Add(-fc.Span())
	case flows.OpEq, flows.OpContains, flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte, flows.OpStartsWith, flows.OpEndsWith:
		w, err := sqlWantOf(fc.Value())
		if err != nil {
			return sqlExpr{}, err
		}
		l.want = w
	default:
		return sqlExpr{}, fmt.Errorf("%w: unknown op %s", store.ErrNoSQL, op)
	}
	var e sqlExpr
	var err error
	if props != "" {
		e, err = c.jsonLeaf(l, props, sqlJSONPath(l.field, "", false))
	} else {
		e, err = c.contactLeaf(l)
	}
	if err != nil {
		return sqlExpr{}, err
	}
	if negate {
		e = sqlNot(e)
	}
	return e, nil
}

// contactLeaf compiles the positive op of a leaf on a contact field, by how
// the table of contact fields says the store keeps it.
func (c *sqlCompiler) contactLeaf(l sqlLeaf) (sqlExpr, error) {
	f, rest, ok := flows.LookupContactField(l.field)
	if !ok {
		return sqlExpr{}, fmt.Errorf("%w: unknown contact field %q", store.ErrNoSQL, l.field)
	}
	col := "c." + f.Column
	switch {
	case f.Storage == flows.StoredColumn && f.Type == flows.FieldNumber:
		return sqlNumberLeaf(l, sqlExpr{text: "CAST(" + col + " AS REAL)"}), nil
	case f.Storage == flows.StoredObjectKey && f.Type == flows.FieldNumber:
		// A key never written (a dimension never scored) reads 0.
		path := "$." + sqlJSONLabel(rest)
		v := (&sqlBuilder{}).w("CAST(IFNULL(json_extract(", col, ", ").arg(path).w("), 0) AS REAL)").done()
		return sqlNumberLeaf(l, v), nil
	case f.Storage == flows.StoredColumn && f.Type == flows.FieldText:
		// "" is absent (no grade, no stage).
		if l.op == flows.OpExists {
			return sqlExpr{text: col + " <> ''"}, nil
		}
		p, err := sqlScalarPred(l, l.op, col, "'text'")
		if err != nil || p.text == "0" {
			return p, err
		}
		return (&sqlBuilder{}).w(col, " <> '' AND (").expr(p).w(")").done(), nil
	case f.Storage == flows.StoredList:
		if l.op == flows.OpExists {
			return sqlExpr{text: "json_type(" + col + ") IS 'array'"}, nil
		}
		op := l.op
		if op == flows.OpContains {
			op = flows.OpEq // contains on an array: has the element
		}
		j := c.alias("j")
		p, err := sqlScalarPred(l, op, j+".value", j+".type")
		if err != nil || p.text == "0" {
			return p, err
		}
		return (&sqlBuilder{}).w("EXISTS (SELECT 1 FROM json_each(", col, ") ", j, " WHERE ").expr(p).w(")").done(), nil
	case f.Storage == flows.StoredPresence && f.Type == flows.FieldBool:
		if l.op != flows.OpEq || l.want.kind != "bool" {
			return sqlExpr{}, fmt.Errorf("%w: %s takes eq/neq true/false", store.ErrNoSQL, l.field)
		}
		if l.want.b {
			return sqlExpr{text: col + " IS NOT NULL"}, nil
		}
		return sqlExpr{text: col + " IS NULL"}, nil
	case f.Storage == flows.StoredMillis:
		// NULL is absent (no activity yet); created_at is never NULL.
		if l.op == flows.OpExists {
			return sqlExpr{text: col + " IS NOT NULL"}, nil
		}
		p := sqlMsLeaf(l, col)
		if p.text == "0" {
			return p, nil
		}
		return (&sqlBuilder{}).w(col, " IS NOT NULL AND (").expr(p).w(")").done(), nil
	case f.Storage == flows.StoredObjectPath:
		return c.jsonLeaf(l, col, sqlJSONPath(l.field, f.Name, true))
	}
	return sqlExpr{}, fmt.Errorf("%w: no SQL form for %s (%s stored as kind %d)", store.ErrNoSQL, l.field, f.Type, f.Storage)
}

// sqlNumberLeaf is a leaf on a number that is always present (score, score.<d>).
func sqlNumberLeaf(l sqlLeaf, v sqlExpr) sqlExpr {
	switch l.op {
	case flows.OpExists:
		return sqlTrue
	case flows.OpEq:
		if l.want.kind != "number" {
			return sqlFalse
		}
		return (&sqlBuilder{}).expr(v).w(" = ").arg(l.want.num).done()
	case flows.OpIn:
		var nums []any
		for _, w := range l.set {
			if w.kind == "number" {
				nums = append(nums, w.num)
			}
		}
		if len(nums) == 0 {
			return sqlFalse
		}
		return sqlIn((&sqlBuilder{}).expr(v), nums, "CAST(value AS REAL)").done()
	case flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if l.want.kind != "number" {
			return sqlFalse
		}
		return (&sqlBuilder{}).expr(v).w(" ", sqlOrderOps[l.op], " ").arg(l.want.num).done()
	}
	return sqlFalse
}

var sqlOrderOps = map[flows.Op]string{flows.OpGt: ">", flows.OpGte: ">=", flows.OpLt: "<", flows.OpLte: "<="}

// sqlMsLeaf is a leaf on a Unix-ms column (created_at, last_activity_at);
// the caller guards against NULL.
func sqlMsLeaf(l sqlLeaf, col string) sqlExpr {
	switch l.op {
	case flows.OpExists:
		return sqlTrue
	case flows.OpEq:
		if !l.want.isTime {
			return sqlFalse
		}
		return sqlMsCompare(col, flows.OpEq, l.want.t)
	case flows.OpIn:
		var list []any
		for _, w := range l.set {
			if ms, exact := sqlMsOf(w.t); w.isTime && exact {
				list = append(list, ms)
			}
		}
		if len(list) == 0 {
			return sqlFalse
		}
		return sqlIn((&sqlBuilder{}).w(col), list, "value").done()
	case flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if !l.want.isTime {
			return sqlFalse
		}
		return sqlMsCompare(col, l.op, l.want.t)
	case flows.OpOlderThan:
		return sqlMsCompare(col, flows.OpLt, l.since)
	case flows.OpNewerThan:
		return sqlMsCompare(col, flows.OpGte, l.since)
	}
	return sqlFalse
}

// sqlMsOf splits t into whole Unix ms (rounded down) and whether no
// sub-millisecond part remains.
func sqlMsOf(t time.Time) (int64, bool) {
	return t.UnixMilli(), t.Nanosecond()%int(time.Millisecond) == 0
}

// sqlMsCompare compares a whole-ms column with a nanosecond time exactly: with
// q = t in ms rounded down and a remainder, col > t ⇔ col > q, and so on.
func sqlMsCompare(col string, op flows.Op, t time.Time) sqlExpr {
	q, exact := sqlMsOf(t)
	b := &sqlBuilder{}
	switch op {
	case flows.OpEq:
		if !exact {
			return sqlFalse
		}
		b.w(col, " = ")
	case flows.OpGt:
		b.w(col, " > ")
	case flows.OpGte:
		if exact {
			b.w(col, " >= ")
		} else {
			b.w(col, " > ")
		}
	case flows.OpLt:
		if exact {
			b.w(col, " < ")
		} else {
			b.w(col, " <= ")
		}
	case flows.OpLte:
		b.w(col, " <= ")
	}
	return b.arg(q).done()
}
