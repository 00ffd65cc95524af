package postgres

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/scoreflow/scoreflow/flows"
)

// The rounding intervals are checked against strconv.ParseFloat, which
// rounds any decimal correctly: an end of w's interval reads as w exactly
// when the interval is closed, and a hair inside (outside) always does
// (never does).

// intervalFloats are float64s whose intervals have every shape: zero,
// denormals, powers of two (a closer neighbour below), odd and even
// mantissas, integers around 2^53, the largest finite.
func intervalFloats() []float64 {
	out := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1e-323, 2.2250738585072014e-308, 2.225073858507201e-308,
		0.5, 1, 2, 3, 25, 25.5, -3, 0.1, 1e-7, 0.005, 1e20, 9007199254740992, 9007199254740994, 9007199254740996,
		math.Ldexp(1, 63), -math.Ldexp(1, 63), 1 << 62, math.MaxFloat64, -math.MaxFloat64, math.Nextafter(math.MaxFloat64, 0),
		-1e300, 1.7976931348623155e308}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		f := math.Float64frombits(r.Uint64())
		if !math.IsInf(f, 0) && !math.IsNaN(f) {
			out = append(out, f)
		}
	}
	return out
}

func parsesTo(t *testing.T, r *big.Rat, w float64) bool {
	t.Helper()
	f, err := strconv.ParseFloat(decimal(r), 64)
	if err != nil && !math.IsInf(f, 0) {
		t.Fatalf("ParseFloat(%s): %v", decimal(r), err)
	}
	return f == w
}

func TestRoundingInterval(t *testing.T) {
	hair := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 1100))
	for _, w := range intervalFloats() {
		iv := roundingInterval(w)
		if got := parsesTo(t, iv.lo, w); got != iv.closed {
			t.Errorf("%g: low end %s reads as w: %v, interval closed: %v", w, decimal(iv.lo), got, iv.closed)
		}
		if got := parsesTo(t, iv.hi, w); got != iv.closed {
			t.Errorf("%g: high end %s reads as w: %v, interval closed: %v", w, decimal(iv.hi), got, iv.closed)
		}
		in, out := new(big.Rat), new(big.Rat)
		if !parsesTo(t, in.Add(iv.lo, hair), w) || !parsesTo(t, in.Sub(iv.hi, hair), w) {
			t.Errorf("%g: a hair inside its interval does not read as it", w)
		}
		if parsesTo(t, out.Sub(iv.lo, hair), w) || parsesTo(t, out.Add(iv.hi, hair), w) {
			t.Errorf("%g: a hair outside its interval reads as it", w)
		}
		if x := new(big.Rat).SetFloat64(w); x.Cmp(iv.lo) < 0 || x.Cmp(iv.hi) > 0 {
			t.Errorf("%g is outside its own interval", w)
		}
	}
	if got := parsesTo(t, maxFloatBound, math.Inf(1)); !got {
		t.Errorf("the bound of finite floats %s does not read as +Inf", decimal(maxFloatBound))
	}
}

// TestIntRange checks the integer bounds of float64(x) op w at their ends:
// the bound itself satisfies op and the integer past it does not.
func TestIntRange(t *testing.T) {
	holds := func(op flows.Op, x, w float64) bool {
		switch op {
		case flows.OpEq:
			return x == w
		case flows.OpGt:
			return x > w
		case flows.OpGte:
			return x >= w
		case flows.OpLt:
			return x < w
		}
		return x <= w
	}
	toFloat := func(n *big.Int) float64 { f, _ := new(big.Float).SetInt(n).Float64(); return f }
	one := big.NewInt(1)
	for _, w := range intervalFloats() {
		for _, op := range []flows.Op{flows.OpEq, flows.OpGt, flows.OpGte, flows.OpLt, flows.OpLte} {
			lo, hi, empty := intRange(op, w)
			if empty {
				// No integer holds: none of those next to w does.
				if math.Abs(w) < 1<<62 {
					for n := int64(math.Floor(w)) - 1; n <= int64(math.Ceil(w))+1; n++ {
						if holds(op, float64(n), w) {
							t.Errorf("%s %g: empty, but %d holds", op, w, n)
						}
					}
				}
				continue
			}
			if lo != nil {
				if !holds(op, toFloat(lo), w) || holds(op, toFloat(new(big.Int).Sub(lo, one)), w) {
					t.Errorf("%s %g: low bound %v is not the least integer that holds", op, w, lo)
				}
			}
			if hi != nil {
				if !holds(op, toFloat(hi), w) || holds(op, toFloat(new(big.Int).Add(hi, one)), w) {
					t.Errorf("%s %g: high bound %v is not the greatest integer that holds", op, w, hi)
				}
			}
			if lo == nil && hi == nil {
				t.Errorf("%s %g: unbounded", op, w)
			}
		}
	}
}
