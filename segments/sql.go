package segments

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// ErrNoSQL is what SQL returns for a filter it cannot compile faithfully;
// the caller evaluates that filter contact by contact instead.
var ErrNoSQL = errors.New("filter cannot be compiled to SQL")

// sqlInListMax is the list length from which in/nin pass their values as one
// JSON array parameter rather than one parameter each, so a long list stays
// far from SQLite's variable limit.
const sqlInListMax = 64

// SQL compiles a contact filter to an SQLite boolean expression over the contacts table aliased "c", reading a contact's
// events from table "events" (correlated subqueries on events.contact_id = c.id, which has index (contact_id, type, ts)).
// now fixes older_than/newer_than and "within". The expression gives exactly the same answer as f.Match on the
// engine's view of the same contact (property-tested).
//
// The expression is always 0 or 1, never NULL, so NOT (expr) selects
// exactly the contacts outside. Values, JSON paths and event types are
// bound parameters (args, in order of their "?"); nothing from the filter is
// spliced into the SQL text. A nil filter is "1".
//
// How the Go semantics (flows.Filter) are reproduced:
//
//   - Attributes and event properties are read with json_each over the
//     resolved path, so a scalar and every element of an array are tested
//     alike; JSON types (json_each's type column) keep numbers, strings and
//     booleans apart, so true never equals 1 and "25" never equals 25.
//     A dotted name resolves as flows' lookup does: the whole name as one
//     key first, then ever shorter dotted prefixes, the first present key
//     (even holding null) walked through nested objects. Keys are quoted as
//     JSON strings inside the path, which SQLite unescapes.
//   - Case-insensitive text: SQLite's lower() folds ASCII only, so for each
//     non-ASCII rune of the filter's lowercased value every other rune that
//     unicode.ToLower maps to it (É → é, K → k, İ → i) is replaced
//     first; for the runes the filter's text holds this is exactly Go's
//     rune-by-rune lowering.
//   - Numbers compare as float64 (CAST AS REAL, as Go converts int64 and
//     JSON integers). A string is a number for gt/gte/lt/lte when it has
//     the decimal syntax strconv.ParseFloat accepts (sign, digits with
//     Go's underscore rules, fraction, exponent) and is finite.
//   - RFC3339 strings are validated as time.Parse(time.RFC3339) does
//     (one-digit hours, ',' fractions, offsets up to ±24:60, day of month
//     per year) and compared as (Unix seconds, nanoseconds) row values;
//     created_at and last_activity_at are Unix ms compared with exact ms
//     bounds of the filter's nanosecond times.
//   - Behaviour leaves are correlated subqueries on events, EXISTS or a
//     COUNT over at most the rows the threshold needs; "within" keeps
//     events with ts >= the window start in Unix ms, as the store does.
//
// Known differences, all in data rather than in filters (so SQL cannot
// refuse them up front), none produced by Scoreflow's own writers: a string
// in Go's hexadecimal float syntax ("0x1p-2") is a number to gt/gte/lt/lte
// in Go but not in SQL; numeric text or a raw JSON number with more than 19
// significant digits may round differently in the last bit (SQLite's
// text-to-real conversion reads about 19 digits); raw event properties with
// duplicate keys (Go keeps the last, SQLite the first), invalid UTF-8 or
// lone surrogate escapes. JSON nested deeper than SQLite's limit (1000
// levels) makes the query fail rather than answer wrongly. Times are
// compared as stored, in whole ms: a contact the engine holds in memory with
// a finer created_at or last_activity_at may differ within that ms.
func SQL(f *flows.Filter, now time.Time) (expr string, args []any, err error) {
	if f == nil {
		return "1", nil, nil
	}
	if f.Kind() != flows.ContactFilter {
		return "", nil, fmt.Errorf("%w: %s is not a contact filter", ErrNoSQL, f.Kind())
	}
	raw, err := f.MarshalJSON()
	if err != nil {
		return "", nil, fmt.Errorf("compile filter to SQL: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return "", nil, fmt.Errorf("compile filter to SQL: %w", err)
	}
	c := &sqlCompiler{now: now}
	e, err := c.node(tree, "")
	if err != nil {
		return "", nil, err
	}
	// Parenthesised, so the caller may write "expr AND ..." safely.
	return "(" + e.text + ")", e.args, nil
}

// sqlExpr is a piece of SQL and the arguments of its placeholders, in order.
type sqlExpr struct {
	text    string
	args    []any
	history bool // reads events: evaluated after field conditions
}

var (
	sqlTrue  = sqlExpr{text: "1"}
	sqlFalse = sqlExpr{text: "0"}
)

// sqlBuilder concatenates SQL text and arguments.
type sqlBuilder struct {
	sb   strings.Builder
	args []any
}

func (b *sqlBuilder) w(parts ...string) *sqlBuilder {
	for _, p := range parts {
		b.sb.WriteString(p)
	}
	return b
}

// arg writes a placeholder bound to v.
func (b *sqlBuilder) arg(v any) *sqlBuilder {
	b.sb.WriteByte('?')
	b.args = append(b.args, v)
	return b
}

func (b *sqlBuilder) expr(e sqlExpr) *sqlBuilder {
	b.sb.WriteString(e.text)
	b.args = append(b.args, e.args...)
	return b
}

func (b *sqlBuilder) done() sqlExpr { return sqlExpr{text: b.sb.String(), args: b.args} }

type sqlCompiler struct {
	now     time.Time
	aliases int
}

// alias names a subquery's table uniquely, so nested subqueries never
// shadow each other or the caller's "c".
func (c *sqlCompiler) alias(prefix string) string {
	c.aliases++
	return prefix + strconv.Itoa(c.aliases)
}

// node compiles a filter node. props is "" for a contact filter, else the
// column holding the event properties a behaviour leaf's where reads.
func (c *sqlCompiler) node(v any, props string) (sqlExpr, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return sqlExpr{}, fmt.Errorf("%w: unexpected filter node %T", ErrNoSQL, v)
	}
	switch {
	case obj["all"] != nil:
		return c.combine(obj["all"], props, " AND ", sqlTrue)
	case obj["any"] != nil:
		return c.combine(obj["any"], props, " OR ", sqlFalse)
	case obj["not"] != nil:
		e, err := c.node(obj["not"], props)
		if err != nil {
			return sqlExpr{}, err
		}
		return sqlNot(e), nil
	case obj["event"] != nil:
		if props != "" {
			return sqlExpr{}, fmt.Errorf("%w: behaviour condition inside an event filter", ErrNoSQL)
		}
		return c.behaviour(obj)
	case obj["field"] != nil:
		return c.field(obj, props)
	}
	return sqlExpr{}, fmt.Errorf("%w: unknown filter node %v", ErrNoSQL, obj)
}

