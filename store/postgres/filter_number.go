package postgres

import (
	"math"
	"math/big"
	"strings"

	"github.com/scoreflow/scoreflow/flows"
)

// Numbers as flows compares them: both sides as float64. SQL never converts
// to float: x rounds to the float64 w exactly when x lies in w's rounding
// interval, whose ends are the midpoints to w's neighbours, included when
// w's mantissa is even (round half to even). Those ends are dyadic
// rationals, exact as decimal numerics, so comparing an exact numeric (a
// jsonb number of any length, numeric text) or a bigint with them is
// float64(x) op w with no rounding, overflow or underflow in SQL.

// floatInterval is the interval of reals that round to a finite float64.
type floatInterval struct {
	lo, hi *big.Rat
	closed bool // the ends round to w too
}

// maxFloatBound is the least magnitude that rounds to ±Inf: the midpoint
// between MaxFloat64 and 2^1024.
var maxFloatBound = func() *big.Rat {
	r := new(big.Rat).SetFloat64(math.MaxFloat64)
	return r.Add(r, new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 970), big.NewInt(1)))
}()

func roundingInterval(w float64) floatInterval {
	if w == 0 {
		w = 0 // -0 rounds like 0
	}
	neighbour := func(dir float64) *big.Rat {
		if math.Abs(w) == math.MaxFloat64 && math.Signbit(dir) == math.Signbit(w) {
			// Past MaxFloat64 lies 2^1024, one ulp (2^971) further.
			r := new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 1024), big.NewInt(1))
			if w < 0 {
				r.Neg(r)
			}
			return r
		}
		return new(big.Rat).SetFloat64(math.Nextafter(w, dir))
	}
	x := new(big.Rat).SetFloat64(w)
	mid := func(a, b *big.Rat) *big.Rat {
		m := new(big.Rat).Add(a, b)
		return m.Quo(m, big.NewRat(2, 1))
	}
	return floatInterval{
		lo:     mid(neighbour(math.Inf(-1)), x),
		hi:     mid(x, neighbour(math.Inf(1))),
		closed: math.Float64bits(w)&1 == 0,
	}
}

// decimal writes a dyadic rational exactly as a decimal numeric literal.
func decimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	// A denominator of 2^k needs exactly k decimals.
	s := r.FloatString(r.Denom().BitLen() - 1)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// bound is one side of x op w rewritten on x alone: x sym value.
type bound struct {
	sym   string // ">", ">=", "<", "<="
	value *big.Rat
}

// floatBounds rewrites float64(x) op w (op eq, gt, gte, lt or lte) as
// conditions on the exact x, all of which must hold.
func floatBounds(op flows.Op, w float64) []bound {
	iv := roundingInterval(w)
	above, below := ">", "<" // x beyond the ends, which round to w
	within, under := ">=", "<="
	if !iv.closed {
		above, below = ">=", "<="
		within, under = ">", "<"
	}
	switch op {
	case flows.OpGt:
		return []bound{{above, iv.hi}}
	case flows.OpGte:
		return []bound{{within, iv.lo}}
	case flows.OpLt:
		return []bound{{below, iv.lo}}
	case flows.OpLte:
		return []bound{{under, iv.hi}}
	case flows.OpEq:
		return []bound{{within, iv.lo}, {under, iv.hi}}
	}
	return nil
}

// numericCompare is float64(v) op w for an exact numeric expression v
// (repeated in the result).
func (c *sqlCompiler) numericCompare(v string, op flows.Op, w float64) sqlExpr {
	var parts []string
	for _, b := range floatBounds(op, w) {
		parts = append(parts, v+" "+b.sym+" "+c.args.numeric(decimal(b.value)))
	}
	if len(parts) == 0 {
		return sqlFalse
	}
	return sqlExpr{text: strings.Join(parts, " AND ")}
}

// numericIn is float64(v) in ws for an exact numeric expression v: one
// interval test per number, or for longer lists a scan of the intervals
// bound as arrays.
func (c *sqlCompiler) numericIn(v string, ws []float64) sqlExpr {
	if len(ws) == 0 {
		return sqlFalse
	}
	if len(ws) <= 2 {
		var parts []string
		for _, w := range ws {
			parts = append(parts, "("+c.numericCompare(v, flows.OpEq, w).text+")")
		}
		return sqlExpr{text: strings.Join(parts, " OR ")}
	}
	var los, his []string
	var closed []bool
	for _, w := range ws {
		iv := roundingInterval(w)
		los, his, closed = append(los, decimal(iv.lo)), append(his, decimal(iv.hi)), append(closed, iv.closed)
	}
	r := c.alias("r")
	return sqlExpr{text: "EXISTS (SELECT 1 FROM unnest(" + c.args.numerics(los) + ", " + c.args.numerics(his) + ", " + c.args.bools(closed) +
		") " + r + "(lo, hi, closed) WHERE CASE WHEN " + r + ".closed THEN " + v + " BETWEEN " + r + ".lo AND " + r + ".hi ELSE " +
		v + " > " + r + ".lo AND " + v + " < " + r + ".hi END)"}
}

