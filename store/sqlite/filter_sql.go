package sqlite

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
)

// The segment filter compiler: a flows.Filter's tree rendered as SQLite SQL,
// so a whole-database pass (back-fill, preview, next-change moments) is one
// query rather than a Go evaluation per contact. It is split by subject:
// this file holds the tree (all, any, not, behaviour leaves), filter_fields.go
// the contact fields, filter_json.go values inside JSON documents and the
// scalar comparisons, filter_text.go case folding, numeric text and RFC 3339
// times, next_sql.go the next-change moments.

// sqlInListMax is the list length from which in/nin pass their values as one
// JSON array parameter rather than one parameter each, so a long list stays
// far from SQLite's variable limit.
const sqlInListMax = 64

// filterSQL compiles a contact filter to an SQLite boolean expression over the contacts table aliased "c", reading a
// contact's events from table "events" (correlated subqueries on events.contact_id = c.id, which has index
// (contact_id, type, ts)). now fixes older_than/newer_than and "within". The expression gives exactly the same answer
// as f.Match on the engine's view of the same contact (property-tested: storetest.FilterProperty).
//
// The compiler walks the filter's tree (flows.FilterNode: all, any, not,
// field and behaviour leaves) and maps contact fields through flows' table
// of contact fields by how each is stored (flows.FieldStorage) and in which
// column, so it keeps no list of field names of its own. A filter it cannot
// compile faithfully is an error wrapping store.ErrNoSQL.
//
// The expression is always 0 or 1, never NULL, so NOT (expr) selects
// exactly the contacts outside. Values, JSON paths and event types are
// bound parameters (args, in order of their "?"); nothing from the filter is
// spliced into the SQL text (column names come from the table of contact
// fields). A nil filter is "1".
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
func filterSQL(f *flows.Filter, now time.Time) (expr string, args []any, err error) {
	if f == nil {
		return "1", nil, nil
	}
	if f.Kind() != flows.ContactFilter {
		return "", nil, fmt.Errorf("%w: %s is not a contact filter", store.ErrNoSQL, f.Kind())
	}
	c := &sqlCompiler{now: now}
	e, err := c.node(f.Root(), "")
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
func (c *sqlCompiler) node(n flows.FilterNode, props string) (sqlExpr, error) {
	switch t := n.(type) {
	case flows.AllNode:
		return c.combine(t, props, " AND ", sqlTrue)
	case flows.AnyNode:
		return c.combine(t, props, " OR ", sqlFalse)
	case flows.NotNode:
		e, err := c.node(t.Child(), props)
		if err != nil {
			return sqlExpr{}, err
		}
		return sqlNot(e), nil
	case *flows.EventCond:
		if props != "" {
			return sqlExpr{}, fmt.Errorf("%w: behaviour condition inside an event filter", store.ErrNoSQL)
		}
		return c.behaviour(t)
	case *flows.FieldCond:
		return c.field(t, props)
	}
	return sqlExpr{}, fmt.Errorf("%w: unexpected filter node %T", store.ErrNoSQL, n)
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
func (c *sqlCompiler) combine(children []flows.FilterNode, props, sep string, empty sqlExpr) (sqlExpr, error) {
	var cheap, costly []sqlExpr
	for _, child := range children {
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

// eventsOf starts the correlated subquery over a contact's events of a type
// (alias e), kept to the window within (0 = all time) and to the events
// where matches (nil = all).
func (c *sqlCompiler) eventsOf(e, event string, within time.Duration, where *flows.Filter) (*sqlBuilder, error) {
	from := &sqlBuilder{}
	from.w("FROM events ", e, " WHERE ", e, ".contact_id = c.id AND ", e, ".type = ").arg(event)
	if within > 0 {
		// As the store's CountContactEvents: ts >= the window start in ms.
		from.w(" AND ", e, ".ts >= ").arg(c.now.Add(-within).UnixMilli())
	}
	if where != nil {
		w, err := c.node(where.Root(), e+".properties")
		if err != nil {
			return nil, err
		}
		if w.text != "1" {
			from.w(" AND (").expr(w).w(")")
		}
	}
	return from, nil
}

// behaviour compiles a behaviour leaf: its events counted against its count.
func (c *sqlCompiler) behaviour(b *flows.EventCond) (sqlExpr, error) {
	from, err := c.eventsOf(c.alias("e"), b.Event(), b.Within(), b.Where())
	if err != nil {
		return sqlExpr{}, err
	}
	op, count := b.Count()
	n := int64(count)
	sub := from.done()
	var out sqlExpr
	switch op {
	case flows.OpGte:
		out = sqlAtLeast(sub, n)
	case flows.OpGt:
		out = sqlAtLeast(sub, n+1)
	case flows.OpLt:
		out = sqlNot(sqlAtLeast(sub, n))
	case flows.OpLte:
		out = sqlNot(sqlAtLeast(sub, n+1))
	case flows.OpEq:
		out = sqlExactly(sub, n)
	case flows.OpNeq:
		out = sqlNot(sqlExactly(sub, n))
	default:
		return sqlExpr{}, fmt.Errorf("%w: count op %s", store.ErrNoSQL, op)
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
