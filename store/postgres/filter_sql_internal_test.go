package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
	"github.com/scoreflow/scoreflow/store/storetest"
)

// What the compiler's pieces do on the server, checked against flows on
// inputs chosen for their edges (numeric text, RFC 3339 text, case
// folding), and what only the compiled text can show. The whole compiler
// is checked through the store interface by storetest (the conformance
// table and FilterProperty).

// filterNow has a sub-millisecond part, so every ms/ns boundary rule is used.
var filterNow = time.Date(2025, 3, 10, 12, 0, 0, 123456789, time.UTC)

func openInternal(t *testing.T, options string) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.NewDatabase(t, options))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func parseFilter(t testing.TB, raw string, kind flows.FilterKind) *flows.Filter {
	t.Helper()
	f, errs := flows.ParseFilter(json.RawMessage(raw), kind)
	if len(errs) > 0 {
		t.Fatalf("filter %s: %v", raw, errs)
	}
	return f
}

// textLeaf is the event filter {"field":"x","op":op,"value":value}.
func textLeaf(t *testing.T, op string, value any) *flows.Filter {
	t.Helper()
	f, errs := flows.ParseFilterValue(map[string]any{"field": "x", "op": op, "value": value}, flows.EventFilter)
	if len(errs) > 0 {
		t.Fatalf("leaf %s %v: %v", op, value, errs)
	}
	return f
}

