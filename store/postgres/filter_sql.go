package postgres

import (
	"fmt"
	"strconv"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
)

// The segment filter compiler: a flows.Filter's tree rendered as PostgreSQL
// SQL, so a whole-database pass (back-fill, preview, next-change moments)
// is one query rather than a Go evaluation per contact. It is split by
// subject: this file holds the tree (all, any, not, behaviour leaves),
// filter_args.go the numbered parameters, filter_fields.go the contact
// fields, filter_json.go values inside jsonb documents and the scalar
// comparisons, filter_number.go numbers compared as float64,
// filter_text.go case folding, numeric text and RFC 3339 times,
// next_sql.go the next-change moments.

// filterSQL compiles a contact filter to a PostgreSQL boolean expression over the contacts table aliased "c", reading
// a contact's events from table "events" (correlated subqueries on events.contact_id = c.id, which has index
// (contact_id, type, ts)). now fixes older_than/newer_than and "within". The expression gives exactly the same answer
// as f.Match on the engine's view of the same contact (property-tested: storetest.FilterProperty), whatever the
// database's default collation and ctype.
//
// The compiler walks the filter's tree (flows.FilterNode: all, any, not,
// field and behaviour leaves) and maps contact fields through flows' table
// of contact fields by how each is stored (flows.FieldStorage) and in which
// column, so it keeps no list of field names of its own. A filter it cannot
// compile faithfully is an error wrapping store.ErrNoSQL: one that is not a
// contact filter, a lowercase value with a rune that lowercases again, an
// op or value the parser would not produce.
//
// The expression is always true or false, never NULL, so NOT (expr) selects
// exactly the contacts outside. Values, JSON keys and event types are bound
// parameters ($n, numbered by args); nothing from the filter is spliced into
// the SQL text (column names come from the table of contact fields, the rest
// is constant). A nil filter is "true".
//
// How the Go semantics (flows.Filter) are reproduced:
//
//   - Attributes and event properties are jsonb. A value is looked up with
//     the text-key operator ->, which yields NULL on anything but an object
//     (so a label never indexes an array, as flows' walk never does), and
//     its JSON type (jsonb_typeof) keeps numbers, strings and booleans
//     apart, so true never equals 1 and "25" never equals 25. A scalar is
//     tested itself, an array element by element (jsonb_array_elements),
//     an object never. A dotted name resolves as flows' lookup does: the
//     whole name as one key first, then ever shorter dotted prefixes, the
//     first present key (even holding null) walked one label per dot.
//     jsonb keeps the last of duplicate keys, as Go's decoder does.
//   - Case-insensitive text: lower() of text COLLATE "C" folds ASCII only,
//     whatever the database's locale (a Turkish one would otherwise fold I
//     to ı), so for each non-ASCII rune of the filter's lowercased value
//     every other rune that unicode.ToLower maps to it (É → é, K → k,
//     İ → i) is replaced first; for the runes the filter's text holds this
//     is exactly Go's rune-by-rune lowering. Comparisons are by bytes
//     (COLLATE "C"; the database is UTF8, which Open checks): =, strpos,
//     starts_with, right. Equality with an element of tags or segments is
//     rather jsonb's ?| over every spelling that lowercases to the value
//     (K, k and the Kelvin sign for k), when there are few.
//   - Numbers compare as float64 without ever converting to float in SQL:
//     the filter's float64 w is turned in Go into the exact interval of
//     reals that round to it (the midpoints to its neighbours, ends
//     included when w's mantissa is even, as round-half-to-even does), and
//     a jsonb number (an exact numeric, however many digits) is compared
//     with those bounds as numeric. This is float64(x) op w exactly, for
//     every x, with no overflow or underflow errors. bigint columns (score)
//     compare with the integer bounds that follow, which an index can use.
//   - Numeric text, for gt/gte/lt/lte only: a regular expression accepts
//     the decimal syntax strconv.ParseFloat takes (sign, digits with Go's
//     underscore rules, fraction, exponent); the digits are then read as
//     an exact numeric (cut to 800 significant digits with a sticky last
//     one, which keeps every float64 rounding decision) and must be finite
//     as a float64.
//   - RFC3339 strings are validated as time.Parse(time.RFC3339) does
//     (one-digit hours, ',' fractions, offsets up to ±24:60, day of month
//     per year, year 0000) and compared as (Unix seconds, nanoseconds) row
//     values; created_at and last_activity_at are Unix ms compared with
//     exact ms bounds of the filter's nanosecond times.
//   - Behaviour leaves are correlated subqueries on events, EXISTS or a
//     COUNT over at most the rows the threshold needs; "within" keeps
//     events with ts >= the window start in Unix ms, as the store does.
//   - PostgreSQL text holds no NUL and no invalid UTF-8, so neither does
//     any stored value, key or event type: a filter value, key or event
//     type holding one matches nothing (and is not sent, which the server
//     would refuse).
//
// Known differences, all in data rather than in filters (so SQL cannot
// refuse them up front), none produced by Scoreflow's own writers: a string
// in Go's hexadecimal float syntax ("0x1p-2") is a number to gt/gte/lt/lte
// in Go but not in SQL. Times are compared as stored, in whole ms: a
// contact the engine holds in memory with a finer created_at or
// last_activity_at may differ within that ms.
func filterSQL(f *flows.Filter, now time.Time, args *sqlArgs) (string, error) {
	if f == nil {
		return "true", nil
	}
	if f.Kind() != flows.ContactFilter {
		return "", fmt.Errorf("%w: %s is not a contact filter", store.ErrNoSQL, f.Kind())
	}
	c := &sqlCompiler{now: now, args: args}
	e, err := c.node(f.Root(), "")
	if err != nil {
		return "", err
	}
	// Parenthesised, so the caller may write "expr AND ..." safely.
	return "(" + e.text + ")", nil
}

