package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// filterNow is the fixed "now" every filter test evaluates at.
var filterNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func filterDaysAgo(n float64) time.Time {
	return filterNow.Add(-time.Duration(n * float64(24*time.Hour)))
}

// filterTestEvent is one event in a filterTestSubject's history.
type filterTestEvent struct {
	typ   string
	at    time.Time
	props map[string]any
}

// filterTestSubject is a contact with fields and an in-memory event history.
type filterTestSubject struct {
	fields map[string]any
	events []filterTestEvent
	err    error // returned by CountEvents when set
}

func (s *filterTestSubject) Value(field string) (any, bool) {
	v, ok := s.fields[field]
	return v, ok
}

func (s *filterTestSubject) CountEvents(q BehaviourQuery) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for _, e := range s.events {
		if e.typ != q.Type || (!q.Since.IsZero() && e.at.Before(q.Since)) {
			continue
		}
		ok, err := q.Where.Match(PropertiesSubject(e.props), q.Now)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// filterPlainSubject has fields but no event history.
type filterPlainSubject map[string]any

func (s filterPlainSubject) Value(field string) (any, bool) {
	v, ok := s[field]
	return v, ok
}

func filterTestContact() *filterTestSubject {
	lastActivity := filterDaysAgo(2)
	return &filterTestSubject{
		fields: map[string]any{
			"attributes.job_title":  "CEO",
			"attributes.company":    "Acme Corp",
			"attributes.empty":      "",
			"attributes.nil":        nil,
			"attributes.age_str":    "25",
			"attributes.word":       "abc",
			"attributes.employees":  250,
			"attributes.revenue":    int64(1_000_000),
			"attributes.ratio":      0.5,
			"attributes.big":        uint32(7),
			"attributes.vip":        true,
			"attributes.trial_ends": "2024-06-10T00:00:00Z",
			"attributes.nano":       "2024-05-01T10:00:00.123456789Z",
			"attributes.signup":     filterDaysAgo(30).Format(time.RFC3339),
			"attributes.langs":      []any{"Go", "Rust", 3.0, true, nil, []any{"nested"}},
			"attributes.scores":     []any{10, 55.5},
			"attributes.no_tags":    []string(nil),
			"attributes.address":    map[string]any{"city": "Berlin", "geo": map[string]any{"zip": "10115"}},
			"attributes.city.name":  "Flat Key",
			"attributes.straße":     "Ünïcode STRASSE",
			"score":                 38.0,
			"score.engagement":      int64(23),
			"grade":                 "Warm",
			"tags":                  []string{"Trial", "newsletter"},
			"segments":              []string{},
			"deal_stage":            "mql",
			"disqualified":          nil,
			"created_at":            filterDaysAgo(92),
			"last_activity_at":      &lastActivity,
		},
		events: []filterTestEvent{
			{typ: "page_visited", at: filterDaysAgo(1), props: map[string]any{"url": "https://acme.test/pricing"}},
			{typ: "page_visited", at: filterDaysAgo(10), props: map[string]any{"url": "https://acme.test/blog"}},
			{typ: "page_visited", at: filterDaysAgo(40), props: map[string]any{"url": "https://acme.test/Pricing"}},
			{typ: "email_opened", at: filterDaysAgo(2), props: map[string]any{"email": "welcome", "sent_at": filterDaysAgo(3).Format(time.RFC3339)}},
		},
	}
}

func mustParseFilter(t testing.TB, raw string, kind FilterKind) *Filter {
	t.Helper()
	f, errs := ParseFilter(json.RawMessage(raw), kind)
	require.Empty(t, errs, "parse %s", raw)
	require.NotNil(t, f)
	return f
}

func filterLeaf(field, op string, value any) string {
	b, err := json.Marshal(map[string]any{"field": field, "op": op, "value": value})
	if err != nil {
		panic(err)
	}
	return string(b)
}

type filterCase struct {
	name   string
	filter string
	want   bool
}

func runFilterCases(t *testing.T, kind FilterKind, s Subject, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParseFilter(t, tc.filter, kind)
			got, err := f.Match(s, filterNow)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got, tc.filter)
		})
	}
}

