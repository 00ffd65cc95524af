package sqlite

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Text as flows reads it, in SQL: Go's rune-by-rune lowercasing, the
// numeric strings strconv.ParseFloat accepts and the times time.Parse
// accepts with time.RFC3339.

// fold is v lowercased as flows compares it with the lowercased texts
// wants: lower() for ASCII, then for every rune of the wants each other
// non-ASCII rune that lowercases to it replaced by it. Runes of v that
// lowercase to none of the wants' runes match none of them either way.
func sqlFold(v string, wants []string) (sqlExpr, error) {
	for _, w := range wants {
		if !utf8.ValidString(w) {
			return sqlExpr{}, fmt.Errorf("%w: value %q is not valid UTF-8", store.ErrNoSQL, w)
		}
	}
	pairs, err := filtersql.FoldPairs(wants)
	if err != nil {
		return sqlExpr{}, err
	}
	b := &sqlBuilder{}
	for range pairs {
		b.w("replace(")
	}
	b.w("lower(", v, ")")
	for _, p := range pairs {
		b.w(", ").arg(string(p.From)).w(", ").arg(string(p.To)).w(")")
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
