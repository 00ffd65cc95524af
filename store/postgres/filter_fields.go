package postgres

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
		e, err = c.jsonLeaf(l, props, jsonPathOf(l.Field, ""))
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
		return c.intLeaf(l, col), nil
	case f.Storage == flows.StoredObjectKey && f.Type == flows.FieldNumber:
		// A key never written (a dimension never scored) reads 0, as does
		// one PostgreSQL could not hold.
		v := "0::numeric"
		if storable(rest) {
			k := c.args.text(rest)
			v = "(CASE WHEN jsonb_typeof(" + col + " -> " + k + ") = 'number' THEN (" + col + " -> " + k + ")::numeric ELSE 0 END)"
		}
		return c.numberLeaf(l, v), nil
	case f.Storage == flows.StoredColumn && f.Type == flows.FieldText:
		// "" is absent (no grade, no stage).
		if l.Op == flows.OpExists {
			return sqlExpr{text: col + " <> ''"}, nil
		}
		p, err := c.textPred(l, l.Op, col)
		if err != nil || p.text == "false" {
			return p, err
		}
		return sqlExpr{text: col + " <> '' AND (" + p.text + ")"}, nil
	case f.Storage == flows.StoredList:
		if l.Op == flows.OpExists {
			return sqlExpr{text: "jsonb_typeof(" + col + ") = 'array'"}, nil
		}
		op := l.Op
		if op == flows.OpContains {
			op = flows.OpEq // contains on an array: has the element
		}
		return c.listLeaf(l, op, col)
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
		p := c.msLeaf(l, col)
		if p.text == "false" {
			return p, nil
		}
		return sqlExpr{text: col + " IS NOT NULL AND (" + p.text + ")"}, nil
	case f.Storage == flows.StoredObjectPath:
		return c.jsonLeaf(l, col, jsonPathOf(l.Field, f.Name))
	}
	return sqlExpr{}, fmt.Errorf("%w: no SQL form for %s (%s stored as kind %d)", store.ErrNoSQL, l.Field, f.Type, f.Storage)
}

// listLeaf is a leaf on a jsonb array of strings (tags, segments): op holds
// for some element. Equality (eq, in, contains) is jsonb's ?| over every
// spelling that lowercases to the wanted texts (listSpellings), which folds
// no element text: over a million contacts, 0.15 s for "vip" (12
// spellings) against 0.6 s testing each element. Other ops, and texts with
// more spellings than that pays for, test each element.
func (c *sqlCompiler) listLeaf(l filtersql.Leaf, op flows.Op, col string) (sqlExpr, error) {
	if op == flows.OpEq || op == flows.OpIn {
		var wants []string
		if op == flows.OpEq && l.Want.Kind == "string" {
			wants = []string{l.Want.Lower}
		}
		for _, w := range l.Set {
			if w.Kind == "string" {
				wants = append(wants, w.Lower)
			}
		}
		if spellings, ok := listSpellings(wants); ok {
			if len(spellings) == 0 {
				return sqlFalse, nil
			}
			return sqlExpr{text: col + " ?| " + c.args.texts(spellings)}, nil
		}
	}
	j := c.alias("j")
	p, err := c.textPred(l, op, "("+j+".v COLLATE \"C\")")
	if err != nil || p.text == "false" {
		return p, err
	}
	return sqlExpr{text: "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(" + col + ") = 'array' THEN " + col +
		" END) " + j + "(v) WHERE " + p.text + ")"}, nil
}

// intLeaf is a leaf on a bigint column that is always present (score).
func (c *sqlCompiler) intLeaf(l filtersql.Leaf, col string) sqlExpr {
	switch l.Op {
	case flows.OpExists:
		return sqlTrue
	case flows.OpEq, flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if l.Want.Kind != "number" {
			return sqlFalse
		}
		return c.intCompare(col, l.Op, l.Want.Num)
	case flows.OpIn:
		return c.intIn(col, setNumbers(l.Set))
	}
	return sqlFalse
}

// numberLeaf is a leaf on a numeric that is always present (score.<d>).
func (c *sqlCompiler) numberLeaf(l filtersql.Leaf, v string) sqlExpr {
	switch l.Op {
	case flows.OpExists:
		return sqlTrue
	case flows.OpEq, flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if l.Want.Kind != "number" {
			return sqlFalse
		}
		return c.numericCompare(v, l.Op, l.Want.Num)
	case flows.OpIn:
		return c.numericIn(v, setNumbers(l.Set))
	}
	return sqlFalse
}

// setNumbers is the numbers of an in list, once each.
func setNumbers(set []filtersql.Want) []float64 {
	var out []float64
	seen := map[float64]bool{}
	for _, w := range set {
		if w.Kind == "number" && !seen[w.Num] {
			seen[w.Num] = true
			out = append(out, w.Num)
		}
	}
	return out
}

var sqlOrderOps = map[flows.Op]string{flows.OpGt: ">", flows.OpGte: ">=", flows.OpLt: "<", flows.OpLte: "<="}

// msLeaf is a leaf on a Unix-ms column (created_at, last_activity_at);
// the caller guards against NULL.
func (c *sqlCompiler) msLeaf(l filtersql.Leaf, col string) sqlExpr {
	switch l.Op {
	case flows.OpExists:
		return sqlTrue
	case flows.OpEq:
		if !l.Want.IsTime {
			return sqlFalse
		}
		return c.msCompare(col, flows.OpEq, l.Want.T)
	case flows.OpIn:
		var list []int64
		for _, w := range l.Set {
			if ms, exact := filtersql.MsOf(w.T); w.IsTime && exact {
				list = append(list, ms)
			}
		}
		switch len(list) {
		case 0:
			return sqlFalse
		case 1:
			return sqlExpr{text: col + " = " + c.args.int(list[0])}
		}
		return sqlExpr{text: col + " = ANY(" + c.args.ints(list) + ")"}
	case flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if !l.Want.IsTime {
			return sqlFalse
		}
		return c.msCompare(col, l.Op, l.Want.T)
	case flows.OpOlderThan:
		return c.msCompare(col, flows.OpLt, l.Since)
	case flows.OpNewerThan:
		return c.msCompare(col, flows.OpGte, l.Since)
	}
	return sqlFalse
}

// msCompare compares a whole-ms column with a nanosecond time exactly, by
// filtersql.MsBound.
func (c *sqlCompiler) msCompare(col string, op flows.Op, t time.Time) sqlExpr {
	sym, q, ok := filtersql.MsBound(op, t)
	if !ok {
		return sqlFalse
	}
	return sqlExpr{text: col + " " + sym + " " + c.args.int(q)}
}