func TestFilterMatchEquality(t *testing.T) {
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"eq string ignores case", filterLeaf("attributes.job_title", "eq", "ceo"), true},
		{"eq string other", filterLeaf("attributes.job_title", "eq", "cto"), false},
		{"eq empty string", filterLeaf("attributes.empty", "eq", ""), true},
		{"eq grade upper value", filterLeaf("grade", "eq", "WARM"), true},
		{"eq numeric string is not a number", filterLeaf("attributes.age_str", "eq", 25), false},
		{"eq number is not a numeric string", filterLeaf("score", "eq", "38"), false},
		{"eq numeric string as string", filterLeaf("attributes.age_str", "eq", "25"), true},
		{"eq float64", filterLeaf("score", "eq", 38), true},
		{"eq int field", filterLeaf("attributes.employees", "eq", 250.0), true},
		{"eq int64 field", filterLeaf("score.engagement", "eq", 23), true},
		{"eq uint32 field", filterLeaf("attributes.big", "eq", 7), true},
		{"eq number other", filterLeaf("score", "eq", 39), false},
		{"eq bool", filterLeaf("attributes.vip", "eq", true), true},
		{"eq bool other", filterLeaf("attributes.vip", "eq", false), false},
		{"eq bool vs string", filterLeaf("attributes.vip", "eq", "true"), false},
		{"eq null never matches", filterLeaf("attributes.nil", "eq", nil), false},
		{"eq missing", filterLeaf("attributes.nope", "eq", "x"), false},
		{"eq nil", filterLeaf("attributes.nil", "eq", "x"), false},
		{"eq array any element", filterLeaf("tags", "eq", "trial"), true},
		{"eq array none", filterLeaf("tags", "eq", "vip"), false},
		{"eq any-array number", filterLeaf("attributes.langs", "eq", 3), true},
		{"eq any-array bool", filterLeaf("attributes.langs", "eq", true), true},
		{"eq any-array nested array never", filterLeaf("attributes.langs", "eq", "nested"), false},
		{"eq object never", filterLeaf("attributes.address", "eq", "Berlin"), false},
		{"eq time field at same instant", filterLeaf("created_at", "eq", filterDaysAgo(92).Format(time.RFC3339Nano)), true},
		{"eq time field other instant", filterLeaf("created_at", "eq", filterDaysAgo(91).Format(time.RFC3339)), false},
		{"eq unicode ignores case", filterLeaf("attributes.straße", "eq", "ünïcode strasse"), true},

		{"neq string", filterLeaf("attributes.job_title", "neq", "cto"), true},
		{"neq string same other case", filterLeaf("attributes.job_title", "neq", "Ceo"), false},
		{"neq missing", filterLeaf("attributes.nope", "neq", "x"), true},
		{"neq nil", filterLeaf("attributes.nil", "neq", "x"), true},
		{"neq array has element", filterLeaf("tags", "neq", "NEWSLETTER"), false},
		{"neq array no element", filterLeaf("tags", "neq", "vip"), true},
		{"neq number vs numeric string", filterLeaf("attributes.age_str", "neq", 25), true},
		{"neq number", filterLeaf("score", "neq", 38), false},
	})
}

func TestFilterMatchOrdering(t *testing.T) {
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"gt float", filterLeaf("score", "gt", 37.5), true},
		{"gt equal", filterLeaf("score", "gt", 38), false},
		{"gte equal", filterLeaf("score", "gte", 38), true},
		{"lt", filterLeaf("score", "lt", 38), false},
		{"lte equal", filterLeaf("score", "lte", 38), true},
		{"gt int field", filterLeaf("attributes.employees", "gt", 100), true},
		{"lt int64 field", filterLeaf("score.engagement", "lt", 23.5), true},
		{"gte int64 big", filterLeaf("attributes.revenue", "gte", 1e6), true},
		{"gt numeric string field", filterLeaf("attributes.age_str", "gt", 20), true},
		{"lte numeric string field", filterLeaf("attributes.age_str", "lte", 24), false},
		{"gt non-numeric string", filterLeaf("attributes.word", "gt", 0), false},
		{"lt non-numeric string", filterLeaf("attributes.word", "lt", 1e9), false},
		{"gt bool", filterLeaf("attributes.vip", "gt", 0), false},
		{"gt missing", filterLeaf("attributes.nope", "gt", 0), false},
		{"lt missing", filterLeaf("attributes.nope", "lt", 0), false},
		{"gt nil", filterLeaf("attributes.nil", "lt", 0), false},
		{"gt any element of array", filterLeaf("attributes.scores", "gt", 50), true},
		{"gt no element of array", filterLeaf("attributes.scores", "gt", 60), false},
		{"gt time field vs time", filterLeaf("created_at", "gt", "2024-01-01T00:00:00Z"), true},
		{"lt time field vs time", filterLeaf("created_at", "lt", "2024-01-01T00:00:00Z"), false},
		{"lte *time.Time", filterLeaf("last_activity_at", "lte", filterDaysAgo(2).Format(time.RFC3339)), true},
		{"lt *time.Time", filterLeaf("last_activity_at", "lt", filterDaysAgo(2).Format(time.RFC3339)), false},
		{"gt string time field", filterLeaf("attributes.trial_ends", "gt", "2024-06-09T23:59:59+00:00"), true},
		{"gte string time field with offset", filterLeaf("attributes.trial_ends", "gte", "2024-06-10T02:00:00+02:00"), true},
		{"gt RFC3339Nano field", filterLeaf("attributes.nano", "gt", "2024-05-01T10:00:00.123Z"), true},
		{"gt time value vs number field", filterLeaf("score", "gt", "2024-01-01T00:00:00Z"), false},
		{"gt number value vs time field", filterLeaf("created_at", "gt", 0), false},
		{"gt number value vs time string", filterLeaf("attributes.trial_ends", "gt", 0), false},
	})
}

