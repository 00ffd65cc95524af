package postgres

import (
	"strings"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Values inside jsonb documents (attributes, event properties) and the
// scalar comparisons every leaf ends in, as flows' matchScalar makes them.

// jsonPath is where a field's value is in a JSON document: the choice flows'
// lookup makes among candidates, in order.
type jsonPath []jsonCandidate

// jsonCandidate: when key is a top-level key of the document, the value is
// the key's, walked through nested objects one label at a time.
type jsonCandidate struct {
	key    string
	labels []string
}

// jsonPathOf resolves a dotted field name as flows' lookupField does: the
// whole name first, then each shorter dotted prefix the Subject knows, whose
// value is walked one label per dot. prefix is the family of a contact
// field ("attributes."), whose Subject knows only names with something after
// it; "" for event properties, where every prefix is a key.
func jsonPathOf(field, prefix string) jsonPath {
	p := jsonPath{{key: strings.TrimPrefix(field, prefix)}}
	for end := strings.LastIndexByte(field, '.'); end > 0; end = strings.LastIndexByte(field[:end], '.') {
		head := field[:end]
		if prefix != "" {
			rest, ok := strings.CutPrefix(head, prefix)
			if !ok || rest == "" {
				continue // "attributes" and "attributes." are no fields
			}
			head = rest
		}
		p = append(p, jsonCandidate{key: head, labels: strings.Split(field[end+1:], ".")})
	}
	return p
}

// jsonNone is the value of a path that no document can hold.
const jsonNone = "NULL::jsonb"

// jsonValue is the jsonb value at path in doc, NULL when absent. The text
// operator -> yields NULL on a missing key and on anything but an object, so
// a walk never indexes an array (flows' walk reads objects only) and
// "(doc -> key) IS NOT NULL" is "key is present", even holding null.
func (c *sqlCompiler) jsonValue(doc string, path jsonPath) string {
	var whens []string
	for _, cand := range path {
		if !storable(cand.key) {
			continue // never present: look further, as flows does
		}
		present := "(" + doc + " -> " + c.args.text(cand.key) + ")"
		value := present
		for _, label := range cand.labels {
			if !storable(label) {
				value = jsonNone
				break
			}
			value = "(" + value + " -> " + c.args.text(label) + ")"
		}
		if len(whens) == 0 && len(cand.labels) == 0 && len(path) == 1 {
			return present
		}
		whens = append(whens, " WHEN "+present+" IS NOT NULL THEN "+value)
	}
	if len(whens) == 0 {
		return jsonNone
	}
	return "(CASE" + strings.Join(whens, "") + " END)"
}

// jsonLeaf compiles a leaf on a value inside a jsonb document column (an
// attribute, an event property): a scalar is tested itself, an array
// element by element, an object never; contains is a substring test on a
// string and element equality in an array.
func (c *sqlCompiler) jsonLeaf(l filtersql.Leaf, doc string, path jsonPath) (sqlExpr, error) {
	x := c.jsonValue(doc, path)
	if x == jsonNone {
		return sqlFalse, nil // absent: exists and every positive op fail
	}
	if l.Op == flows.OpExists {
		return sqlExpr{text: "COALESCE(jsonb_typeof(" + x + ") <> 'null', false)"}, nil
	}
	elemOp := l.Op
	if elemOp == flows.OpContains {
		elemOp = flows.OpEq
	}
	j := c.alias("j")
	elem, err := c.scalarCase(l, elemOp, j+".e", "")
	if err != nil {
		return sqlExpr{}, err
	}
	array := ""
	if elem.text != "false" {
		array = "EXISTS (SELECT 1 FROM jsonb_array_elements(" + x + ") " + j + "(e) WHERE " + elem.text + ")"
	}
	return c.scalarCase(l, l.Op, x, array)
}

// scalarCase is op on the jsonb value x by its JSON type: flows' matchScalar
// on a string, number or boolean, array (when not "") on an array, false on
// anything else. It is never NULL.
func (c *sqlCompiler) scalarCase(l filtersql.Leaf, op flows.Op, x, array string) (sqlExpr, error) {
	str, err := c.textPred(l, op, "(("+x+" #>> '{}') COLLATE \"C\")")
	if err != nil {
		return sqlExpr{}, err
	}
	branches := []struct{ typ, pred string }{
		{"array", array},
		{"string", str.text},
		{"number", c.numberPred(l, op, "("+x+")::numeric").text},
		{"boolean", boolPred(l, op, x).text},
	}
	var b strings.Builder
	for _, br := range branches {
		if br.pred == "" || br.pred == "false" {
			continue
		}
		b.WriteString(" WHEN '" + br.typ + "' THEN " + br.pred)
	}
	if b.Len() == 0 {
		return sqlFalse, nil
	}
	return sqlExpr{text: "(CASE jsonb_typeof(" + x + ")" + b.String() + " ELSE false END)"}, nil
}

// textPred is flows' matchString for op on a text t (COLLATE "C", repeated
// in the result): false unless t holds what op looks for. For a non-NULL t
// the result is never NULL.
func (c *sqlCompiler) textPred(l filtersql.Leaf, op flows.Op, t string) (sqlExpr, error) {
	w := l.Want
	switch op {
	case flows.OpEq:
		if w.Kind != "string" || !storable(w.Lower) {
			return sqlFalse, nil
		}
		f, err := c.fold(t, []string{w.Lower})
		if err != nil {
			return sqlExpr{}, err
		}
		return sqlExpr{text: f + " = " + c.args.text(w.Lower)}, nil
	case flows.OpIn:
		var strs []string
		seen := map[string]bool{}
		for _, s := range l.Set {
			if s.Kind == "string" && storable(s.Lower) && !seen[s.Lower] {
				seen[s.Lower] = true
				strs = append(strs, s.Lower)
			}
		}
		if len(strs) == 0 {
			return sqlFalse, nil
		}
		f, err := c.fold(t, strs)
		if err != nil {
			return sqlExpr{}, err
		}
		if len(strs) == 1 {
			return sqlExpr{text: f + " = " + c.args.text(strs[0])}, nil
		}
		return sqlExpr{text: f + " = ANY(" + c.args.texts(strs) + ")"}, nil
	case flows.OpContains, flows.OpStartsWith, flows.OpEndsWith:
		if w.Kind != "string" || !storable(w.Lower) {
			return sqlFalse, nil
		}
		if w.Lower == "" {
			return sqlTrue, nil
		}
		f, err := c.fold(t, []string{w.Lower})
		if err != nil {
			return sqlExpr{}, err
		}
		// Byte comparisons of valid UTF-8: a byte match is a rune match.
		switch op {
		case flows.OpContains:
			return sqlExpr{text: "strpos(" + f + ", " + c.args.text(w.Lower) + ") > 0"}, nil
		case flows.OpStartsWith:
			return sqlExpr{text: "starts_with(" + f + ", " + c.args.text(w.Lower) + ")"}, nil
		}
		n := int64(utf8.RuneCountInString(w.Lower))
		return sqlExpr{text: "right(" + f + ", " + c.args.bind(n, "integer") + ") = " + c.args.text(w.Lower)}, nil
	case flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if w.IsTime {
			return c.timeText(t, sqlOrderOps[op], w.T.Unix(), int64(w.T.Nanosecond())), nil
		}
		if w.Kind != "number" {
			return sqlFalse, nil
		}
		return c.numericText(t, op, w.Num), nil
	case flows.OpOlderThan:
		// A time before since is older; any other time is newer.
		return c.timeText(t, "<", l.Since.Unix(), int64(l.Since.Nanosecond())), nil
	case flows.OpNewerThan:
		return c.timeText(t, ">=", l.Since.Unix(), int64(l.Since.Nanosecond())), nil
	}
	return sqlFalse, nil
}

// numberPred is flows' matchNumber for op on an exact numeric v.
func (c *sqlCompiler) numberPred(l filtersql.Leaf, op flows.Op, v string) sqlExpr {
	switch op {
	case flows.OpEq, flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte:
		if l.Want.Kind != "number" {
			return sqlFalse
		}
		return c.numericCompare(v, op, l.Want.Num)
	case flows.OpIn:
		return c.numericIn(v, setNumbers(l.Set))
	}
	return sqlFalse
}

// boolPred is flows' matchBool for op on a jsonb boolean x.
func boolPred(l filtersql.Leaf, op flows.Op, x string) sqlExpr {
	hasTrue, hasFalse := false, false
	switch op {
	case flows.OpEq:
		if l.Want.Kind != "bool" {
			return sqlFalse
		}
		hasTrue, hasFalse = l.Want.B, !l.Want.B
	case flows.OpIn:
		for _, w := range l.Set {
			if w.Kind == "bool" {
				hasTrue, hasFalse = hasTrue || w.B, hasFalse || !w.B
			}
		}
	}
	switch {
	case hasTrue && hasFalse:
		return sqlTrue
	case hasTrue:
		return sqlExpr{text: x + " = 'true'::jsonb"}
	case hasFalse:
		return sqlExpr{text: x + " = 'false'::jsonb"}
	}
	return sqlFalse
}