func sqlNot(e sqlExpr) sqlExpr {
	switch e.text {
	case "1":
		return sqlFalse
	case "0":
		return sqlTrue
	}
	return sqlExpr{text: "NOT (" + e.text + ")", args: e.args, history: e.history}
}

// combine joins children with AND or OR, field conditions before behaviour
// conditions as flows evaluates them (the cheap ones settle most rows).
func (c *sqlCompiler) combine(v any, props, sep string, empty sqlExpr) (sqlExpr, error) {
	list, ok := v.([]any)
	if !ok {
		return sqlExpr{}, fmt.Errorf("%w: all/any is not a list", ErrNoSQL)
	}
	var cheap, costly []sqlExpr
	for _, child := range list {
		e, err := c.node(child, props)
		if err != nil {
			return sqlExpr{}, err
		}
		if e.history {
			costly = append(costly, e)
		} else {
			cheap = append(cheap, e)
		}
	}
	parts := append(cheap, costly...)
	if len(parts) == 0 {
		return empty, nil
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	b := &sqlBuilder{}
	b.w("(")
	history := false
	for i, p := range parts {
		if i > 0 {
			b.w(sep)
		}
		b.w("(").expr(p).w(")")
		history = history || p.history
	}
	b.w(")")
	e := b.done()
	e.history = history
	return e, nil
}

// behaviour compiles {"event", "where", "within", "count"}.
func (c *sqlCompiler) behaviour(obj map[string]any) (sqlExpr, error) {
	event, ok := obj["event"].(string)
	if !ok {
		return sqlExpr{}, fmt.Errorf("%w: event is not a string", ErrNoSQL)
	}
	e := c.alias("e")
	from := &sqlBuilder{}
	from.w("FROM events ", e, " WHERE ", e, ".contact_id = c.id AND ", e, ".type = ").arg(event)
	if within, ok := obj["within"].(string); ok && within != "" {
		d, err := model.ParseDuration(within)
		if err != nil {
			return sqlExpr{}, fmt.Errorf("%w: within: %v", ErrNoSQL, err)
		}
		if d > 0 {
			// As the store's CountContactEvents: ts >= the window start in ms.
			from.w(" AND ", e, ".ts >= ").arg(c.now.Add(-time.Duration(d)).UnixMilli())
		}
	}
	if where := obj["where"]; where != nil {
		w, err := c.node(where, e+".properties")
		if err != nil {
			return sqlExpr{}, err
		}
		if w.text != "1" {
			from.w(" AND (").expr(w).w(")")
		}
	}
	op, n := "gte", int64(1)
	if cnt, ok := obj["count"].(map[string]any); ok {
		op, _ = cnt["op"].(string)
		f, ok := cnt["value"].(float64)
		if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
			return sqlExpr{}, fmt.Errorf("%w: count value %v", ErrNoSQL, cnt["value"])
		}
		n = int64(f)
	}
	sub := from.done()
	var out sqlExpr
	switch op {
	case "gte":
		out = sqlAtLeast(sub, n)
	case "gt":
		out = sqlAtLeast(sub, n+1)
	case "lt":
		out = sqlNot(sqlAtLeast(sub, n))
	case "lte":
		out = sqlNot(sqlAtLeast(sub, n+1))
	case "eq":
		out = sqlExactly(sub, n)
	case "neq":
		out = sqlNot(sqlExactly(sub, n))
	default:
		return sqlExpr{}, fmt.Errorf("%w: count op %q", ErrNoSQL, op)
	}
	out.history = true
	return out, nil
}