// goHolds is flows' answer for f on an event whose property x is text.
func goHolds(t *testing.T, f *flows.Filter, text string) bool {
	t.Helper()
	ok, err := f.Match(flows.PropertiesSubject{"x": text}, filterNow)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// sqlOnTexts runs the leaf f compiled over a properties document
// {"x": text} for each text, in one query, and returns its answers,
// failing on NULL.
func sqlOnTexts(t *testing.T, s *Store, f *flows.Filter, texts []string) []bool {
	t.Helper()
	op, value := "", any(nil)
	if fc, ok := f.Root().(*flows.FieldCond); ok {
		op, value = fc.Op().String(), fc.Value()
	}
	args := &sqlArgs{}
	c := &sqlCompiler{now: filterNow, args: args}
	e, err := c.node(f.Root(), "jsonb_build_object('x', u.t)")
	if err != nil {
		t.Fatalf("compile %s %v: %v", op, value, err)
	}
	q, vals := args.finish(`SELECT ` + e.text + ` FROM unnest(` + args.texts(texts) + `) WITH ORDINALITY u(t, i) ORDER BY u.i`)
	rows, err := s.pool.Query(context.Background(), q, vals...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", op, value, err, q)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[pgtype.Bool])
	if err != nil {
		t.Fatalf("%s %v: %v", op, value, err)
	}
	out := make([]bool, len(got))
	for i, b := range got {
		if !b.Valid {
			t.Fatalf("%s %v on %q is NULL", op, value, texts[i])
		}
		out[i] = b.Bool
	}
	return out
}

// compareOnTexts checks SQL against Go for every text, skipping texts
// listed as known differences.
func compareOnTexts(t *testing.T, s *Store, op string, value any, texts []string, known map[string]bool) {
	t.Helper()
	f := textLeaf(t, op, value)
	for i, got := range sqlOnTexts(t, s, f, texts) {
		if want := goHolds(t, f, texts[i]); got != want && !known[texts[i]] {
			t.Errorf("%q %s %v: Go %v, SQL %v", texts[i], op, value, want, got)
		}
	}
}

var orderOps = []string{"gt", "gte", "lt", "lte"}

func TestNumericTextSQL(t *testing.T) {
	s := openInternal(t, "")
	zeros := strings.Repeat("0", 900)
	bound := decimal(maxFloatBound)
	texts := []string{
		"25", "+25", "25.0", "-25", "2_5", "_25", "25_", "2__5", "1e3", "1E3", "1e+3", "1e-3", "1_0e1_0", "1e_3", ".5", "5.", ".",
		"-0", "+.5e-2", "1e400", "-1e400", "1e-400", "-1e-400", "12345678901234567", "007", "0_7", "Inf", "+Inf", "-inf", "NaN",
		" 25", "25 ", "1.5.5", "e5", "1e", "--1", "+-1", "1,5", "١٢", "3", "0.1", "60", "1000", "1e999999999", "0e999999999",
		"1e99999999999999999999", "0e99999999999999999999", "1e-99999999999999999999", "1x", "+", "-", "", "1_.5", "1._5", "1_e5",
		"1e5_", "+_1", "5.e3", "00.000", "+.0", "E5", "1__0", "0x1p-2", "0X1P-2", "0x10",
		// Midpoints between float64s, which round to the even one, and a
		// hair above one, past the 800 significant digits read exactly.
		"9007199254740993", "9007199254740995", "9007199254740993." + zeros, "9007199254740993." + zeros + "1",
		"9007199254740995." + zeros + "1", "-9007199254740993." + zeros + "1", "0." + zeros + "5", "0." + strings.Repeat("0", 350) + "1e340",
		"2.4703282292062328e-324", "2.4703282292062327e-324", "4.9406564584124654e-324", "5e-324", "1e-323",
		"1.7976931348623157e308", "1.797693134862315807e308", "1.7976931348623158e308", bound, "-" + bound,
		bound[:len(bound)-1] + "1", "1e308", "1e309", "-1e309", strings.Repeat("9", 309), strings.Repeat("9", 310),
		strings.Repeat("1", 2000) + "e-1700",
	}
	// Go reads hexadecimal floats, SQL does not: a documented difference.
	known := map[string]bool{"0x1p-2": true, "0X1P-2": true}
	values := []any{0.0, 9007199254740992.0, 9007199254740994.0, 9007199254740996.0, -9007199254740994.0, 25.0, 25.5, -3.0,
		1e-7, 5e-324, 1e-323, math.MaxFloat64, -math.MaxFloat64, 1e20, 0.1, 1e-11, 1000.0, 0.005, 1e308}
	for _, v := range values {
		for _, op := range orderOps {
			compareOnTexts(t, s, op, v, texts, known)
		}
	}
}

func TestTimeTextSQL(t *testing.T) {
	s := openInternal(t, "")
	texts := []string{
		"2025-03-10T12:00:00Z", "2025-03-10T12:00:00.123456789Z", "2025-03-10T12:00:00.1234567891234Z", "2024-02-29T00:00:00Z",
		"2023-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "0000-02-29T00:00:00Z", "0000-01-01T00:00:00+24:00",
		"9999-12-31T23:59:59-24:60", "2025-03-10T2:00:00.5Z", "2025-03-10T2:00:00Z", "2025-03-10T2:00:00+01:00",
		"2025-03-10T02:00:00,5+01:00", "2025-03-10T02:00:00+24:60", "2025-03-10T02:00:00+25:00", "2025-03-10T02:00:00+01:61",
		"2025-03-10t02:00:00Z", "2025-03-10T02:00:00z", "2025-03-10T02:00:00.Z", "2025-03-10T02:00:60Z", "2025-03-10T24:00:00Z",
		"2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z", "2025-04-31T00:00:00Z", "2025-04-30T23:59:59Z", "2025-03-10T02:00:00-0030",
		"2025-03-10 02:00:00Z", "2025-03-10T02:00:00+01:00junk", "2025-03-10T02:00:00Z ", " 2025-03-10T02:00:00Z",
		"2025-03-10T02:0:00Z", "2025-03-10T123:00:00Z", "2025-3-10T02:00:00Z", "2025-03-10T02:00:00", "2025-03-10T02:00Z",
		"2025-03-10T12:00:00-00:00", "2025-03-10T12:00:00.5,5Z", "２０２５-03-10T12:00:00Z", "1969-12-31T23:59:59.999999999Z",
		"1970-01-01T00:00:00Z", "2025-03-10T12:00:00.1234565Z", "2025-03-10T13:00:00.123456789+01:00",
	}
	values := []any{"2025-03-10T12:00:00.123456789Z", "2025-03-10T12:00:00Z", "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
		"2025-03-10T12:00:00.1234565Z", "9999-12-31T23:59:59.999999999Z"}
	for _, v := range values {
		for _, op := range orderOps {
			compareOnTexts(t, s, op, v, texts, nil)
		}
	}
	for _, span := range []string{"1h", "1d", "36h", "100000d", "1ns"} {
		for _, op := range []string{"older_than", "newer_than"} {
			compareOnTexts(t, s, op, span, texts, nil)
		}
	}
}

// TestFoldSQL compares case-insensitive equality with Go for the
// lowercase of every rune with a case mapping, against each rune that
// lowercases to it, itself, its uppercase and some others, then
// containment and affixes on words; on a database with the C locale and on
// one whose default is ICU's Turkish (where lower('I') would be 'ı').
func TestFoldSQL(t *testing.T) {
	ct := filtersql.LowerTable()
	wants := map[rune]bool{}
	for l := range ct.From {
		wants[l] = true
	}
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			if l := unicode.ToLower(r); l != r {
				wants[l] = true
			}
		}
	}
	others := []string{"i", "I", "ı", "İ", "k", "K", "\u212A", "s", "S", "ſ", "ß", "ẞ", "σ", "ς", "Σ", "ǅ", "日", "", "ii", "i̇"}
	words := []string{"İstanbul", "ISTANBUL", "istanbul", "ıstanbul", "KELVIN", "\u212Aelvin", "i̇stanbul", "STRAẞE", "straße", "ǄEMAL", "ǅemal"}
	for _, db := range []struct{ name, options string }{{"C", ""}, {"tr-TR", "LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR'"}} {
		t.Run(db.name, func(t *testing.T) {
			s := openInternal(t, db.options)
			for _, l := range slices.Sorted(maps.Keys(wants)) {
				texts := append([]string{string(l), string(unicode.ToUpper(l)), string(unicode.ToTitle(l))}, others...)
				for _, r := range ct.From[l] {
					texts = append(texts, string(r), "x"+string(r))
				}
				compareOnTexts(t, s, "eq", string(l), texts, nil)
			}
			for _, w := range []string{"istanbul", "kelvin", "straße", "ǆemal", "ı", "i̇"} {
				compareOnTexts(t, s, "eq", w, words, nil)
			}
			for _, w := range []string{"ist", "stan", "ı", "i", "k", "elvin", "ß", "e", "ǆ"} {
				for _, op := range []string{"contains", "starts_with", "ends_with"} {
					compareOnTexts(t, s, op, w, words, nil)
				}
			}
			compareOnTexts(t, s, "in", []any{"istanbul", "kelvin", "ω", "ǆemal", "å"}, words, nil)
		})
	}
}