// sqlExpr is a piece of SQL whose placeholders are numbered by the
// compiler's sqlArgs.
type sqlExpr struct {
	text    string
	history bool // reads events: evaluated after field conditions
}

var (
	sqlTrue  = sqlExpr{text: "true"}
	sqlFalse = sqlExpr{text: "false"}
)

func (e sqlExpr) isConst() bool { return e.text == "true" || e.text == "false" }

type sqlCompiler struct {
	now     time.Time
	args    *sqlArgs
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
	case "true":
		return sqlFalse
	case "false":
		return sqlTrue
	}
	return sqlExpr{text: "NOT (" + e.text + ")", history: e.history}
}

// combine joins children with AND or OR, field conditions before behaviour
// conditions as flows evaluates them (the cheap ones settle most rows;
// PostgreSQL also orders a WHERE's conditions by their estimated cost).
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
	switch len(parts) {
	case 0:
		return empty, nil
	case 1:
		return parts[0], nil
	}
	text := "("
	history := false
	for i, p := range parts {
		if i > 0 {
			text += sep
		}
		text += "(" + p.text + ")"
		history = history || p.history
	}
	return sqlExpr{text: text + ")", history: history}, nil
}

// eventsOf is the FROM and WHERE of the correlated subquery over a
// contact's events of a type (alias e), kept to the window within (0 = all
// time) and to the events where matches (nil = all).
func (c *sqlCompiler) eventsOf(e, event string, within time.Duration, where *flows.Filter) (string, error) {
	typ := "false" // no stored event has a type PostgreSQL cannot hold
	if storable(event) {
		typ = e + ".type = " + c.args.text(event)
	}
	from := "FROM events " + e + " WHERE " + e + ".contact_id = c.id AND " + typ
	if within > 0 {
		// As the store's CountContactEvents: ts >= the window start in ms.
		from += " AND " + e + ".ts >= " + c.args.int(c.now.Add(-within).UnixMilli())
	}
	if where != nil {
		w, err := c.node(where.Root(), e+".properties")
		if err != nil {
			return "", err
		}
		if w.text != "true" {
			from += " AND (" + w.text + ")"
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
	var out sqlExpr
	switch op {
	case flows.OpGte:
		out = c.atLeast(from, n)
	case flows.OpGt:
		out = c.atLeast(from, n+1)
	case flows.OpLt:
		out = sqlNot(c.atLeast(from, n))
	case flows.OpLte:
		out = sqlNot(c.atLeast(from, n+1))
	case flows.OpEq:
		out = c.exactly(from, n)
	case flows.OpNeq:
		out = sqlNot(c.exactly(from, n))
	default:
		return sqlExpr{}, fmt.Errorf("%w: count op %s", store.ErrNoSQL, op)
	}
	if !out.isConst() {
		out.history = true
	}
	return out, nil
}

// atLeast is "at least n rows in from", reading no more than n of them:
// a row past the first n-1 exists (which PostgreSQL runs a third faster
// than counting up to n; a plain EXISTS in a top-level AND may even become
// a semi-join).
func (c *sqlCompiler) atLeast(from string, n int64) sqlExpr {
	switch {
	case n <= 0:
		return sqlTrue
	case n == 1:
		return sqlExpr{text: "EXISTS (SELECT 1 " + from + ")"}
	}
	return sqlExpr{text: "EXISTS (SELECT 1 " + from + " OFFSET " + c.args.int(n-1) + ")"}
}

// exactly is "exactly n rows in from", reading no more than n+1 of them.
func (c *sqlCompiler) exactly(from string, n int64) sqlExpr {
	if n == 0 {
		return sqlNot(c.atLeast(from, 1))
	}
	return sqlExpr{text: "(SELECT COUNT(*) FROM (SELECT 1 " + from + " LIMIT " + c.args.int(n+1) + ") " + c.alias("k") + ") = " + c.args.int(n)}
}