// sqlAtLeast is "at least n rows in sub", reading no more than n of them.
func sqlAtLeast(sub sqlExpr, n int64) sqlExpr {
	switch {
	case n <= 0:
		return sqlTrue
	case n == 1:
		return (&sqlBuilder{}).w("EXISTS (SELECT 1 ").expr(sub).w(")").done()
	}
	b := &sqlBuilder{}
	b.w("(SELECT COUNT(*) FROM (SELECT 1 ").expr(sub).w(" LIMIT ").arg(n).w(")) >= ").arg(n)
	return b.done()
}

// sqlExactly is "exactly n rows in sub", reading no more than n+1 of them.
func sqlExactly(sub sqlExpr, n int64) sqlExpr {
	if n == 0 {
		return sqlNot(sqlAtLeast(sub, 1))
	}
	b := &sqlBuilder{}
	b.w("(SELECT COUNT(*) FROM (SELECT 1 ").expr(sub).w(" LIMIT ").arg(n + 1).w(")) = ").arg(n)
	return b.done()
}

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
	return sqlWant{}, fmt.Errorf("%w: unexpected value %T", ErrNoSQL, v)
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
	op    string // eq in contains exists gt gte lt lte starts_with ends_with older_than newer_than
	want  sqlWant
	set   []sqlWant
	since time.Time // older_than/newer_than: now minus the span
}