func TestFilterMatchLists(t *testing.T) {
	many := []any{}
	for i := range 40 {
		many = append(many, fmt.Sprintf("Stage-%d", i), float64(1000+i))
	}
	manyWithMQL := append([]any{"MQL", 38}, many...)
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"in string ignores case", filterLeaf("deal_stage", "in", []any{"SQL", "MQL"}), true},
		{"in string none", filterLeaf("deal_stage", "in", []any{"sql", "won"}), false},
		{"in empty list", filterLeaf("deal_stage", "in", []any{}), false},
		{"in number across types", filterLeaf("attributes.employees", "in", []any{1, 250}), true},
		{"in numeric string is not a number", filterLeaf("attributes.age_str", "in", []any{25}), false},
		{"in bool", filterLeaf("attributes.vip", "in", []any{"x", true}), true},
		{"in bool other", filterLeaf("attributes.vip", "in", []any{false}), false},
		{"in array any element", filterLeaf("tags", "in", []any{"vip", "NewsLetter"}), true},
		{"in array no element", filterLeaf("tags", "in", []any{"vip"}), false},
		{"in empty array field", filterLeaf("segments", "in", []any{"a"}), false},
		{"in time", filterLeaf("created_at", "in", []any{filterDaysAgo(92).Format(time.RFC3339)}), true},
		{"in missing", filterLeaf("attributes.nope", "in", []any{"x"}), false},
		{"in long list string", filterLeaf("deal_stage", "in", manyWithMQL), true},
		{"in long list number", filterLeaf("score", "in", manyWithMQL), true},
		{"in long list miss", filterLeaf("deal_stage", "in", many), false},
		{"in long list array field", filterLeaf("tags", "in", append([]any{"TRIAL"}, many...)), true},

		{"nin string", filterLeaf("deal_stage", "nin", []any{"sql", "won"}), true},
		{"nin string present", filterLeaf("deal_stage", "nin", []any{"Mql"}), false},
		{"nin empty list", filterLeaf("deal_stage", "nin", []any{}), true},
		{"nin missing", filterLeaf("attributes.nope", "nin", []any{"x"}), true},
		{"nin nil", filterLeaf("attributes.nil", "nin", []any{nil}), true},
		{"nin array no element", filterLeaf("tags", "nin", []any{"vip", "customer"}), true},
		{"nin array some element", filterLeaf("tags", "nin", []any{"vip", "trial"}), false},
		{"nin long list", filterLeaf("deal_stage", "nin", manyWithMQL), false},
	})
}

func TestFilterMatchStrings(t *testing.T) {
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"contains substring ignores case", filterLeaf("attributes.company", "contains", "ME co"), true},
		{"contains no substring", filterLeaf("attributes.company", "contains", "inc"), false},
		{"contains empty string", filterLeaf("attributes.company", "contains", ""), true},
		{"contains array element", filterLeaf("tags", "contains", "TRIAL"), true},
		{"contains array is not substring", filterLeaf("tags", "contains", "tri"), false},
		{"contains any-array number", filterLeaf("attributes.langs", "contains", 3), true},
		{"contains number field", filterLeaf("score", "contains", 3), false},
		{"contains number value on string", filterLeaf("attributes.age_str", "contains", 25), false},
		{"contains missing", filterLeaf("attributes.nope", "contains", "x"), false},
		{"contains unicode", filterLeaf("attributes.straße", "contains", "STRASSE"), true},

		{"not_contains substring", filterLeaf("attributes.company", "not_contains", "acme"), false},
		{"not_contains none", filterLeaf("attributes.company", "not_contains", "inc"), true},
		{"not_contains array element", filterLeaf("tags", "not_contains", "trial"), false},
		{"not_contains array none", filterLeaf("tags", "not_contains", "vip"), true},
		{"not_contains missing", filterLeaf("attributes.nope", "not_contains", "x"), true},
		{"not_contains nil", filterLeaf("attributes.nil", "not_contains", "x"), true},

		{"starts_with ignores case", filterLeaf("attributes.company", "starts_with", "aCME"), true},
		{"starts_with no", filterLeaf("attributes.company", "starts_with", "corp"), false},
		{"starts_with longer than field", filterLeaf("attributes.job_title", "starts_with", "ceos"), false},
		{"starts_with array element", filterLeaf("tags", "starts_with", "news"), true},
		{"starts_with number field", filterLeaf("score", "starts_with", "3"), false},
		{"starts_with missing", filterLeaf("attributes.nope", "starts_with", ""), false},
		{"starts_with unicode", filterLeaf("attributes.straße", "starts_with", "ÜNÏ"), true},
		{"ends_with ignores case", filterLeaf("attributes.company", "ends_with", " CORP"), true},
		{"ends_with no", filterLeaf("attributes.company", "ends_with", "acme"), false},
		{"ends_with array element", filterLeaf("tags", "ends_with", "IAL"), true},
		{"ends_with unicode", filterLeaf("attributes.straße", "ends_with", "strasse"), true},
		{"ends_with nil", filterLeaf("attributes.nil", "ends_with", ""), false},
	})
}

func TestFilterMatchExists(t *testing.T) {
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"exists string", `{"field": "attributes.job_title", "op": "exists"}`, true},
		{"exists empty string", `{"field": "attributes.empty", "op": "exists"}`, true},
		{"exists empty array", `{"field": "segments", "op": "exists"}`, true},
		{"exists ignores a value", `{"field": "attributes.job_title", "op": "exists", "value": 1}`, true},
		{"exists nil", `{"field": "attributes.nil", "op": "exists"}`, false},
		{"exists nil slice", `{"field": "attributes.no_tags", "op": "exists"}`, false},
		{"exists missing", `{"field": "attributes.nope", "op": "exists"}`, false},
		{"exists *time.Time", `{"field": "last_activity_at", "op": "exists"}`, true},
		{"not_exists missing", `{"field": "attributes.nope", "op": "not_exists"}`, true},
		{"not_exists nil", `{"field": "attributes.nil", "op": "not_exists"}`, true},
		{"not_exists present", `{"field": "score", "op": "not_exists"}`, false},
		{"not_exists empty string", `{"field": "attributes.empty", "op": "not_exists"}`, false},
	})
	nilTime := filterPlainSubject{"last_activity_at": (*time.Time)(nil)}
	f := mustParseFilter(t, `{"field": "last_activity_at", "op": "not_exists"}`, ContactFilter)
	ok, err := f.Match(nilTime, filterNow)
	require.NoError(t, err)
	assert.True(t, ok, "a nil *time.Time is nil")
}

