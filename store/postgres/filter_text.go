package postgres

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store/internal/filtersql"
)

// Text as flows reads it, in SQL: Go's rune-by-rune lowercasing, the
// numeric strings strconv.ParseFloat accepts and the times time.Parse
// accepts with time.RFC3339.

// storable reports whether PostgreSQL text can hold s: no NUL, valid
// UTF-8. A value, key or event type that is not can equal nothing stored.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// fold is the text t (COLLATE "C") lowercased as flows compares it with the
// lowercased texts wants: lower() for ASCII (with the C collation it folds
// nothing else, whatever the database's locale), then for every rune of the
// wants each other non-ASCII rune that lowercases to it replaced by it.
// Runes of t that lowercase to none of the wants' runes match none of them
// either way.
func (c *sqlCompiler) fold(t string, wants []string) (string, error) {
	pairs, err := filtersql.FoldPairs(wants)
	if err != nil {
		return "", err
	}
	out := "lower(" + t + ")"
	for _, p := range pairs {
		out = "replace(" + out + ", " + c.args.text(string(p.From)) + ", " + c.args.text(string(p.To)) + ")"
	}
	return out, nil
}

// maxSpellings bounds the texts one list leaf binds for ?|, which checks
// each against each element: past about a hundred it is slower than
// folding the elements (0.67 s for 128 against 0.5 s).
const maxSpellings = 64

// listSpellings lists every text whose runes lowercase one by one (as
// unicode.ToLower) to the runes of one of the lowercase wants: each rune
// of a want may be itself, its ASCII uppercase or any other rune that
// lowercases to it (K, the Kelvin sign, for k). Equality of a stored text
// with one of them is exactly flows' case-insensitive equality with that
// want. Wants PostgreSQL cannot store have none; false when a want has a
// rune that lowercases again (whose spellings flows would not match alike)
// or when there would be more than maxSpellings.
func listSpellings(wants []string) ([]string, bool) {
	ct := filtersql.LowerTable()
	var out []string
	seen := map[string]bool{}
	for _, w := range wants {
		if !storable(w) || seen[w] {
			continue
		}
		seen[w] = true
		variants := []string{""}
		for _, q := range w {
			if ct.Unfixed[q] {
				return nil, false
			}
			runes := append([]rune{q}, ct.From[q]...)
			if q >= 'a' && q <= 'z' {
				runes = append(runes, q-'a'+'A')
			}
			if len(variants)*len(runes)+len(out) > maxSpellings {
				return nil, false
			}
			next := make([]string, 0, len(variants)*len(runes))
			for _, v := range variants {
				for _, r := range runes {
					next = append(next, v+string(r))
				}
			}
			variants = next
		}
		out = append(out, variants...)
	}
	return out, true
}

// numberPattern is the decimal syntax of strconv.ParseFloat: a sign, digits
// with a '.' somewhere (at least one digit), an exponent; an underscore
// only between two digits. Captures: sign, integer digits, fraction
// digits, exponent. No backslashes, so the literal reads the same whatever
// standard_conforming_strings says.
const numberPattern = `^([+-]?)([0-9](?:_?[0-9])*)?(?:[.]([0-9](?:_?[0-9])*)?)?(?:[eE]([+-]?[0-9](?:_?[0-9])*))?$`

// maxSignificant is how many significant digits of numeric text are read
// exactly; a sticky digit stands for any further non-zero ones. Every
// boundary between two float64 roundings has fewer significant digits
// (767 at most), so the cut never changes one.
const maxSignificant = 800

// numericText is float64(parseNumber(t)) op w for a text t: false unless t
// is numeric text (flows' parseNumber, which also refuses numbers that are
// infinite as float64).
//
// The digits d (leading zeros dropped) and the exponent give the value
// 0.d × 10^k; with k > 309 it is at least 10^309, infinite as a float64,
// and with k < -400 below any float64 but zero, so it rounds to 0. Else it
// is read as an exact numeric. The exponent's digits saturate as Go's do,
// so "1e99999999999" is infinite and "0e99999999999" is 0.
func (c *sqlCompiler) numericText(t string, op flows.Op, w float64) sqlExpr {
	m, p, q, r := c.alias("m"), c.alias("p"), c.alias("q"), c.alias("v")
	exp := `CASE WHEN ` + m + `[4] IS NULL THEN 0
		WHEN length(ltrim(replace(` + m + `[4], '_', ''), '+-0')) > 6 THEN CASE WHEN left(` + m + `[4], 1) = '-' THEN -1000000 ELSE 1000000 END
		ELSE replace(` + m + `[4], '_', '')::int END`
	digits := p + ".ip || " + p + ".fp"
	cmp := c.numericCompare(r+".v", op, w)
	return sqlExpr{text: `COALESCE((SELECT ` + r + `.v IS NOT NULL AND abs(` + r + `.v) < ` + c.args.numeric(decimal(maxFloatBound)) + ` AND ` + cmp.text + `
	FROM (SELECT CASE WHEN ` + q + `.dp = '' OR ` + q + `.k < -400 THEN 0::numeric WHEN ` + q + `.k > 309 THEN NULL
		ELSE (` + q + `.neg || '0.' || left(` + q + `.dp, ` + fmt.Sprint(maxSignificant) + `) || ` + q + `.sticky || 'e' || ` + q + `.k)::numeric END AS v
	FROM (SELECT ` + p + `.neg, ` + p + `.dp, length(` + p + `.ip) - length(` + digits + `) + length(` + p + `.dp) + ` + p + `.e AS k,
		CASE WHEN rtrim(substr(` + p + `.dp, ` + fmt.Sprint(maxSignificant+1) + `), '0') <> '' THEN '1' ELSE '' END AS sticky
	FROM (SELECT CASE WHEN ` + m + `[1] = '-' THEN '-' ELSE '' END AS neg,
		replace(COALESCE(` + m + `[2], ''), '_', '') AS ip, replace(COALESCE(` + m + `[3], ''), '_', '') AS fp,
		ltrim(replace(COALESCE(` + m + `[2], '') || COALESCE(` + m + `[3], ''), '_', ''), '0') AS dp, ` + exp + ` AS e
	FROM regexp_match(` + t + `, '` + numberPattern + `') AS ` + m + `
	WHERE ` + m + `[2] IS NOT NULL OR ` + m + `[3] IS NOT NULL) ` + p + `) ` + q + `) ` + r + `), false)`,
	}
}

