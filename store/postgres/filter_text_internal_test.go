package postgres

import (
	"slices"
	"testing"
	"unicode"
)

// TestListSpellings compares the spellings of wants with every string of
// their length, built from all runes, that lowercases to them rune by rune.
func TestListSpellings(t *testing.T) {
	preimages := map[rune][]rune{}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		l := unicode.ToLower(r)
		preimages[l] = append(preimages[l], r)
	}
	for _, want := range []string{"k", "i", "vip", "ß", "ǆ", "å", "ω", "σ", "ς", "kelvn", "i̇", "", "日本", "1_0"} {
		expect := []string{""}
		for _, q := range want {
			var next []string
			for _, v := range expect {
				for _, r := range preimages[q] {
					next = append(next, v+string(r))
				}
			}
			expect = next
		}
		got, ok := listSpellings([]string{want})
		if !ok {
			t.Errorf("%q: no spellings", want)
			continue
		}
		slices.Sort(expect)
		slices.Sort(got)
		if !slices.Equal(got, expect) {
			t.Errorf("%q: spellings %q, want %q", want, got, expect)
		}
	}
	if got, ok := listSpellings([]string{"x\x00", "\xff"}); !ok || len(got) != 0 {
		t.Errorf("unstorable wants: %q, %v; want none", got, ok)
	}
	if _, ok := listSpellings([]string{"kkkk"}); ok {
		t.Error("3^4 spellings are more than a leaf binds")
	}
}
