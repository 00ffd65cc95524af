package filtersql

import (
	"fmt"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/store"
)

// Text as flows reads it compares Go's rune-by-rune lowercasing. SQL's
// lower() folds ASCII alike in both dialects (SQLite's folds nothing else;
// PostgreSQL's, under COLLATE "C", neither), so the rest is replacements
// worked out here from unicode tables, the same for every dialect.

// CaseTable maps each rune that unicode.ToLower produces from some other
// rune to the non-ASCII runes it is produced from (the ASCII ones are
// lower()'s business), and records runes that ToLower would change again.
type CaseTable struct {
	From    map[rune][]rune
	Unfixed map[rune]bool // ToLower(r) != r
}

// LowerTable is the CaseTable of unicode.ToLower, built once.
var LowerTable = sync.OnceValue(func() CaseTable {
	ct := CaseTable{From: map[rune][]rune{}, Unfixed: map[rune]bool{}}
	// unicode.ToLower changes only runes of unicode.CaseRanges.
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			l := unicode.ToLower(r)
			if l == r {
				continue
			}
			ct.Unfixed[r] = true
			if r >= utf8.RuneSelf {
				ct.From[l] = append(ct.From[l], r)
			}
		}
	}
	return ct
})

// FoldPair is one replacement of a folded text: From by To.
type FoldPair struct{ From, To rune }

// FoldPairs lists, for every rune of the lowercase wants, each other
// non-ASCII rune that lowercases to it: lower(v) with these replaced is v
// lowercased as flows compares it with the wants. Runes of v that
// lowercase to none of the wants' runes match none of them either way. A
// want with a rune that lowercases again is store.ErrNoSQL: SQL could not
// tell which runes Go would match to it.
func FoldPairs(wants []string) ([]FoldPair, error) {
	ct := LowerTable()
	var pairs []FoldPair
	seen := map[rune]bool{}
	for _, w := range wants {
		for _, q := range w {
			if seen[q] {
				continue
			}
			seen[q] = true
			if ct.Unfixed[q] {
				return nil, fmt.Errorf("%w: %q has no stable lowercase", store.ErrNoSQL, q)
			}
			for _, r := range ct.From[q] {
				pairs = append(pairs, FoldPair{r, q})
			}
		}
	}
	return pairs, nil
}