func TestFilterMatchTimes(t *testing.T) {
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"older_than time.Time", filterLeaf("created_at", "older_than", "60d"), true},
		{"older_than time.Time not", filterLeaf("created_at", "older_than", "100d"), false},
		{"newer_than time.Time", filterLeaf("created_at", "newer_than", "100d"), true},
		{"newer_than time.Time not", filterLeaf("created_at", "newer_than", "60d"), false},
		{"older_than *time.Time hours", filterLeaf("last_activity_at", "older_than", "47h"), true},
		{"newer_than *time.Time hours", filterLeaf("last_activity_at", "newer_than", "72h"), true},
		{"older_than exact cutoff is not older", filterLeaf("last_activity_at", "older_than", "48h"), false},
		{"newer_than exact cutoff is newer", filterLeaf("last_activity_at", "newer_than", "2d"), true},
		{"older_than string time", filterLeaf("attributes.signup", "older_than", "29d"), true},
		{"newer_than string time", filterLeaf("attributes.signup", "newer_than", "31d"), true},
		{"newer_than future time", filterLeaf("attributes.trial_ends", "newer_than", "30m"), true},
		{"older_than non-time string", filterLeaf("attributes.word", "older_than", "1d"), false},
		{"newer_than non-time string", filterLeaf("attributes.word", "newer_than", "1d"), false},
		{"older_than number", filterLeaf("attributes.employees", "older_than", "1d"), false},
		{"older_than missing", filterLeaf("attributes.nope", "older_than", "1d"), false},
		{"newer_than missing", filterLeaf("attributes.nope", "newer_than", "1d"), false},
		{"older_than nil", filterLeaf("attributes.nil", "older_than", "1d"), false},
	})
}

func TestFilterMatchDisqualified(t *testing.T) {
	isTrue := filterLeaf("disqualified", "eq", true)
	isFalse := filterLeaf("disqualified", "eq", false)
	notTrue := filterLeaf("disqualified", "neq", true)
	for _, tc := range []struct {
		name  string
		value any
		set   bool
		want  bool // disqualified eq true
	}{
		{"missing", nil, false, false},
		{"nil", nil, true, false},
		{"true", true, true, true},
		{"false", false, true, false},
		{"record", map[string]any{"reason": "spam"}, true, true},
		{"record pointer", &model.Disqualification{Reason: "spam"}, true, true},
		{"nil record pointer", (*model.Disqualification)(nil), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := filterPlainSubject{}
			if tc.set {
				s["disqualified"] = tc.value
			}
			for filter, want := range map[string]bool{isTrue: tc.want, isFalse: !tc.want, notTrue: !tc.want} {
				got, err := mustParseFilter(t, filter, ContactFilter).Match(s, filterNow)
				require.NoError(t, err)
				assert.Equal(t, want, got, filter)
			}
		})
	}
}

func TestFilterMatchNestedFields(t *testing.T) {
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"attribute object walked", filterLeaf("attributes.address.city", "eq", "berlin"), true},
		{"attribute object two levels", filterLeaf("attributes.address.geo.zip", "eq", "10115"), true},
		{"attribute object missing key", filterLeaf("attributes.address.street", "exists", nil), false},
		{"flat dotted key wins", filterLeaf("attributes.city.name", "eq", "flat key"), true},
		{"walk through a non-object", filterLeaf("attributes.job_title.x", "not_exists", nil), true},
		{"score dimension missing", filterLeaf("score.fit", "exists", nil), false},
	})
	event := PropertiesSubject{
		"url":        "https://acme.test/Pricing?plan=pro",
		"context":    map[string]any{"page": map[string]any{"path": "/pricing"}, "locale": "de-DE"},
		"utm.source": "google",
		"amount":     json.Number("12.5"),
		"items":      []any{map[string]any{"sku": "a"}},
		"plan":       "Pro",
	}
	runFilterCases(t, EventFilter, event, []filterCase{
		{"property", filterLeaf("url", "contains", "/pricing"), true},
		{"nested", filterLeaf("context.page.path", "eq", "/pricing"), true},
		{"nested one level", filterLeaf("context.locale", "starts_with", "de"), true},
		{"nested object exists", filterLeaf("context.page", "exists", nil), true},
		{"nested missing", filterLeaf("context.page.title", "exists", nil), false},
		{"flat dotted property", filterLeaf("utm.source", "eq", "Google"), true},
		{"json.Number", filterLeaf("amount", "gt", 12), true},
		{"objects in arrays never match", filterLeaf("items", "eq", "a"), false},
		{"any name", filterLeaf("plan", "in", []any{"pro", "team"}), true},
		{"contact names are just names here", filterLeaf("score", "not_exists", nil), true},
	})
}

func TestFilterMatchCombinators(t *testing.T) {
	yes := filterLeaf("grade", "eq", "warm")
	no := filterLeaf("grade", "eq", "hot")
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"all empty", `{"all": []}`, true},
		{"any empty", `{"any": []}`, false},
		{"all true", `{"all": [` + yes + `,` + yes + `]}`, true},
		{"all one false", `{"all": [` + yes + `,` + no + `]}`, false},
		{"any one true", `{"any": [` + no + `,` + yes + `]}`, true},
		{"any all false", `{"any": [` + no + `,` + no + `]}`, false},
		{"not true", `{"not": ` + yes + `}`, false},
		{"not false", `{"not": ` + no + `}`, true},
		{"not not", `{"not": {"not": ` + yes + `}}`, true},
		{"nested", `{"all": [{"any": [` + no + `, {"not": ` + no + `}]}, {"not": {"all": [` + yes + `,` + no + `]}}]}`, true},
		{"not empty any", `{"not": {"any": []}}`, true},
	})
}