func (c *sqlCompiler) field(obj map[string]any, props string) (sqlExpr, error) {
	l := sqlLeaf{}
	l.field, _ = obj["field"].(string)
	op, _ := obj["op"].(string)
	negate := false
	switch op {
	case "neq":
		op, negate = "eq", true
	case "nin":
		op, negate = "in", true
	case "not_contains":
		op, negate = "contains", true
	case "not_exists":
		op, negate = "exists", true
	}
	l.op = op
	switch op {
	case "exists":
	case "in":
		list, ok := obj["value"].([]any)
		if !ok {
			return sqlExpr{}, fmt.Errorf("%w: in needs a list", ErrNoSQL)
		}
		for _, v := range list {
			w, err := sqlWantOf(v)
			if err != nil {
				return sqlExpr{}, err
			}
			l.set = append(l.set, w)
		}
	case "older_than", "newer_than":
		s, _ := obj["value"].(string)
		d, err := model.ParseDuration(s)
		if err != nil {
			return sqlExpr{}, fmt.Errorf("%w: %s: %v", ErrNoSQL, op, err)
		}
		l.since = c.now.Add(-time.Duration(d))
	case "eq", "contains", "gt", "gte", "lt", "lte", "starts_with", "ends_with":
		w, err := sqlWantOf(obj["value"])
		if err != nil {
			return sqlExpr{}, err
		}
		l.want = w
	default:
		return sqlExpr{}, fmt.Errorf("%w: unknown op %q", ErrNoSQL, op)
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

// contactLeaf compiles the positive op of a leaf on a contact field.
func (c *sqlCompiler) contactLeaf(l sqlLeaf) (sqlExpr, error) {
	switch f := l.field; {
	case f == "score":
		return sqlNumberLeaf(l, sqlExpr{text: "CAST(c.score AS REAL)"}), nil
	case strings.HasPrefix(f, "score.") && len(f) > len("score."):
		// A dimension never scored reads 0.
		path := "$." + sqlJSONLabel(strings.TrimPrefix(f, "score."))
		v := (&sqlBuilder{}).w("CAST(IFNULL(json_extract(c.scores, ").arg(path).w("), 0) AS REAL)").done()
		return sqlNumberLeaf(l, v), nil
	case f == "grade" || f == "deal_stage":
		col := "c." + f // "" is no grade, no stage
		if l.op == "exists" {
			return sqlExpr{text: col + " <> ''"}, nil
		}
		p, err := sqlScalarPred(l, l.op, col, "'text'")
		if err != nil || p.text == "0" {
			return p, err
		}
		return (&sqlBuilder{}).w(col, " <> '' AND (").expr(p).w(")").done(), nil
	case f == "tags" || f == "segments":
		col := "c." + f
		if l.op == "exists" {
			return sqlExpr{text: "json_type(" + col + ") IS 'array'"}, nil
		}
		op := l.op
		if op == "contains" {
			op = "eq" // contains on an array: has the element
		}
		j := c.alias("j")
		p, err := sqlScalarPred(l, op, j+".value", j+".type")
		if err != nil || p.text == "0" {
			return p, err
		}
		return (&sqlBuilder{}).w("EXISTS (SELECT 1 FROM json_each(", col, ") ", j, " WHERE ").expr(p).w(")").done(), nil
	case f == "disqualified":
		if l.op != "eq" || l.want.kind != "bool" {
			return sqlExpr{}, fmt.Errorf("%w: disqualified takes eq/neq true/false", ErrNoSQL)
		}
		if l.want.b {
			return sqlExpr{text: "c.disqualified_at IS NOT NULL"}, nil
		}
		return sqlExpr{text: "c.disqualified_at IS NULL"}, nil
	case f == "created_at":
		return sqlMsLeaf(l, "c.created_at"), nil
	case f == "last_activity_at":
		if l.op == "exists" {
			return sqlExpr{text: "c.last_activity_at IS NOT NULL"}, nil
		}
		p := sqlMsLeaf(l, "c.last_activity_at")
		if p.text == "0" {
			return p, nil
		}
		return (&sqlBuilder{}).w("c.last_activity_at IS NOT NULL AND (").expr(p).w(")").done(), nil
	case strings.HasPrefix(f, "attributes.") && len(f) > len("attributes."):
		return c.jsonLeaf(l, "c.attributes", sqlJSONPath(f, "attributes.", true))
	}
	return sqlExpr{}, fmt.Errorf("%w: unknown contact field %q", ErrNoSQL, l.field)
}

// sqlNumberLeaf is a leaf on a number that is always present (score, score.<d>).
func sqlNumberLeaf(l sqlLeaf, v sqlExpr) sqlExpr {
	switch l.op {
	case "exists":
		return sqlTrue
	case "eq":
		if l.want.kind != "number" {
			return sqlFalse
		}
		return (&sqlBuilder{}).expr(v).w(" = ").arg(l.want.num).done()
	case "in":
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
	case "gt", "gte", "lt", "lte":
		if l.want.kind != "number" {
			return sqlFalse
		}
		return (&sqlBuilder{}).expr(v).w(" ", sqlOrderOps[l.op], " ").arg(l.want.num).done()
	}
	return sqlFalse
}

var sqlOrderOps = map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

// sqlMsLeaf is a leaf on a Unix-ms column (created_at, last_activity_at);
// the caller guards against NULL.
func sqlMsLeaf(l sqlLeaf, col string) sqlExpr {
	switch l.op {
	case "exists":
		return sqlTrue
	case "eq":
		if !l.want.isTime {
			return sqlFalse
		}
		return sqlMsCompare(col, "eq", l.want.t)
	case "in":
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
	case "gt", "gte", "lt", "lte":
		if !l.want.isTime {
			return sqlFalse
		}
		return sqlMsCompare(col, l.op, l.want.t)
	case "older_than":
		return sqlMsCompare(col, "lt", l.since)
	case "newer_than":
		return sqlMsCompare(col, "gte", l.since)
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
func sqlMsCompare(col, op string, t time.Time) sqlExpr {
	q, exact := sqlMsOf(t)
	b := &sqlBuilder{}
	switch op {
	case "eq":
		if !exact {
			return sqlFalse
		}
		b.w(col, " = ")
	case "gt":
		b.w(col, " > ")
	case "gte":
		if exact {
			b.w(col, " >= ")
		} else {
			b.w(col, " > ")
		}
	case "lt":
		if exact {
			b.w(col, " < ")
		} else {
			b.w(col, " <= ")
		}
	case "lte":
		b.w(col, " <= ")
	}
	return b.arg(q).done()
}

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
func (c *sqlCompiler) jsonLeaf(l sqlLeaf, doc string, path sqlPath) (sqlExpr, error) {
	if l.op == "exists" {
		return (&sqlBuilder{}).w("IFNULL(json_type(", doc, ", ").expr(path.expr(doc)).w("), 'null') <> 'null'").done(), nil
	}
	j := c.alias("j")
	var cond sqlExpr
	if l.op == "contains" {
		// A substring test on a string, element equality in an array.
		sub, err := sqlScalarPred(l, "contains", j+".value", j+".type")
		if err != nil {
			return sqlExpr{}, err
		}
		elem, err := sqlScalarPred(l, "eq", j+".value", j+".type")
		if err != nil {
			return sqlExpr{}, err
		}
		if sub.text == "0" && elem.text == "0" {
			return sqlFalse, nil
		}
		cond = (&sqlBuilder{}).w("(", j, ".key IS NULL AND (").expr(sub).w(")) OR (typeof(", j, ".key) = 'integer' AND (").expr(elem).w("))").done()
	} else {
		p, err := sqlScalarPred(l, l.op, j+".value", j+".type")
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
func sqlScalarPred(l sqlLeaf, op, v, t string) (sqlExpr, error) {
	w := l.want
	b := &sqlBuilder{}
	isNum := t + " IN ('integer', 'real')"
	isText := t + " = 'text'"
	switch op {
	case "eq":
		switch w.kind {
		case "string":
			f, err := sqlFold(v, []string{w.lower})
			if err != nil {
				return sqlExpr{}, err
			}
			return b.w(isText, " AND ").expr(f).w(" = ").arg(w.lower).done(), nil
		case "number":
			return b.w(isNum, " AND CAST(", v, " AS REAL) = ").arg(w.num).done(), nil
		case "bool":
			if w.b {
				return sqlExpr{text: t + " = 'true'"}, nil
			}
			return sqlExpr{text: t + " = 'false'"}, nil
		}
		return sqlFalse, nil // eq null matches nothing
	case "in":
		return sqlInPred(l.set, v, t)
	case "contains":
		if w.kind != "string" {
			return sqlFalse, nil
		}
		if w.lower == "" {
			return sqlExpr{text: isText}, nil
		}
		f, err := sqlFold(v, []string{w.lower})
		if err != nil {
			return sqlExpr{}, err
		}
		return b.w(isText, " AND instr(CAST(").expr(f).w(" AS BLOB), ").arg([]byte(w.lower)).w(") > 0").done(), nil
	case "starts_with", "ends_with":
		if w.kind != "string" {
			return sqlFalse, nil
		}
		if w.lower == "" {
			return sqlExpr{text: isText}, nil
		}
		f, err := sqlFold(v, []string{w.lower})
		if err != nil {
			return sqlExpr{}, err
		}
		// Bytes of UTF-8: a rune prefix is a byte prefix, and blobs keep NULs.
		b.w(isText, " AND substr(CAST(").expr(f).w(" AS BLOB), ")
		if op == "starts_with" {
			b.w("1, ").arg(len(w.lower))
		} else {
			b.arg(-len(w.lower))
		}
		return b.w(") = ").arg([]byte(w.lower)).done(), nil
	case "gt", "gte", "lt", "lte":
		sym := sqlOrderOps[op]
		if w.isTime {
			valid, sec, nsec := rfc3339SQL(v)
			return b.w(isText, " AND ", valid, " AND (", sec, ", ", nsec, ") ", sym, " (").
				arg(w.t.Unix()).w(", ").arg(int64(w.t.Nanosecond())).w(")").done(), nil
		}
		if w.kind != "number" {
			return sqlFalse, nil
		}
		valid, num := numericTextSQL(v)
		return b.w("(", isNum, " AND CAST(", v, " AS REAL) ", sym, " ").arg(w.num).
			w(") OR (", isText, " AND ", valid, " AND ", num, " ", sym, " ").arg(w.num).w(")").done(), nil
	case "older_than", "newer_than":
		// A time before since is older; any other time is newer.
		sym := "<"
		if op == "newer_than" {
			sym = ">="
		}
		valid, sec, nsec := rfc3339SQL(v)
		return b.w(isText, " AND ", valid, " AND (", sec, ", ", nsec, ") ", sym, " (").
			arg(l.since.Unix()).w(", ").arg(int64(l.since.Nanosecond())).w(")").done(), nil
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
func sqlInPred(set []sqlWant, v, t string) (sqlExpr, error) {
	var strs []string
	var nums []any
	hasTrue, hasFalse := false, false
	seen := map[string]bool{}
	for _, w := range set {
		switch w.kind {
		case "string":
			if !seen[w.lower] {
				seen[w.lower] = true
				strs = append(strs, w.lower)
			}
		case "number":
			nums = append(nums, w.num)
		case "bool":
			hasTrue = hasTrue || w.b
			hasFalse = hasFalse || !w.b
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

// sqlCaseTable maps each rune that unicode.ToLower produces from some other
// rune to the non-ASCII runes it is produced from (the ASCII ones are
// lower()'s business), and records runes that ToLower would change again.
type sqlCaseTable struct {
	from    map[rune][]rune
	unfixed map[rune]bool // ToLower(r) != r
}

var sqlLowerTable = sync.OnceValue(func() sqlCaseTable {
	ct := sqlCaseTable{from: map[rune][]rune{}, unfixed: map[rune]bool{}}
	// unicode.ToLower changes only runes of unicode.CaseRanges.
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			l := unicode.ToLower(r)
			if l == r {
				continue
			}
			ct.unfixed[r] = true
			if r >= utf8.RuneSelf {
				ct.from[l] = append(ct.from[l], r)
			}
		}
	}
	return ct
})

// fold is v lowercased as flows compares it with the lowercased texts
// wants: lower() for ASCII, then for every rune of the wants each other
// non-ASCII rune that lowercases to it replaced by it. Runes of v that
// lowercase to none of the wants' runes match none of them either way.
func sqlFold(v string, wants []string) (sqlExpr, error) {
	ct := sqlLowerTable()
	type pair struct{ from, to rune }
	var pairs []pair
	seen := map[rune]bool{}
	for _, w := range wants {
		if !utf8.ValidString(w) {
			return sqlExpr{}, fmt.Errorf("%w: value %q is not valid UTF-8", ErrNoSQL, w)
		}
		for _, q := range w {
			if seen[q] {
				continue
			}
			seen[q] = true
			if ct.unfixed[q] {
				// Lowercase text that lowercases again: SQL could not
				// tell which runes Go would match to it.
				return sqlExpr{}, fmt.Errorf("%w: %q has no stable lowercase", ErrNoSQL, q)
			}
			for _, r := range ct.from[q] {
				pairs = append(pairs, pair{r, q})
			}
		}
	}
	b := &sqlBuilder{}
	for range pairs {
		b.w("replace(")
	}
	b.w("lower(", v, ")")
	for _, p := range pairs {
		b.w(", ").arg(string(p.from)).w(", ").arg(string(p.to)).w(")")
	}
	return b.done(), nil
}

// expand substitutes {name} tokens in an SQL template with SQL pieces
// (column references and expressions built here, never user text).
func sqlExpand(tmpl string, vars ...string) string {
	for i := 0; i+1 < len(vars); i += 2 {
		tmpl = strings.ReplaceAll(tmpl, "{"+vars[i]+"}", vars[i+1])
	}
	return tmpl
}

// numericTextSQL returns SQL that is 1 when the text v is a number to
// flows' parseNumber (the decimal syntax of strconv.ParseFloat, Go's
// underscore rules, finite), and its value.
func numericTextSQL(v string) (valid, num string) {
	u := sqlExpand("replace({v}, '_', '')", "v", v)
	body := sqlExpand("(CASE WHEN substr({u}, 1, 1) IN ('+', '-') THEN substr({u}, 2) ELSE {u} END)", "u", u)
	ep := sqlExpand("instr(lower({b}), 'e')", "b", body)
	mant := sqlExpand("(CASE WHEN {ep} = 0 THEN {b} ELSE substr({b}, 1, {ep} - 1) END)", "ep", ep, "b", body)
	exp := sqlExpand("substr({b}, {ep} + 1)", "ep", ep, "b", body)
	expDigits := sqlExpand("(CASE WHEN substr({x}, 1, 1) IN ('+', '-') THEN substr({x}, 2) ELSE {x} END)", "x", exp)
	num = "CAST(" + u + " AS REAL)"
	valid = sqlExpand(`(length({v}) = length(CAST({v} AS BLOB)) AND {v} <> ''
 AND (instr({v}, '_') = 0 OR ({v} NOT GLOB '_*' AND {v} NOT GLOB '*_' AND {v} NOT GLOB '*[^0-9]_*' AND {v} NOT GLOB '*_[^0-9]*'))
 AND {m} <> '' AND {m} NOT GLOB '*[^0-9.]*' AND {m} GLOB '*[0-9]*' AND {m} NOT GLOB '*.*.*'
 AND ({ep} = 0 OR ({x} <> '' AND {x} NOT GLOB '*[^0-9]*'))
 AND abs({num}) <= 1.7976931348623157e308)`, "m", mant, "x", expDigits, "ep", ep, "num", num, "v", v)
	return valid, num
}

// rfc3339SQL returns SQL that is 1 when the text v is a time flows'
// parseTime accepts (time.Parse with time.RFC3339, which also takes a
// one-digit hour, a ',' before the fraction and offsets up to ±24:60), and
// its instant as Unix seconds and nanoseconds (fraction cut at 9 digits).
func rfc3339SQL(v string) (valid, sec, nsec string) {
	two := sqlExpand("(substr({v}, 13, 1) GLOB '[0-9]')", "v", v) // a two-digit hour
	tzLen := sqlExpand("(CASE WHEN substr({v}, -1) = 'Z' THEN 1 ELSE 6 END)", "v", v)
	tz := sqlExpand("substr({v}, -{tzl})", "tzl", tzLen, "v", v)
	fracLen := sqlExpand("(length({v}) - 18 - {o} - {tzl})", "tzl", tzLen, "o", two, "v", v)
	frac := sqlExpand("substr({v}, 19 + {o}, {fl})", "fl", fracLen, "o", two, "v", v)
	num := func(start, n string) string {
		return sqlExpand("CAST(substr({v}, "+start+", "+n+") AS INTEGER)", "o", two, "v", v)
	}
	year, month, day := num("1", "4"), num("6", "2"), num("9", "2")
	hour, minute, second := num("12", "1 + {o}"), num("14 + {o}", "2"), num("17 + {o}", "2")
	leap := sqlExpand("({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0))", "y", year)
	valid = sqlExpand(`(length({v}) = length(CAST({v} AS BLOB)) AND length({v}) >= 20
 AND substr({v}, 1, 12) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9]'
 AND substr({v}, 13 + {o}, 6) GLOB ':[0-9][0-9]:[0-9][0-9]'
 AND {M} BETWEEN 1 AND 12
 AND {D} BETWEEN 1 AND (CASE {M} WHEN 2 THEN 28 + {leap} WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END)
 AND {h} <= 23 AND {mi} <= 59 AND {s} <= 59
 AND {fl} >= 0 AND ({fl} = 0 OR ({frac} GLOB '[.,][0-9]*' AND substr({frac}, 2) NOT GLOB '*[^0-9]*'))
 AND ({tz} = 'Z' OR ({tz} GLOB '[+-][0-9][0-9]:[0-9][0-9]' AND CAST(substr({tz}, 2, 2) AS INTEGER) <= 24 AND CAST(substr({tz}, 5, 2) AS INTEGER) <= 60)))`,
		"leap", leap, "M", month, "D", day, "h", hour, "mi", minute, "s", second,
		"frac", frac, "fl", fracLen, "tz", tz, "o", two, "v", v)
	sec = sqlExpand(`(unixepoch(substr({v}, 1, 10)) + {h} * 3600 + {mi} * 60 + {s}
 - (CASE WHEN {tz} = 'Z' THEN 0 WHEN substr({tz}, 1, 1) = '-' THEN -1 ELSE 1 END)
 * (CAST(substr({tz}, 2, 2) AS INTEGER) * 3600 + CAST(substr({tz}, 5, 2) AS INTEGER) * 60))`,
		"h", hour, "mi", minute, "s", second, "tz", tz, "v", v)
	nsec = sqlExpand("(CASE WHEN {fl} = 0 THEN 0 ELSE CAST(substr(substr({frac}, 2) || '000000000', 1, 9) AS INTEGER) END)",
		"frac", frac, "fl", fracLen)
	return valid, sec, nsec
}
