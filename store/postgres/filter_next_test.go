package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/storetest"
)

// TestPostgresFilterPropertyTurkish runs the property test on databases
// whose default collation is ICU's Turkish, where lower('I') is 'ı': the
// compiled filters may not depend on the database's locale.
func TestPostgresFilterPropertyTurkish(t *testing.T) {
	storetest.FilterProperty(t, func(t *testing.T) store.Store {
		return openAt(t, pgtest.NewDatabase(t, "LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR'"))
	}, 100_000)
}

// TestScheduleBoundariesOfAttributeTimes: PostgreSQL reads an attribute's
// RFC 3339 time (or each of an array's) as the filter does, so its
// older_than/newer_than leaves get next-change moments in SQL: the first
// whole ms after time + span, when that is after now; text that is no
// time for the filter gives none.
func TestScheduleBoundariesOfAttributeTimes(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, pgtest.URL(t))
	now := time.Date(2025, 3, 10, 12, 0, 0, 123456789, time.UTC)
	attrs := map[string]string{
		"offset":  `{"trial":"2025-03-01T10:00:00.5+01:00"}`,
		"array":   `{"trial":["2025-03-05T00:00:00Z","bad",5,"2025-02-01T00:00:00Z",["2025-03-06T00:00:00Z"]]}`,
		"nested":  `{"plan":{"trial":"2025-03-02T00:00:00.0004Z"}}`,
		"short":   `{"trial":"2025-03-09T2:00:00Z"}`,
		"invalid": `{"trial":"2025-02-30T00:00:00Z"}`,
		"null":    `{"trial":null}`,
		"none":    `{}`,
		"ns":      `{"trial":"2025-03-10T12:00:00.999999999Z"}`,
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for id, a := range attrs {
		if err := tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: id, CreatedAt: now}, Attributes: a}); err != nil {
			t.Fatal(err)
		}
	}
	parse := func(raw string) *flows.Filter {
		f, errs := flows.ParseFilter(json.RawMessage(raw), flows.ContactFilter)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return f
	}
	ms := func(s string, span time.Duration) int64 {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return at.Add(span).UnixMilli() + 1 // the first whole ms after at + span
	}
	for _, tc := range []struct {
		filter string
		want   map[string]int64
	}{
		{`{"field":"attributes.trial","op":"older_than","value":"10d"}`, map[string]int64{
			"offset": ms("2025-03-01T10:00:00.5+01:00", 10*24*time.Hour),
			"array":  ms("2025-03-05T00:00:00Z", 10*24*time.Hour),
			"ns":     ms("2025-03-10T12:00:00.999999999Z", 10*24*time.Hour),
		}},
		// A span with a sub-ms part: floor((t + span) / 1 ms) + 1.
		{`{"field":"attributes.plan.trial","op":"newer_than","value":"205h3.9996ms"}`, map[string]int64{
			"nested": ms("2025-03-02T00:00:00.0004Z", 205*time.Hour+3999600*time.Nanosecond),
		}},
		{`{"not":{"field":"attributes.trial","op":"newer_than","value":"1ns"}}`, map[string]int64{
			"ns": ms("2025-03-10T12:00:00.999999999Z", time.Nanosecond),
		}},
	} {
		for id := range attrs { // no pass scheduled

			r, err := tx.LoadContact(id)
			if err != nil {
				t.Fatal(err)
			}
			r.NextEvalAt = 0
			if err := tx.SaveContact(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.ScheduleBoundaries(parse(tc.filter), now); err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		for id := range attrs {
			r, err := tx.LoadContact(id)
			if err != nil {
				t.Fatal(err)
			}
			if r.NextEvalAt != tc.want[id] {
				t.Errorf("%s: %s next pass at %d (%v), want %d (%v)", tc.filter, id, r.NextEvalAt, time.UnixMilli(r.NextEvalAt).UTC(),
					tc.want[id], time.UnixMilli(tc.want[id]).UTC())
			}
		}
	}
}

// TestScheduleBoundariesPrune: as segments' NextChange, a time-free part
// that settles an "all" (false) or an "any" (true) leaves no moment.
func TestScheduleBoundariesPrune(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, pgtest.URL(t))
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	active := now.Add(-10 * 24 * time.Hour)
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for id, role := range map[string]string{"student": "Student", "ceo": "CEO"} {
		c := &model.Contact{ID: id, CreatedAt: now, LastActivityAt: &active}
		if err := tx.SaveContact(&store.ContactRecord{Contact: c, Attributes: `{"job_role":"` + role + `"}`}); err != nil {
			t.Fatal(err)
		}
	}
	inactiveAt := active.Add(30*24*time.Hour).UnixMilli() + 1
	for _, tc := range []struct {
		filter string
		want   map[string]int64
	}{
		{`{"all":[{"field":"attributes.job_role","op":"eq","value":"student"},{"field":"last_activity_at","op":"older_than","value":"30d"}]}`,
			map[string]int64{"student": inactiveAt}},
		{`{"any":[{"field":"attributes.job_role","op":"eq","value":"student"},{"field":"last_activity_at","op":"older_than","value":"30d"}]}`,
			map[string]int64{"ceo": inactiveAt}},
		{`{"not":{"all":[{"field":"attributes.job_role","op":"eq","value":"student"},{"not":{"field":"last_activity_at","op":"older_than","value":"30d"}}]}}`,
			map[string]int64{"student": inactiveAt}},
		{`{"all":[{"any":[]},{"field":"last_activity_at","op":"older_than","value":"30d"}]}`, map[string]int64{}},
		{`{"any":[{"all":[]},{"field":"last_activity_at","op":"older_than","value":"30d"}]}`, map[string]int64{}},
		{`{"all":[{"field":"score","op":"gte","value":0},{"any":[{"field":"last_activity_at","op":"older_than","value":"30d"},
			{"field":"last_activity_at","op":"older_than","value":"20d"}]}]}`,
			map[string]int64{"student": active.Add(20*24*time.Hour).UnixMilli() + 1, "ceo": active.Add(20*24*time.Hour).UnixMilli() + 1}},
	} {
		f, errs := flows.ParseFilter(json.RawMessage(tc.filter), flows.ContactFilter)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for _, id := range []string{"student", "ceo"} {
			r, err := tx.LoadContact(id)
			if err != nil {
				t.Fatal(err)
			}
			r.NextEvalAt = 0
			if err := tx.SaveContact(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.ScheduleBoundaries(f, now); err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		for _, id := range []string{"student", "ceo"} {
			r, err := tx.LoadContact(id)
			if err != nil {
				t.Fatal(err)
			}
			if r.NextEvalAt != tc.want[id] {
				t.Errorf("%s: %s next pass at %d, want %d", tc.filter, id, r.NextEvalAt, tc.want[id])
			}
		}
	}
}