// rfc3339Pattern is the shape time.Parse(time.RFC3339) accepts, to be
// checked for ranges by rfc3339Valid. Captures: year, month, day, hour,
// minute, second, fraction digits, offset sign, offset hours, offset
// minutes.
const rfc3339Pattern = `^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(?:Z|([+-])([0-9]{2}):([0-9]{2}))$`

// rfc3339Match is the FROM item that matches the text t against
// rfc3339Pattern as m: one row, m NULL when t does not match.
func rfc3339Match(t, m string) string {
	return "regexp_match(" + t + ", '" + rfc3339Pattern + "') AS " + m
}

// rfc3339Valid is true when the captures m of rfc3339Pattern are a time
// flows' parseTime accepts: at least 20 bytes long (its shape check; the
// one string of the pattern that is shorter has a one-digit hour, no
// fraction and Z), then as time.Parse: month 1-12, day within the month of
// that year, hour up to 23, minute and second up to 59, an offset up to
// 24:60.
func rfc3339Valid(m string) string {
	y := m + "[1]::int"
	leap := "(CASE WHEN " + y + " % 4 = 0 AND (" + y + " % 100 <> 0 OR " + y + " % 400 = 0) THEN 1 ELSE 0 END)"
	return "(length(" + m + "[4]) = 2 OR " + m + "[7] IS NOT NULL OR " + m + "[8] IS NOT NULL)" +
		" AND " + m + "[2]::int BETWEEN 1 AND 12" +
		" AND " + m + "[3]::int BETWEEN 1 AND (CASE " + m + "[2]::int WHEN 2 THEN 28 + " + leap + " WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END)" +
		" AND " + m + "[4]::int <= 23 AND " + m + "[5]::int <= 59 AND " + m + "[6]::int <= 59" +
		" AND (" + m + "[8] IS NULL OR " + m + "[9]::int <= 24 AND " + m + "[10]::int <= 60)"
}

// rfc3339Instant is the Unix seconds and nanoseconds of valid captures m.
// Days are counted with make_date 400 years on (the Gregorian calendar
// repeats every 400 years), since PostgreSQL has no year 0; the fraction
// is cut at 9 digits as time.Parse cuts it.
func rfc3339Instant(m string) (sec, nsec string) {
	sec = "((make_date(" + m + "[1]::int + 400, " + m + "[2]::int, " + m + "[3]::int) - make_date(2370, 1, 1))::bigint * 86400" +
		" + " + m + "[4]::bigint * 3600 + " + m + "[5]::bigint * 60 + " + m + "[6]::bigint" +
		" - (CASE " + m + "[8] WHEN '-' THEN -1 ELSE 1 END) * COALESCE(" + m + "[9]::bigint * 3600 + " + m + "[10]::bigint * 60, 0))"
	nsec = "(CASE WHEN " + m + "[7] IS NULL THEN 0 ELSE rpad(left(" + m + "[7], 9), 9, '0')::bigint END)"
	return sec, nsec
}

// timeText is parseTime(t) sym (sec, nsec) for a text t: false unless t is
// an RFC 3339 time; sym is <, <=, >, >=.
func (c *sqlCompiler) timeText(t, sym string, sec, nsec int64) sqlExpr {
	m := c.alias("m")
	s, ns := rfc3339Instant(m)
	return sqlExpr{text: "COALESCE((SELECT CASE WHEN " + rfc3339Valid(m) + " THEN (" + s + ", " + ns + ") " + sym +
		" (" + c.args.int(sec) + ", " + c.args.int(nsec) + ") ELSE false END FROM " + rfc3339Match(t, m) + "), false)"}
}