func TestFilterMatchBehaviour(t *testing.T) {
	pricing := `{"field": "url", "op": "contains", "value": "/pricing"}`
	runFilterCases(t, ContactFilter, filterTestContact(), []filterCase{
		{"default count gte 1", `{"event": "page_visited"}`, true},
		{"no such events", `{"event": "form_submitted"}`, false},
		{"count gte 3", `{"event": "page_visited", "count": {"op": "gte", "value": 3}}`, true},
		{"count gte 4", `{"event": "page_visited", "count": {"op": "gte", "value": 4}}`, false},
		{"count eq 3", `{"event": "page_visited", "count": {"op": "eq", "value": 3}}`, true},
		{"count neq 3", `{"event": "page_visited", "count": {"op": "neq", "value": 3}}`, false},
		{"count gt 2", `{"event": "page_visited", "count": {"op": "gt", "value": 2}}`, true},
		{"count lt 3", `{"event": "page_visited", "count": {"op": "lt", "value": 3}}`, false},
		{"count lte 3", `{"event": "page_visited", "count": {"op": "lte", "value": 3}}`, true},
		{"count eq 0 (never)", `{"event": "form_submitted", "count": {"op": "eq", "value": 0}}`, true},
		{"within", `{"event": "page_visited", "within": "7d"}`, true},
		{"within too short", `{"event": "page_visited", "within": "12h"}`, false},
		{"within and count", `{"event": "page_visited", "within": "30d", "count": {"op": "gte", "value": 2}}`, true},
		{"within and count not", `{"event": "page_visited", "within": "5d", "count": {"op": "gte", "value": 2}}`, false},
		{"where", `{"event": "page_visited", "where": ` + pricing + `, "count": {"op": "eq", "value": 2}}`, true},
		{"where and within", `{"event": "page_visited", "where": ` + pricing + `, "within": "30d", "count": {"op": "eq", "value": 1}}`, true},
		{"where uses now", `{"event": "email_opened", "where": {"field": "sent_at", "op": "older_than", "value": "2d"}}`, true},
		{"where null is any", `{"event": "email_opened", "where": null}`, true},
		{"inside not", `{"not": {"event": "form_submitted"}}`, true},
		{"inside all", `{"all": [{"field": "score", "op": "gte", "value": 30}, {"event": "page_visited", "where": ` + pricing + `}]}`, true},
	})
}

func TestFilterMatchBehaviourErrors(t *testing.T) {
	f := mustParseFilter(t, `{"all": [{"field": "score", "op": "gt", "value": 0}, {"event": "page_visited"}]}`, ContactFilter)
	ok, err := f.Match(filterPlainSubject{"score": 5}, filterNow)
	require.ErrorIs(t, err, ErrNoEventHistory)
	assert.False(t, ok)
	assert.Contains(t, err.Error(), "page_visited")

	boom := errors.New("store is down")
	_, err = f.Match(&filterTestSubject{fields: map[string]any{"score": 5}, err: boom}, filterNow)
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), `count "page_visited" events`)

	_, err = mustParseFilter(t, `{"not": {"event": "x"}}`, ContactFilter).Match(filterPlainSubject{}, filterNow)
	require.ErrorIs(t, err, ErrNoEventHistory)

	// Evaluation stops once the result is known, so a decided any never asks for history.
	f = mustParseFilter(t, `{"any": [{"field": "score", "op": "gt", "value": 0}, {"event": "page_visited"}]}`, ContactFilter)
	ok, err = f.Match(filterPlainSubject{"score": 5}, filterNow)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestFilterBehaviourQuery(t *testing.T) {
	var got BehaviourQuery
	s := filterQueryRecorder(func(q BehaviourQuery) { got = q })
	f := mustParseFilter(t, `{"event": "page_visited", "where": {"field": "url", "op": "exists"}, "within": "60d"}`, ContactFilter)
	_, err := f.Match(s, filterNow)
	require.NoError(t, err)
	assert.Equal(t, "page_visited", got.Type)
	assert.Equal(t, filterNow.Add(-60*24*time.Hour), got.Since)
	assert.Equal(t, filterNow, got.Now)
	require.NotNil(t, got.Where)
	assert.Equal(t, EventFilter, got.Where.Kind())
	assert.Equal(t, []string{"url"}, got.Where.Fields())

	_, err = mustParseFilter(t, `{"event": "page_visited"}`, ContactFilter).Match(s, filterNow)
	require.NoError(t, err)
	assert.True(t, got.Since.IsZero(), "no within means all time")
	assert.Nil(t, got.Where)
}

type filterQueryRecorder func(BehaviourQuery)

func (filterQueryRecorder) Value(string) (any, bool) { return nil, false }

func (r filterQueryRecorder) CountEvents(q BehaviourQuery) (int, error) {
	r(q)
	return 1, nil
}

