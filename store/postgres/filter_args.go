package postgres

import (
	"strconv"
	"strings"
)

// sqlArgs numbers the parameters of a compiled query. PostgreSQL's
// placeholders are numbered, so a value is bound once however often the
// SQL refers to it, and pieces of SQL may be assembled in any order. Every
// placeholder carries its type as a cast, so the server never has to infer
// one (an inferred type may differ between prepared and unprepared
// execution).
type sqlArgs struct {
	vals []any
	memo map[sqlArgKey]string
}

type sqlArgKey struct {
	v    any
	cast string
}

// bind returns the placeholder of v, cast to cast; equal scalar values
// share one.
func (a *sqlArgs) bind(v any, cast string) string {
	key := sqlArgKey{v, cast}
	comparable := false
	switch v.(type) {
	case string, int64, bool:
		comparable = true
		if p, ok := a.memo[key]; ok {
			return p
		}
	}
	a.vals = append(a.vals, v)
	p := "$" + strconv.Itoa(len(a.vals)) + "::" + cast
	if comparable {
		if a.memo == nil {
			a.memo = map[sqlArgKey]string{}
		}
		a.memo[key] = p
	}
	return p
}

func (a *sqlArgs) text(s string) string       { return a.bind(s, "text") }
func (a *sqlArgs) int(n int64) string         { return a.bind(n, "bigint") }
func (a *sqlArgs) texts(s []string) string    { return a.bind(s, "text[]") }
func (a *sqlArgs) ints(n []int64) string      { return a.bind(n, "bigint[]") }
func (a *sqlArgs) bools(b []bool) string      { return a.bind(b, "boolean[]") }
func (a *sqlArgs) numeric(dec string) string  { return a.bind(dec, "text") + "::numeric" }
func (a *sqlArgs) numerics(d []string) string { return a.bind(d, "text[]") + "::numeric[]" }

// finish renumbers the placeholders of q in order of first use, dropping
// parameters that no placeholder refers to (a piece of SQL compiled and
// then simplified away), which PostgreSQL would refuse to prepare: it
// cannot type a parameter it never sees. Quoted literals and identifiers
// are copied as they are.
func (a *sqlArgs) finish(q string) (string, []any) {
	var b strings.Builder
	b.Grow(len(q))
	renum := map[int]int{}
	var out []any
	var quote byte // the quote we are inside, or 0
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			old, _ := strconv.Atoi(q[i+1 : j])
			n, ok := renum[old]
			if !ok {
				out = append(out, a.vals[old-1])
				n = len(out)
				renum[old] = n
			}
			b.WriteString("$" + strconv.Itoa(n))
			i = j - 1
			continue
		}
		b.WriteByte(ch)
	}
	return b.String(), out
}