// TestFilterSQLNeverNull runs every op on every kind of field and event
// property, with values of every kind, plain and negated, over contacts
// holding every kind of value or none: each expression must be true or
// false for every contact, never NULL, so NOT (expr) selects exactly the
// others, and each must be SQL the server takes.
func TestFilterSQLNeverNull(t *testing.T) {
	s := openInternal(t, "")
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created := filterNow.Add(-40 * 24 * time.Hour).Truncate(time.Millisecond)
	for i, attrs := range []string{`{}`, `{"a":null,"s":"2025-03-01T00:00:00Z","n":"12"}`, `{"a":{"b":[1,"x",null,{"c":true}]},"a.b":null}`,
		`{"a":[],"b":{},"s":[null],"n":1e308}`, `{"a":"x","a.b":{"c":"y"}}`, `{"n":1e-400,"s":["2025-03-01T00:00:00Z",true]}`} {
		c := &model.Contact{ID: fmt.Sprintf("c%d", i), CreatedAt: created, Scores: map[string]int64{"fit": int64(i)}}
		if i%2 == 1 {
			c.LastActivityAt = &created
			c.Tags, c.Segments, c.Grade, c.DealStage = []string{"x", ""}, []string{"s"}, "x", "y"
			c.Disqualified = &model.Disqualification{At: created}
		}
		if err := tx.SaveContact(&store.ContactRecord{Contact: c, Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
		ev := &model.Event{ID: fmt.Sprintf("e%d", i), Type: "t", ContactID: c.ID, Timestamp: created}
		if i > 0 {
			ev.RawProperties = json.RawMessage(attrs)
			ev.Properties = map[string]any{"any": true} // non-empty: the raw form is stored
		}
		if err := tx.InsertEvent(ev, c.ID, created); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	long := make([]any, 70)
	for i := range long {
		long[i] = []any{"x", float64(i), "2025-03-01T00:00:00Z", true}[i%4]
	}
	values := []any{nil, "x", "", 12.0, true, false, "2025-03-01T00:00:00Z", []any{"x", 12.0, true, nil, "2025-03-01T00:00:00Z"}, long, "30d", "x\x00"}
	compiled := 0
	for _, raw := range storetest.LeafFilters(values) {
		f, errs := flows.ParseFilter(json.RawMessage(raw), flows.ContactFilter)
		if len(errs) > 0 {
			continue // an op the value or field does not take
		}
		args := &sqlArgs{}
		expr, err := filterSQL(f, filterNow, args)
		if errors.Is(err, store.ErrNoSQL) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		compiled++
		q, vals := args.finish(`SELECT c.id, ` + expr + ` FROM contacts c ORDER BY c.id`)
		rows, err := s.pool.Query(ctx, q, vals...)
		if err != nil {
			t.Fatalf("%s: %v\nSQL: %s", raw, err, q)
		}
		for rows.Next() {
			var id string
			var v pgtype.Bool
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if !v.Valid {
				t.Errorf("%s on %s gave NULL\nSQL: %s", raw, id, q)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v\nSQL: %s", raw, err, q)
		}
	}
	if compiled < 1000 {
		t.Errorf("compiled %d filters; the test compiles fewer than it means to", compiled)
	}
}

// TestFilterSQLBindsValues checks that nothing of the filter's text reaches
// the SQL: names and values travel as parameters.
func TestFilterSQLBindsValues(t *testing.T) {
	f := parseFilter(t, `{"all":[{"field":"attributes.x'); DROP TABLE contacts; --","op":"eq","value":"'; DROP TABLE contacts; --"},
		{"event":"x'); DROP TABLE events; --","where":{"field":"a\"]'","op":"in","value":["'", "\""]}},
		{"field":"attributes.$1","op":"starts_with","value":"$2"}]}`, flows.ContactFilter)
	args := &sqlArgs{}
	expr, err := filterSQL(f, filterNow, args)
	if err != nil {
		t.Fatal(err)
	}
	q, vals := args.finish(expr)
	for _, bad := range []string{"DROP", "x'", `a"`} {
		if strings.Contains(q, bad) {
			t.Errorf("the SQL holds %q of the filter: %s", bad, q)
		}
	}
	if len(vals) < 5 {
		t.Errorf("%d parameters, want the names and values bound: %v", len(vals), vals)
	}
}

// TestFinish: placeholders are renumbered by first use, unused parameters
// dropped, and quoted text left alone.
func TestFinish(t *testing.T) {
	a := &sqlArgs{}
	x, y, z := a.text("x"), a.text("y"), a.int(3)
	if a.text("x") != x {
		t.Error("an equal value is bound twice")
	}
	q, vals := a.finish(`SELECT ` + z + `, '$1 '' $2', "$1", ` + z + ` WHERE ` + x)
	if want := `SELECT $1::bigint, '$1 '' $2', "$1", $1::bigint WHERE $2::text`; q != want {
		t.Errorf("finish = %s, want %s", q, want)
	}
	if len(vals) != 2 || vals[0] != int64(3) || vals[1] != "x" {
		t.Errorf("parameters %v, want [3 x] (%s unused)", vals, y)
	}
}

// TestFilterSQLEveryContactField compiles a leaf on every row of the table
// of contact fields and runs it: each row's storage kind has an SQL form
// and its column exists.
func TestFilterSQLEveryContactField(t *testing.T) {
	s := openInternal(t, "")
	for _, f := range flows.ContactFields() {
		name := f.Name
		if f.Family() {
			name += "x"
		}
		leaf := fmt.Sprintf(`{"field":%q,"op":"exists"}`, name)
		switch {
		case f.Type == flows.FieldBool:
			leaf = fmt.Sprintf(`{"field":%q,"op":"eq","value":true}`, name)
		case f.Window:
			leaf = fmt.Sprintf(`{"field":%q,"within":"7d","op":"gte","value":1}`, name)
		}
		args := &sqlArgs{}
		expr, err := filterSQL(parseFilter(t, leaf, flows.ContactFilter), filterNow, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q, vals := args.finish(`SELECT ` + expr + ` FROM contacts c`)
		if _, err := s.pool.Exec(context.Background(), q, vals...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestFilterSQLNilAndKind(t *testing.T) {
	if expr, err := filterSQL(nil, filterNow, &sqlArgs{}); expr != "true" || err != nil {
		t.Errorf("nil filter = %q, %v; want true", expr, err)
	}
	ef := parseFilter(t, `{"field":"url","op":"eq","value":"x"}`, flows.EventFilter)
	if _, err := filterSQL(ef, filterNow, &sqlArgs{}); !errors.Is(err, store.ErrNoSQL) {
		t.Errorf("event filter: %v, want ErrNoSQL", err)
	}
	if _, _, err := nextChangeSQL(ef, filterNow, &sqlArgs{}); !errors.Is(err, store.ErrNoSQL) {
		t.Errorf("next change of an event filter: %v, want ErrNoSQL", err)
	}
	if _, ok, err := nextChangeSQL(parseFilter(t, `{"field":"score","op":"gt","value":1}`, flows.ContactFilter), filterNow, &sqlArgs{}); ok || err != nil {
		t.Errorf("no time leaf: ok %v, %v; want nothing to schedule", ok, err)
	}
}

// TestReadFilteredFailure: a query that fails on the server is reported,
// and its connection goes back to the pool usable.
func TestReadFilteredFailure(t *testing.T) {
	s := openInternal(t, "")
	ctx := context.Background()
	for range 3 * defaultMaxConns {
		err := s.readFiltered(ctx, `SELECT 1 / $1::bigint`, []any{int64(0)}, func(rows pgx.Rows) error {
			for rows.Next() {
			}
			return rows.Err()
		})
		if err == nil || !strings.Contains(err.Error(), "division by zero") {
			t.Fatalf("readFiltered = %v, want division by zero", err)
		}
	}
	if got := s.pool.Stat().TotalConns(); got != 1 {
		t.Errorf("%d connections after the failures, want the one reused", got)
	}
	n, _, err := s.MatchContacts(ctx, nil, filterNow, 10)
	if err != nil || n != 0 {
		t.Errorf("MatchContacts after the failures = %d, %v", n, err)
	}
}