func TestParseFilterErrors(t *testing.T) {
	nested := func(levels int) string {
		return strings.Repeat(`{"not": `, levels-1) + filterLeaf("score", "gt", 1) + strings.Repeat(`}`, levels-1)
	}
	many := `{"any": [` + strings.Repeat(filterLeaf("score", "gt", 1)+",", MaxFilterNodes) + filterLeaf("score", "gt", 1) + `]}`
	for _, tc := range []struct {
		name, raw string
		kind      FilterKind
		path, msg string
	}{
		{"unknown op", `{"all":[{"field":"score","op":"bogus","value":1}]}`, ContactFilter, "all[0].op", `unknown op "bogus"; use one of eq, neq`},
		{"op not a string", `{"field":"score","op":3,"value":1}`, ContactFilter, "op", "unknown op 3"},
		{"op missing", `{"field":"score","value":1}`, ContactFilter, "op", "is required"},
		{"unknown contact field", `{"field":"email","op":"eq","value":"a"}`, ContactFilter, "field", `unknown field "email"; use attributes.<name>, score, score.<dimension>, score_change, score_change.<dimension>, grade`},
		{"empty attribute name", `{"field":"attributes.","op":"exists"}`, ContactFilter, "field", "unknown field"},
		{"empty score dimension", `{"field":"score.","op":"gt","value":1}`, ContactFilter, "field", "unknown field"},
		{"field missing", `{"op":"eq","value":1}`, ContactFilter, "field", "is required"},
		{"field not a string", `{"field":1,"op":"eq","value":1}`, EventFilter, "field", "must be a string"},
		{"field empty", `{"field":"","op":"eq","value":1}`, EventFilter, "field", "must not be empty"},
		{"in without array", `{"field":"tags","op":"in","value":"trial"}`, ContactFilter, "value", "must be an array of values for op in"},
		{"nin without array", `{"not":{"field":"tags","op":"nin","value":{}}}`, ContactFilter, "not.value", "must be an array"},
		{"in with object element", `{"field":"tags","op":"in","value":["a",{"b":1}]}`, ContactFilter, "value[1]", "must be a string, number, boolean or null"},
		{"bad duration", `{"field":"created_at","op":"older_than","value":"60 days"}`, ContactFilter, "value", `invalid duration "60 days"`},
		{"zero duration", `{"field":"created_at","op":"newer_than","value":"0d"}`, ContactFilter, "value", "must be positive"},
		{"duration not a string", `{"field":"created_at","op":"older_than","value":60}`, ContactFilter, "value", "must be a duration"},
		{"older_than on non-time field", `{"field":"score","op":"older_than","value":"1d"}`, ContactFilter, "op", "older_than needs a time field"},
		{"gt with word", `{"field":"score","op":"gt","value":"high"}`, ContactFilter, "value", "must be a number or an RFC3339 time"},
		{"lte with bool", `{"field":"score","op":"lte","value":true}`, ContactFilter, "value", "must be a number or an RFC3339 time"},
		{"starts_with number", `{"field":"grade","op":"starts_with","value":1}`, ContactFilter, "value", "must be a string for op starts_with"},
		{"eq object", `{"field":"grade","op":"eq","value":{"a":1}}`, ContactFilter, "value", "must be a string, number, boolean or null for op eq"},
		{"contains array", `{"field":"tags","op":"contains","value":["a"]}`, ContactFilter, "value", "must be a string, number, boolean or null"},
		{"value missing", `{"field":"grade","op":"eq"}`, ContactFilter, "value", "is required for op eq"},
		{"number out of range", `{"field":"score","op":"eq","value":1e400}`, ContactFilter, "value", "must be a string, number"},
		{"disqualified gt", `{"field":"disqualified","op":"gt","value":1}`, ContactFilter, "op", "disqualified is a boolean"},
		{"disqualified string", `{"field":"disqualified","op":"eq","value":"yes"}`, ContactFilter, "value", "must be true or false"},
		{"disqualified exists", `{"field":"disqualified","op":"exists"}`, ContactFilter, "op", "disqualified is a boolean"},
		{"unknown key in leaf", `{"field":"score","op":"eq","value":1,"foo":1}`, ContactFilter, "foo", `unknown key "foo"`},
		{"unknown key deep", `{"any":[{"all":[{"nope":1}]}]}`, ContactFilter, "any[0].all[0].nope", `unknown key "nope"`},
		{"mixed all and field", `{"all":[],"field":"score","op":"gt","value":1}`, ContactFilter, "", `mixes "all" and a field condition`},
		{"mixed not and event", `{"not":{"all":[]},"event":"x"}`, ContactFilter, "", "mixes"},
		{"mixed field and event", `{"any":[{"field":"score","op":"gt","value":1,"event":"x"}]}`, ContactFilter, "any[0]", "mixes a behaviour condition and a field condition"},
		{"empty object", `{}`, ContactFilter, "", "must be one of"},
		{"not an object", `[]`, ContactFilter, "", "must be a filter object"},
		{"null", `null`, ContactFilter, "", "must be a filter object"},
		{"child not an object", `{"any":[1]}`, ContactFilter, "any[0]", "must be a filter object"},
		{"all not an array", `{"all":{}}`, ContactFilter, "all", "must be an array of filters"},
		{"not null", `{"not":null}`, ContactFilter, "not", "must be a filter object"},
		{"nested value error", `{"not":{"any":[{"field":"grade","op":"eq"}]}}`, ContactFilter, "not.any[0].value", "is required"},
		{"behaviour in event filter", `{"event":"page_visited"}`, EventFilter, "event", "cannot be used inside a filter on an event's properties"},
		{"behaviour in where", `{"event":"a","where":{"all":[{"event":"b"}]}}`, ContactFilter, "where.all[0].event", "cannot be used inside"},
		{"where field error", `{"any":[{"event":"page_visited","where":{"field":"","op":"eq","value":1}}]}`, ContactFilter, "any[0].where.field", "must not be empty"},
		{"where op error", `{"event":"page_visited","where":{"field":"url","op":"like","value":1}}`, ContactFilter, "where.op", "unknown op"},
		{"event missing", `{"within":"60d"}`, ContactFilter, "event", "is required"},
		{"event empty", `{"event":" "}`, ContactFilter, "event", "must not be empty"},
		{"event not a string", `{"event":1}`, ContactFilter, "event", "must be a string"},
		{"within bad", `{"event":"x","within":"soon"}`, ContactFilter, "within", "invalid duration"},
		{"within number", `{"event":"x","within":60}`, ContactFilter, "within", "must be a duration"},
		{"count not object", `{"event":"x","count":2}`, ContactFilter, "count", "must be an object"},
		{"count bad op", `{"event":"x","count":{"op":"in","value":2}}`, ContactFilter, "count.op", `unknown count op "in"`},
		{"count op missing", `{"event":"x","count":{"value":2}}`, ContactFilter, "count.op", "is required"},
		{"count negative", `{"event":"x","count":{"op":"gte","value":-1}}`, ContactFilter, "count.value", "whole number"},
		{"count fraction", `{"event":"x","count":{"op":"gte","value":1.5}}`, ContactFilter, "count.value", "whole number"},
		{"count string", `{"event":"x","count":{"op":"gte","value":"2"}}`, ContactFilter, "count.value", "whole number"},
		{"count missing value", `{"event":"x","count":{"op":"gte"}}`, ContactFilter, "count.value", "is required"},
		{"count unknown key", `{"event":"x","count":{"op":"gte","value":1,"per":"day"}}`, ContactFilter, "count.per", `unknown key "per"`},
		{"too deep", nested(MaxFilterDepth + 1), ContactFilter, strings.TrimSuffix(strings.Repeat("not.", MaxFilterDepth), "."), "nested more than 32 levels"},
		{"too deep via where", `{"event":"x","where":` + nested(MaxFilterDepth) + `}`, ContactFilter, "where" + strings.Repeat(".not", MaxFilterDepth-1), "nested more than 32 levels"},
		{"too many nodes", many, ContactFilter, fmt.Sprintf("any[%d]", MaxFilterNodes-1), "more than 1000 conditions"},
		{"invalid JSON", `{"all": [}`, ContactFilter, "", "not valid JSON"},
		{"trailing data", `{"all": []} {}`, ContactFilter, "", "single JSON object"},
		{"empty input", ` `, ContactFilter, "", "a filter is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, errs := ParseFilter(json.RawMessage(tc.raw), tc.kind)
			assert.Nil(t, f)
			require.NotEmpty(t, errs)
			for _, e := range errs {
				if e.Path == tc.path && strings.Contains(e.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no error at path %q containing %q; got %+v", tc.path, tc.msg, errs)
		})
	}
}

func TestParseFilterErrorsExact(t *testing.T) {
	_, errs := ParseFilter(json.RawMessage(`{"all":[{"field":"score","op":"bogus","value":1}]}`), ContactFilter)
	require.Len(t, errs, 1)
	assert.Equal(t, "all[0].op", errs[0].Path)

	// Every problem is reported at once, in a stable order.
	raw := `{"any":[{"field":"nope","op":"eq","value":1},{"field":"score","op":"in","value":1},{"event":"x","within":"x","count":{"op":"gte","value":-1}}]}`
	_, errs = ParseFilter(json.RawMessage(raw), ContactFilter)
	paths := make([]string, len(errs))
	for i, e := range errs {
		paths[i] = e.Path
	}
	assert.Equal(t, []string{"any[0].field", "any[1].value", "any[2].within", "any[2].count.value"}, paths)

	// A hostile filter reports a bounded list.
	wide := `{"all":[` + strings.Repeat(`{"field":"x","op":"eq","value":1},`, 500) + `{"all":[]}]}`
	_, errs = ParseFilter(json.RawMessage(wide), ContactFilter)
	assert.LessOrEqual(t, len(errs), maxFilterErrors)
}

func TestParseFilterLimitsAccepted(t *testing.T) {
	deep := strings.Repeat(`{"not": `, MaxFilterDepth-1) + filterLeaf("score", "gt", 1) + strings.Repeat(`}`, MaxFilterDepth-1)
	mustParseFilter(t, deep, ContactFilter)

	leaves := strings.TrimSuffix(strings.Repeat(filterLeaf("score", "gt", 1)+",", MaxFilterNodes-1), ",")
	mustParseFilter(t, `{"any": [`+leaves+`]}`, ContactFilter)
}

func TestParseFilterValue(t *testing.T) {
	// Node configs arrive decoded, with integers as int64 and lists maybe as []string.
	f, errs := ParseFilterValue(map[string]any{"all": []any{
		map[string]any{"field": "score", "op": "gte", "value": int64(30)},
		map[string]any{"field": "tags", "op": "in", "value": []string{"trial", "vip"}},
		map[string]any{"event": "page_visited", "count": map[string]any{"op": "gte", "value": int64(1)}},
	}}, ContactFilter)
	require.Empty(t, errs)
	ok, err := f.Match(filterTestContact(), filterNow)
	require.NoError(t, err)
	assert.True(t, ok)

	_, errs = ParseFilterValue(map[string]any{"field": "score", "op": "eq", "value": time.Now()}, ContactFilter)
	require.Len(t, errs, 1)
	assert.Equal(t, "value", errs[0].Path)

	_, errs = ParseFilterValue(map[string]any{"all": []any{}}, FilterKind(7))
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Message, "unknown filter kind")
}

