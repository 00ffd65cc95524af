package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/internal/pgtest"
)

// TestPostgresMillionContacts times the whole-database segment passes
// (the live count, a back-fill's movers, the next-change moments) over
// 1,000,000 contacts, as SQLite's TestSQLMillionContacts does. It builds a
// database of about a GB, so it runs only with SCOREFLOW_PERF=1
// (SCOREFLOW_PERF_CONTACTS changes the count):
//
//	SCOREFLOW_PERF=1 go test -run TestPostgresMillionContacts -v -timeout 30m ./store/postgres/
func TestPostgresMillionContacts(t *testing.T) {
	if os.Getenv("SCOREFLOW_PERF") != "1" {
		t.Skip("set SCOREFLOW_PERF=1 to build 1,000,000 contacts and time the SQL passes")
	}
	contacts := 1_000_000
	if s := os.Getenv("SCOREFLOW_PERF_CONTACTS"); s != "" {
		var err error
		if contacts, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	url := pgtest.URL(t)
	s := openAt(t, url)
	conn := raw(t, url)
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	start := time.Now()
	// About 30% of contacts get 1 to 5 events (email_opened, page_visited)
	// over the last 120 days; a tenth have no attributes; each of five tags
	// is on a tenth of the contacts, "churned" on one in 10,000.
	nowMS := now.UnixMilli()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SELECT setseed(0.5)`, nil},
		{`INSERT INTO contacts (id, email, attributes, scores, score, grade, tags, deal_stage, segments, created_at, last_activity_at)
		SELECT 'c' || lpad(i::text, 7, '0'), 'c' || i || '@example.com',
			CASE WHEN random() < 0.1 THEN '{}'::jsonb ELSE jsonb_build_object(
				'job_role', (ARRAY['student','unemployed','Student','engineer','CEO','marketer','designer','founder','sales','teacher'])[1 + floor(random() * 10)::int],
				'company', 'Acme ' || (i % 1000), 'employees', floor(random() * 5000)::int) END,
			jsonb_build_object('fit', sc), sc, (ARRAY['cold','warm','hot'])[1 + sc / 40],
			tg || CASE WHEN i % 10000 = 0 THEN '["churned"]'::jsonb ELSE '[]' END, (ARRAY['','new','mql'])[1 + floor(random() * 3)::int], '[]',
			$1::bigint - floor(random() * 240 * 86400000)::bigint,
			CASE WHEN random() < 0.67 THEN $1::bigint - floor(random() * 120 * 86400000)::bigint END
		FROM generate_series(1, $2::int) i,
			LATERAL (SELECT floor(random() * 120)::int + 0 * i AS sc) s,
			LATERAL (SELECT COALESCE(jsonb_agg(t), '[]') AS tg FROM unnest(ARRAY['vip','newsletter','Student','trial','partner']) t WHERE random() < 0.1 + 0 * i) g`, []any{nowMS, contacts}},
		{`INSERT INTO events (id, contact_id, type, ts, properties, applied_at)
		SELECT id || '-' || k, id, typ, ts, CASE WHEN typ = 'page_visited' THEN jsonb_build_object('url',
			(ARRAY['/blog/scoring','/pricing','/Blog/segments','/docs','/'])[1 + floor(random() * 5)::int]) END, ts
		FROM (SELECT c.id, k, CASE WHEN random() < 0.5 THEN 'email_opened' ELSE 'page_visited' END AS typ,
				$1::bigint - floor(random() * 120 * 86400000)::bigint AS ts
			FROM contacts c, generate_series(1, 1 + abs(hashtext(c.id || 'n')) % 5) k
			WHERE abs(hashtext(c.id)) % 10 < 3) e`, []any{nowMS}},
		{`ANALYZE`, nil},
	} {
		if _, err := conn.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
	var events int64
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %d contacts and %d events in %v", contacts, events, time.Since(start).Round(time.Millisecond))

	for _, tc := range []struct{ name, filter string }{
		{"dead-end playbook", deadEndFilter},
		{"opened an email in 60 days", `{"event":"email_opened","within":"60d","count":{"op":"gte","value":1}}`},
		{"opened 2+ emails in 60 days, not a student", `{"all":[{"event":"email_opened","within":"60d","count":{"op":"gte","value":2}},
			{"field":"attributes.job_role","op":"neq","value":"student"}]}`},
		{"hot", `{"field":"score","op":"gte","value":100}`},
		{"a tag", `{"field":"tags","op":"contains","value":"VIP"}`},
		{"a rare tag", `{"field":"tags","op":"in","value":["Churned","lost"]}`},
		{"inactive 30 days", `{"field":"last_activity_at","op":"older_than","value":"30d"}`},
		{"employees over 4000", `{"field":"attributes.employees","op":"gt","value":4000}`},
	} {
		f, errs := flows.ParseFilter(json.RawMessage(tc.filter), flows.ContactFilter)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		start := time.Now()
		n, _, err := s.MatchContacts(ctx, f, now, 20)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		count := time.Since(start)
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		entered, _, err := tx.SegmentMovers("perf", f, now)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		movers := time.Since(start)
		start = time.Now()
		if err := tx.ScheduleBoundaries(f, now); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		bounds := time.Since(start)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if int64(len(entered)) != n {
			t.Errorf("%s: MatchContacts counts %d, SegmentMovers enter %d", tc.name, n, len(entered))
		}
		t.Logf("%-45s %7d of %d: MatchContacts %v, SegmentMovers %v, ScheduleBoundaries %v", tc.name, n, contacts,
			count.Round(time.Millisecond), movers.Round(time.Millisecond), bounds.Round(time.Millisecond))
	}
}

// deadEndFilter is the dead-end playbook's segment: no email opened and no
// blog page read in 60 days, a student or unemployed.
const deadEndFilter = `{"all":[{"event":"email_opened","within":"60d","count":{"op":"eq","value":0}},
	{"field":"attributes.job_role","op":"in","value":["student","unemployed"]},
	{"event":"page_visited","where":{"field":"url","op":"contains","value":"/blog/"},"within":"60d","count":{"op":"eq","value":0}}]}`
