package sqlite

import (
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Field leaves: the value prepared as flows prepares it, then a contact
// field mapped to its column by the table of contact fields, or an event
// property (filter_json.go).

func (c *sqlCompiler) field(fc *flows.FieldCond, props string) (sqlExpr, error) {
	if fc.Within() > 0 {
		return c.scoreChange(fc) // filter_score_change.go
	}
	l, negate, err := filtersql.LeafOf(fc, c.now)
	if err != nil {
		return sqlExpr{}, err
	}
	var e sqlExpr
	if props != "" {
		e, err = c.jsonLeaf(l, props, sqlJSONPath(l.Field, "", false))
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
func (c *sqlCompiler) contactLeaf(l filtersql.Leaf) (sqlExpr, error) {
	f, rest, ok := flows.LookupContactField(l.Field)
	if !ok {
		return sqlExpr{}, fmt.Errorf("%w: unknown contact field %q", store.ErrNoSQL, l.Field)
	}
	if f.Account {
		return c.accountLeaf(l, f, rest)
	}
	return c.columnLeaf(l, f, rest, "c."+f.Column)
}

// columnLeaf compiles a leaf on a field kept in col, by its storage.
func (c *sqlCompiler) columnLeaf(l filtersql.Leaf, f flows.ContactField, rest, col string) (sqlExpr, error) {
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
		if l.Op == flows.OpExists {
			return sqlExpr{text: col + " <> ''"}, nil
		}
		p, err := sqlScalarPred(l, l.Op, col, "'text'")
		if err != nil || p.text == "0" {
			return p, err
		}
		return (&sqlBuilder{}).w(col, " <> '' AND (").expr(p).w(")").done(), nil
	case f.Storage == flows.StoredList:
		if l.Op == flows.OpExists {
			return sqlExpr{text: "json_type(" + col + ") IS 'array'"}, nil
		}
		op := l.Op
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
		if l.Op != flows.OpEq || l.Want.Kind != "bool" {
			return sqlExpr{}, fmt.Errorf("%w: %s takes eq/neq true/false", store.ErrNoSQL, l.Field)
		}
		if l.Want.B {
			return sqlExpr{text: col + " IS NOT NULL"}, nil
		}
		return sqlExpr{text: col + " IS NULL"}, nil
	case f.Storage == flows.StoredMillis:
		// NULL is absent (no activity yet); created_at is never NULL.
		if l.Op == flows.OpExists {
			return sqlExpr{text: col + " IS NOT NULL"}, nil
		}
		p := sqlMsLeaf(l, col)
		if p.text == "0" {
			return p, nil
		}
		return (&sqlBuilder{}).w(col, " IS NOT NULL AND (").expr(p).w(")").done(), nil
	case f.Storage == flows.StoredObjectPath:
		return c.jsonLeaf(l, col, sqlJSONPath(l.Field, f.Name, true))
	}
	return sqlExpr{}, fmt.Errorf("%w: no SQL form for %s (%s stored as kind %d)", store.ErrNoSQL, l.Field, f.Type, f.Storage)
}

// sqlNumberLeaf is a leaf on a number that is always present (score, score.<d>).
func sqlNumberLeaf(l filtersql.Leaf, v sqlExpr) sqlExpr {
	switch l.Op {
	case flows.OpExists:
		return sqlTrue
	case flows.OpEq:
		if l.Want.Kind != "number" {
			return sqlFalse
		}
		return (&sqlBuilder{}).expr(v).w(" = ").arg(l.Want.Num).done()
	case flows.OpIn:
		var nums []any
		for _, w := range l.Set {
			if w.Kind == "number" {
				nums = append(nums, w.Num)
			}
		}
		if len(nums) == 0 {
			return sqlFalse
		}
		return sqlIn((&sqlBuilder{}).expr(v), nums, "CAST(value AS REAL)").done()
	case flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if l.Want.Kind != "number" {
			return sqlFalse
		}
		return (&sqlBuilder{}).expr(v).w(" ", sqlOrderOps[l.Op], " ").arg(l.Want.Num).done()
	}
	return sqlFalse
}

var sqlOrderOps = map[flows.Op]string{flows.OpGt: ">", flows.OpGte: ">=", flows.OpLt: "<", flows.OpLte: "<="}

// sqlMsLeaf is a leaf on a Unix-ms column (created_at, last_activity_at);
// the caller guards against NULL.
func sqlMsLeaf(l filtersql.Leaf, col string) sqlExpr {
	switch l.Op {
	case flows.OpExists:
		return sqlTrue
	case flows.OpEq:
		if !l.Want.IsTime {
			return sqlFalse
		}
		return sqlMsCompare(col, flows.OpEq, l.Want.T)
	case flows.OpIn:
		var list []any
		for _, w := range l.Set {
			if ms, exact := filtersql.MsOf(w.T); w.IsTime && exact {
				list = append(list, ms)
			}
		}
		if len(list) == 0 {
			return sqlFalse
		}
		return sqlIn((&sqlBuilder{}).w(col), list, "value").done()
	case flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if !l.Want.IsTime {
			return sqlFalse
		}
		return sqlMsCompare(col, l.Op, l.Want.T)
	case flows.OpOlderThan:
		return sqlMsCompare(col, flows.OpLt, l.Since)
	case flows.OpNewerThan:
		return sqlMsCompare(col, flows.OpGte, l.Since)
	}
	return sqlFalse
}

// sqlMsCompare compares a whole-ms column with a nanosecond time exactly, by
// filtersql.MsBound.
func sqlMsCompare(col string, op flows.Op, t time.Time) sqlExpr {
	sym, q, ok := filtersql.MsBound(op, t)
	if !ok {
		return sqlFalse
	}
	return (&sqlBuilder{}).w(col, " ", sym, " ").arg(q).done()
}