func TestFilterMarshalJSON(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{`{"all": []}`, `{"all":[]}`},
		{`{"any":[]}`, `{"any":[]}`},
		{`{"value": "Trial", "op": "contains", "field": "tags"}`, `{"field":"tags","op":"contains","value":"Trial"}`},
		{`{"field": "score", "op": "gte", "value": 30.0}`, `{"field":"score","op":"gte","value":30}`},
		{`{"field": "attributes.x", "op": "eq", "value": null}`, `{"field":"attributes.x","op":"eq","value":null}`},
		{`{"field": "attributes.x", "op": "exists", "value": 1}`, `{"field":"attributes.x","op":"exists"}`},
		{`{"field": "tags", "op": "nin", "value": []}`, `{"field":"tags","op":"nin","value":[]}`},
		{`{"field": "created_at", "op": "older_than", "value": " 72h "}`, `{"field":"created_at","op":"older_than","value":"72h"}`},
		{`{"not": {"field": "disqualified", "op": "eq", "value": true}}`, `{"not":{"field":"disqualified","op":"eq","value":true}}`},
		{`{"event": "page_visited", "count": {"op": "gte", "value": 1}}`, `{"event":"page_visited"}`},
		{
			`{"any":[{"field":"tags","op":"in","value":["a",1,true,null]},{"event":"page_visited","where":{"field":"url","op":"contains","value":"/pricing"},"within":"60d","count":{"op":"gte","value":2}}]}`,
			`{"any":[{"field":"tags","op":"in","value":["a",1,true,null]},{"event":"page_visited","where":{"field":"url","op":"contains","value":"/pricing"},"within":"60d","count":{"op":"gte","value":2}}]}`,
		},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f := mustParseFilter(t, tc.in, ContactFilter)
			out, err := json.Marshal(f)
			require.NoError(t, err)
			assert.Equal(t, tc.out, string(out))

			again := mustParseFilter(t, string(out), ContactFilter)
			out2, err := again.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, string(out), string(out2))
		})
	}

	var nilFilter *Filter
	out, err := json.Marshal(nilFilter)
	require.NoError(t, err)
	assert.Equal(t, "null", string(out))
}

