package sqlite

import (
	"encoding/json"
	"strings"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Values inside JSON documents (attributes, event properties) and the
// scalar comparisons every leaf ends in, as flows' matchScalar makes them.

// sqlPath is where a field's value is in a JSON document: a constant path,
// or for dotted names the choice flows' lookup makes among candidates.
type sqlPath struct {
	candidates []sqlPathCandidate
}

// sqlPathCandidate: when key (a one-label path) is present in the document,
// the value is at path.
type sqlPathCandidate struct {
	key, path string
}

// sqlJSONPath resolves a dotted field name as flows' lookupField does: the whole
// name first, then each shorter dotted prefix the Subject knows (for a
// contact, "attributes.<key>"), whose value is walked one label per dot.
func sqlJSONPath(field, prefix string, contact bool) sqlPath {
	name := strings.TrimPrefix(field, prefix)
	whole := "$." + sqlJSONLabel(name)
	p := sqlPath{candidates: []sqlPathCandidate{{key: whole, path: whole}}}
	for end := strings.LastIndexByte(field, '.'); end > 0; end = strings.LastIndexByte(field[:end], '.') {
		head := field[:end]
		if contact {
			if !strings.HasPrefix(head, prefix) {
				continue // "attributes" alone is no field
			}
			head = strings.TrimPrefix(head, prefix)
		}
		key := "$." + sqlJSONLabel(head)
		path := key
		for _, label := range strings.Split(field[end+1:], ".") {
			path += "." + sqlJSONLabel(label)
		}
		p.candidates = append(p.candidates, sqlPathCandidate{key: key, path: path})
	}
	return p
}

// sqlJSONLabel quotes an object key for an SQLite JSON path: SQLite reads a
// double-quoted label with JSON string escapes.
func sqlJSONLabel(key string) string {
	b, _ := json.Marshal(key) // a string always encodes
	return string(b)
}

// expr is the path as SQL: a parameter, or a CASE over the candidates
// (NULL when none is present, which every JSON function reads as missing).
func (p sqlPath) expr(doc string) sqlExpr {
	b := &sqlBuilder{}
	if len(p.candidates) == 1 {
		return b.arg(p.candidates[0].path).done()
	}
	b.w("(CASE")
	for _, cand := range p.candidates {
		b.w(" WHEN json_type(", doc, ", ").arg(cand.key).w(") IS NOT NULL THEN ").arg(cand.path)
	}
	return b.w(" END)").done()
}

// jsonLeaf compiles a leaf on a value inside a JSON document column (an
// attribute, an event property). json_each over the path yields the scalar
// itself (key NULL) or each element of an array (integer keys); an
// object's members (text keys) never match.
func (c *sqlCompiler) jsonLeaf(l filtersql.Leaf, doc string, path sqlPath) (sqlExpr, error) {
	if l.Op == flows.OpExists {
		return (&sqlBuilder{}).w("IFNULL(json_type(", doc, ", ").expr(path.expr(doc)).w("), 'null') <> 'null'").done(), nil
	}
	j := c.alias("j")
	var cond sqlExpr
	if l.Op == flows.OpContains {
		// A substring test on a string, element equality in an array.
		sub, err := sqlScalarPred(l, flows.OpContains, j+".value", j+".type")
		if err != nil {
			return sqlExpr{}, err
		}
		elem, err := sqlScalarPred(l, flows.OpEq, j+".value", j+".type")
		if err != nil {
			return sqlExpr{}, err
		}
		if sub.text == "0" && elem.text == "0" {
			return sqlFalse, nil
		}
		cond = (&sqlBuilder{}).w("(", j, ".key IS NULL AND (").expr(sub).w(")) OR (typeof(", j, ".key) = 'integer' AND (").expr(elem).w("))").done()
	} else {
		p, err := sqlScalarPred(l, l.Op, j+".value", j+".type")
		if err != nil {
			return sqlExpr{}, err
		}
		if p.text == "0" {
			return sqlFalse, nil
		}
		cond = (&sqlBuilder{}).w("typeof(", j, ".key) IN ('null', 'integer') AND (").expr(p).w(")").done()
	}
	b := &sqlBuilder{}
	b.w("EXISTS (SELECT 1 FROM json_each(", doc, ", ").expr(path.expr(doc)).w(") ", j, " WHERE ").expr(cond).w(")")
	return b.done(), nil
}

// sqlScalarPred is flows' matchScalar for op on one value v whose JSON type
// is t ('text', 'integer', 'real', 'true', 'false', 'null', 'array',
// 'object'). v and t are column references or literals: they are repeated.
// For a non-NULL v the result is never NULL.
func sqlScalarPred(l filtersql.Leaf, op flows.Op, v, t string) (sqlExpr, error) {
	w := l.Want
	b := &sqlBuilder{}
	isNum := t + " IN ('integer', 'real')"
	isText := t + " = 'text'"
	switch op {
	case flows.OpEq:
		switch w.Kind {
		case "string":
			f, err := sqlFold(v, []string{w.Lower})
			if err != nil {
				return sqlExpr{}, err
			}
			return b.w(isText, " AND ").expr(f).w(" = ").arg(w.Lower).done(), nil
		case "number":
			return b.w(isNum, " AND CAST(", v, " AS REAL) = ").arg(w.Num).done(), nil
		case "bool":
			if w.B {
				return sqlExpr{text: t + " = 'true'"}, nil
			}
			return sqlExpr{text: t + " = 'false'"}, nil
		}
		return sqlFalse, nil // eq null matches nothing
	case flows.OpIn:
		return sqlInPred(l.Set, v, t)
	case flows.OpContains:
		if w.Kind != "string" {
			return sqlFalse, nil
		}
		if w.Lower == "" {
			return sqlExpr{text: isText}, nil
		}
		f, err := sqlFold(v, []string{w.Lower})
		if err != nil {
			return sqlExpr{}, err
		}
		return b.w(isText, " AND instr(CAST(").expr(f).w(" AS BLOB), ").arg([]byte(w.Lower)).w(") > 0").done(), nil
	case flows.OpStartsWith, flows.OpEndsWith:
		if w.Kind != "string" {
			return sqlFalse, nil
		}
		if w.Lower == "" {
			return sqlExpr{text: isText}, nil
		}
		f, err := sqlFold(v, []string{w.Lower})
		if err != nil {
			return sqlExpr{}, err
		}
		// Bytes of UTF-8: a rune prefix is a byte prefix, and blobs keep NULs.
		b.w(isText, " AND substr(CAST(").expr(f).w(" AS BLOB), ")
		if op == flows.OpStartsWith {
			b.w("1, ").arg(len(w.Lower))
		} else {
			b.arg(-len(w.Lower))
		}
		return b.w(") = ").arg([]byte(w.Lower)).done(), nil
	case flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		sym := sqlOrderOps[op]
		if w.IsTime {
			valid, sec, nsec := rfc3339SQL(v)
			return b.w(isText, " AND ", valid, " AND (", sec, ", ", nsec, ") ", sym, " (").
				arg(w.T.Unix()).w(", ").arg(int64(w.T.Nanosecond())).w(")").done(), nil
		}
		if w.Kind != "number" {
			return sqlFalse, nil
		}
		valid, num := numericTextSQL(v)
		return b.w("(", isNum, " AND CAST(", v, " AS REAL) ", sym, " ").arg(w.Num).
			w(") OR (", isText, " AND ", valid, " AND ", num, " ", sym, " ").arg(w.Num).w(")").done(), nil
	case flows.OpOlderThan, flows.OpNewerThan:
		// A time before since is older; any other time is newer.
		sym := "<"
		if op == flows.OpNewerThan {
			sym = ">="
		}
		valid, sec, nsec := rfc3339SQL(v)
		return b.w(isText, " AND ", valid, " AND (", sec, ", ", nsec, ") ", sym, " (").
			arg(l.Since.Unix()).w(", ").arg(int64(l.Since.Nanosecond())).w(")").done(), nil
	}
	return sqlFalse, nil
}

// sqlIn writes " IN (list)" after what b holds: one parameter per value,
// or for a long list one JSON array parameter read back as elem (an
// expression of json_each's value column).
func sqlIn(b *sqlBuilder, list []any, elem string) *sqlBuilder {
	if len(list) > sqlInListMax {
		doc, _ := json.Marshal(list) // strings, float64s and int64s always encode
		return b.w(" IN (SELECT ", elem, " FROM json_each(").arg(string(doc)).w("))")
	}
	b.w(" IN (")
	for i, v := range list {
		if i > 0 {
			b.w(", ")
		}
		b.arg(v)
	}
	return b.w(")")
}

// sqlInPred is flows' valueSet lookup: strings case-insensitively, numbers,
// booleans; null items match nothing and time items only time fields.
func sqlInPred(set []filtersql.Want, v, t string) (sqlExpr, error) {
	var strs []string
	var nums []any
	hasTrue, hasFalse := false, false
	seen := map[string]bool{}
	for _, w := range set {
		switch w.Kind {
		case "string":
			if !seen[w.Lower] {
				seen[w.Lower] = true
				strs = append(strs, w.Lower)
			}
		case "number":
			nums = append(nums, w.Num)
		case "bool":
			hasTrue = hasTrue || w.B
			hasFalse = hasFalse || !w.B
		}
	}
	var parts []sqlExpr
	if len(strs) > 0 {
		f, err := sqlFold(v, strs)
		if err != nil {
			return sqlExpr{}, err
		}
		list := make([]any, len(strs))
		for i, s := range strs {
			list[i] = s
		}
		parts = append(parts, sqlIn((&sqlBuilder{}).w(t, " = 'text' AND ").expr(f), list, "value").done())
	}
	if len(nums) > 0 {
		parts = append(parts, sqlIn((&sqlBuilder{}).w(t, " IN ('integer', 'real') AND CAST(", v, " AS REAL)"), nums, "CAST(value AS REAL)").done())
	}
	if hasTrue {
		parts = append(parts, sqlExpr{text: t + " = 'true'"})
	}
	if hasFalse {
		parts = append(parts, sqlExpr{text: t + " = 'false'"})
	}
	if len(parts) == 0 {
		return sqlFalse, nil
	}
	b := &sqlBuilder{}
	for i, p := range parts {
		if i > 0 {
			b.w(" OR ")
		}
		b.w("(").expr(p).w(")")
	}
	return b.done(), nil
}
