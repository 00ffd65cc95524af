package filtersql

import (
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/flows"
)

// TestMsBound checks the bounds against comparing the instants themselves,
// for whole-ms columns around times with and without a sub-ms remainder.
func TestMsBound(t *testing.T) {
	base := time.UnixMilli(1_700_000_000_000)
	cmp := map[flows.Op]func(a, b time.Time) bool{
		flows.OpEq:  func(a, b time.Time) bool { return a.Equal(b) },
		flows.OpGt:  func(a, b time.Time) bool { return a.After(b) },
		flows.OpGte: func(a, b time.Time) bool { return !a.Before(b) },
		flows.OpLt:  func(a, b time.Time) bool { return a.Before(b) },
		flows.OpLte: func(a, b time.Time) bool { return !a.After(b) },
	}
	holds := map[string]func(col, ms int64) bool{
		"=": func(c, m int64) bool { return c == m }, ">": func(c, m int64) bool { return c > m },
		">=": func(c, m int64) bool { return c >= m }, "<": func(c, m int64) bool { return c < m },
		"<=": func(c, m int64) bool { return c <= m },
	}
	for _, tt := range []time.Time{base, base.Add(time.Nanosecond), base.Add(999_999), base.Add(-1)} {
		for op, want := range cmp {
			sym, q, ok := MsBound(op, tt)
			for col := base.UnixMilli() - 2; col <= base.UnixMilli()+2; col++ {
				got := ok && holds[sym](col, q)
				if w := want(time.UnixMilli(col), tt); got != w {
					t.Errorf("%s %v vs column %d: %v, want %v", op, tt, col, got, w)
				}
			}
		}
	}
	if _, _, ok := MsBound(flows.OpContains, base); ok {
		t.Error("contains has a bound")
	}
}

func TestWantOf(t *testing.T) {
	w, err := WantOf("2025-03-01T00:00:00Z")
	if err != nil || w.Kind != "string" || !w.IsTime || w.Lower != "2025-03-01t00:00:00z" {
		t.Errorf("time string: %+v, %v", w, err)
	}
	if w, _ := WantOf("2025-03-01 00:00:00Z"); w.IsTime {
		t.Error("a space for T parses as a time")
	}
	if _, err := WantOf(int64(1)); err == nil {
		t.Error("int64 accepted")
	}
}