func TestFilterFieldsAndEvents(t *testing.T) {
	f := mustParseFilter(t, `{"all": [
		{"field": "score", "op": "gt", "value": 1},
		{"not": {"field": "tags", "op": "contains", "value": "x"}},
		{"any": [{"field": "score", "op": "lt", "value": 9}, {"event": "page_visited", "where": {"field": "attributes.url", "op": "exists"}}]},
		{"event": "email_opened"},
		{"event": "page_visited"}
	]}`, ContactFilter)
	assert.Equal(t, []string{"score", "tags"}, f.Fields())
	assert.Equal(t, []string{"email_opened", "page_visited"}, f.BehaviourEvents())

	fields := f.Fields()
	fields[0] = "changed"
	assert.Equal(t, "score", f.Fields()[0], "Fields returns a copy")

	empty := mustParseFilter(t, `{"all": []}`, ContactFilter)
	assert.Empty(t, empty.Fields())
	assert.Empty(t, empty.BehaviourEvents())
}

func TestNilFilterMatchesEverything(t *testing.T) {
	var f *Filter
	ok, err := f.Match(filterPlainSubject{}, filterNow)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Nil(t, f.Fields())
	assert.Nil(t, f.BehaviourEvents())
}

func TestFilterConcurrentMatch(t *testing.T) {
	f := mustParseFilter(t, `{"all": [
		{"field": "deal_stage", "op": "in", "value": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","MQL"]},
		{"field": "tags", "op": "contains", "value": "Trial"},
		{"event": "page_visited", "within": "30d"}
	]}`, ContactFilter)
	s := filterTestContact()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				ok, err := f.Match(s, filterNow)
				if err != nil || !ok {
					t.Errorf("Match = %v, %v", ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestFilterMatchAllocations(t *testing.T) {
	f := mustParseFilter(t, `{"all": [
		{"field": "deal_stage", "op": "eq", "value": "MQL"},
		{"field": "deal_stage", "op": "in", "value": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","MQL"]},
		{"field": "score", "op": "gte", "value": 30},
		{"field": "tags", "op": "contains", "value": "newsletter"},
		{"field": "attributes.company", "op": "starts_with", "value": "acme"},
		{"field": "attributes.company", "op": "ends_with", "value": "corp"},
		{"field": "created_at", "op": "older_than", "value": "30d"},
		{"field": "attributes.address.city", "op": "exists"},
		{"not": {"field": "attributes.nope", "op": "exists"}}
	]}`, ContactFilter)
	s := filterTestContact()
	allocs := testing.AllocsPerRun(100, func() {
		if ok, err := f.Match(s, filterNow); err != nil || !ok {
			t.Fatalf("Match = %v, %v", ok, err)
		}
	})
	assert.Zero(t, allocs, "Match runs for every event and should not allocate")
}

func BenchmarkFilterMatch(b *testing.B) {
	f := mustParseFilter(b, `{"all": [
		{"field": "deal_stage", "op": "in", "value": ["sql", "mql"]},
		{"field": "score", "op": "gte", "value": 30},
		{"field": "tags", "op": "contains", "value": "newsletter"},
		{"field": "attributes.company", "op": "contains", "value": "acme"},
		{"field": "created_at", "op": "older_than", "value": "30d"}
	]}`, ContactFilter)
	s := filterTestContact()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Match(s, filterNow); err != nil {
			b.Fatal(err)
		}
	}
}