// intRange is the integers x with float64(x) op w, as an inclusive range
// with nil for an open end; empty when there is none.
func intRange(op flows.Op, w float64) (lo, hi *big.Int, empty bool) {
	for _, b := range floatBounds(op, w) {
		var n *big.Int
		switch b.sym {
		case ">", ">=":
			// The least integer above (or at) the bound.
			n = ratCeil(b.value)
			if b.sym == ">" && b.value.IsInt() {
				n.Add(n, big.NewInt(1))
			}
			if lo == nil || n.Cmp(lo) > 0 {
				lo = n
			}
		default:
			n = ratFloor(b.value)
			if b.sym == "<" && b.value.IsInt() {
				n.Sub(n, big.NewInt(1))
			}
			if hi == nil || n.Cmp(hi) < 0 {
				hi = n
			}
		}
	}
	return lo, hi, lo != nil && hi != nil && lo.Cmp(hi) > 0
}

func ratFloor(r *big.Rat) *big.Int {
	return new(big.Int).Div(r.Num(), r.Denom()) // Euclidean, and the denominator is positive
}

func ratCeil(r *big.Rat) *big.Int {
	q := ratFloor(r)
	if !r.IsInt() {
		q.Add(q, big.NewInt(1))
	}
	return q
}

var (
	minInt64 = big.NewInt(math.MinInt64)
	maxInt64 = big.NewInt(math.MaxInt64)
)

// intCompare is float64(col) op w for a bigint expression col.
func (c *sqlCompiler) intCompare(col string, op flows.Op, w float64) sqlExpr {
	lo, hi, empty := intRange(op, w)
	return c.intBetween(col, lo, hi, empty)
}

// intBetween is lo <= col <= hi for a bigint col, ends cut to int64.
func (c *sqlCompiler) intBetween(col string, lo, hi *big.Int, empty bool) sqlExpr {
	if empty || lo != nil && lo.Cmp(maxInt64) > 0 || hi != nil && hi.Cmp(minInt64) < 0 {
		return sqlFalse
	}
	if lo != nil && lo.Cmp(minInt64) <= 0 {
		lo = nil
	}
	if hi != nil && hi.Cmp(maxInt64) >= 0 {
		hi = nil
	}
	switch {
	case lo == nil && hi == nil:
		return sqlTrue
	case hi == nil:
		return sqlExpr{text: col + " >= " + c.args.int(lo.Int64())}
	case lo == nil:
		return sqlExpr{text: col + " <= " + c.args.int(hi.Int64())}
	case lo.Cmp(hi) == 0:
		return sqlExpr{text: col + " = " + c.args.int(lo.Int64())}
	}
	return sqlExpr{text: col + " BETWEEN " + c.args.int(lo.Int64()) + " AND " + c.args.int(hi.Int64())}
}

// intIn is float64(col) in ws for a bigint col.
func (c *sqlCompiler) intIn(col string, ws []float64) sqlExpr {
	var los, his []int64
	for _, w := range ws {
		lo, hi, empty := intRange(flows.OpEq, w)
		if empty || lo.Cmp(maxInt64) > 0 || hi.Cmp(minInt64) < 0 {
			continue
		}
		if lo.Cmp(minInt64) < 0 {
			lo = minInt64
		}
		if hi.Cmp(maxInt64) > 0 {
			hi = maxInt64
		}
		los, his = append(los, lo.Int64()), append(his, hi.Int64())
	}
	switch len(los) {
	case 0:
		return sqlFalse
	case 1:
		return c.intBetween(col, big.NewInt(los[0]), big.NewInt(his[0]), false)
	}
	r := c.alias("r")
	return sqlExpr{text: "EXISTS (SELECT 1 FROM unnest(" + c.args.ints(los) + ", " + c.args.ints(his) + ") " + r +
		"(lo, hi) WHERE " + col + " BETWEEN " + r + ".lo AND " + r + ".hi)"}
}
