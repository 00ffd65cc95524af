package filtersql

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestLowerTable checks the case table against every rune: it must hold
// each rune unicode.ToLower changes, and each non-ASCII preimage.
func TestLowerTable(t *testing.T) {
	ct := LowerTable()
	from := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		l := unicode.ToLower(r)
		if l == r {
			if ct.Unfixed[r] {
				t.Fatalf("%U is fixed by ToLower but listed as changing", r)
			}
			continue
		}
		if !ct.Unfixed[r] {
			t.Fatalf("%U lowercases to %U but is not listed", r, l)
		}
		if r >= utf8.RuneSelf {
			from++
		}
	}
	n := 0
	for _, rs := range ct.From {
		n += len(rs)
	}
	if n != from {
		t.Fatalf("table lists %d non-ASCII preimages, want %d", n, from)
	}
}
