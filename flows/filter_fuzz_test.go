package flows

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// filterSeeds are valid and invalid filters the fuzzer starts from.
var filterSeeds = []string{
	`{"all": []}`,
	`{"any": []}`,
	`{"not": {"field": "score", "op": "gt", "value": 10}}`,
	`{"field": "attributes.job_title", "op": "eq", "value": "CEO"}`,
	`{"field": "tags", "op": "in", "value": ["trial", "vip", 1, true, null]}`,
	`{"field": "tags", "op": "nin", "value": []}`,
	`{"field": "attributes.company", "op": "contains", "value": "acme"}`,
	`{"field": "attributes.company", "op": "not_contains", "value": "inc"}`,
	`{"field": "grade", "op": "starts_with", "value": "wa"}`,
	`{"field": "deal_stage", "op": "ends_with", "value": "ql"}`,
	`{"field": "score.fit", "op": "lte", "value": -3.5}`,
	`{"field": "created_at", "op": "gt", "value": "2024-01-01T00:00:00Z"}`,
	`{"field": "created_at", "op": "older_than", "value": "60d"}`,
	`{"field": "last_activity_at", "op": "newer_than", "value": "1h30m"}`,
	`{"field": "attributes.x", "op": "exists"}`,
	`{"field": "segments", "op": "not_exists", "value": 1}`,
	`{"field": "disqualified", "op": "eq", "value": false}`,
	`{"field": "context.page.path", "op": "eq", "value": "/pricing"}`,
	`{"event": "page_visited", "where": {"field": "url", "op": "contains", "value": "/pricing"}, "within": "60d", "count": {"op": "gte", "value": 2}}`,
	`{"all": [{"any": [{"field": "score", "op": "gte", "value": 50}, {"event": "form_submitted"}]}, {"not": {"field": "tags", "op": "contains", "value": "customer"}}]}`,
	`{"all":[{"field":"score","op":"bogus","value":1}]}`,
	`{"field": "email", "op": "eq", "value": "a"}`,
	`{"field": "tags", "op": "in", "value": "trial"}`,
	`{"field": "created_at", "op": "older_than", "value": "soon"}`,
	`{"all": [], "field": "score"}`,
	`{"event": "x", "count": {"op": "gte", "value": -1}}`,
	`{"not": {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"field": "score", "op": "gt", "value": 1}}}}}}}}}`,
	`{"field": "score", "op": "eq", "value": 1e400}`,
	`{}`,
	`[]`,
	`null`,
	`{"all": [`,
}

// filterFuzzSubject has a value for most names the seeds use, of every type a
// Subject may return, and an event history for behaviour leaves.
func filterFuzzSubject() *filterTestSubject {
	s := filterTestContact()
	for k, v := range map[string]any{
		"url":     "https://acme.test/Pricing",
		"context": map[string]any{"page": map[string]any{"path": "/pricing"}},
		"x":       []any{1, "a", nil, map[string]any{}},
		"email":   "ivan@acme.test",
		"0":       json.Number("12"),
		"":        "empty name",
	} {
		s.fields[k] = v
	}
	s.events = append(s.events, filterTestEvent{typ: "form_submitted", at: filterDaysAgo(1), props: s.fields})
	return s
}

func FuzzParseFilter(f *testing.F) {
	for _, seed := range filterSeeds {
		f.Add([]byte(seed))
	}
	subject := filterFuzzSubject()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []FilterKind{ContactFilter, EventFilter} {
			checkFilterInput(t, data, kind, subject)
		}
	})
}

// checkFilterInput asserts what must hold for any input: a filter or
// errors, never both; a parsed filter matches without panicking and
// survives a MarshalJSON round trip unchanged.
func checkFilterInput(t *testing.T, data []byte, kind FilterKind, s Subject) {
	flt, errs := ParseFilter(data, kind)
	if len(errs) > 0 {
		if flt != nil {
			t.Fatalf("%s: both a filter and errors %v", kind, errs)
		}
		for _, e := range errs {
			if e.Message == "" {
				t.Fatalf("%s: error without a message at %q", kind, e.Path)
			}
		}
		return
	}
	if flt == nil {
		t.Fatalf("%s: neither a filter nor errors", kind)
	}
	_, _ = flt.Match(s, filterNow) // behaviour errors are fine; panics are not
	_, _ = flt.Fields(), flt.BehaviourEvents()

	out, err := flt.MarshalJSON()
	if err != nil {
		t.Fatalf("%s: MarshalJSON: %v", kind, err)
	}
	again, errs := ParseFilter(out, kind)
	if len(errs) > 0 {
		t.Fatalf("%s: %s does not parse again: %v", kind, out, errs)
	}
	out2, err := again.MarshalJSON()
	if err != nil {
		t.Fatalf("%s: MarshalJSON again: %v", kind, err)
	}
	if string(out) != string(out2) {
		t.Fatalf("%s: round trip changed the filter:\n%s\n%s", kind, out, out2)
	}
}

// FuzzFilterFoldedStrings checks the allocation-free case-insensitive
// helpers against lowercasing with the standard library.
func FuzzFilterFoldedStrings(f *testing.F) {
	for _, seed := range [][2]string{
		{"Acme Corp", "me co"}, {"ÜNÏCODE", "ünï"}, {"İstanbul", "i"}, {"", ""}, {"K", "k"},
		{strings.Repeat("ab", 600), "bA" + strings.Repeat("b", 10)}, {"Straße", "SSE"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, sub string) {
		if !utf8.ValidString(s) || !utf8.ValidString(sub) {
			t.Skip("field values from JSON are valid UTF-8")
		}
		ls, lower := strings.ToLower(s), strings.ToLower(sub)
		check := func(name string, got, want bool) {
			if got != want {
				t.Fatalf("%s(%q, %q) = %v, want %v", name, s, lower, got, want)
			}
		}
		check("equalLower", equalLower(s, lower), ls == lower)
		check("hasPrefixLower", hasPrefixLower(s, lower), strings.HasPrefix(ls, lower))
		check("hasSuffixLower", hasSuffixLower(s, lower), strings.HasSuffix(ls, lower))
		check("containsLower", containsLower(s, lower), strings.Contains(ls, lower))
	})
}
