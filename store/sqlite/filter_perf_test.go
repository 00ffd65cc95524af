package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSQLMillionContacts times the whole-database pass of time-based
// segments over 1,000,000 contacts (ISSUE 4: under 10 s). It builds a
// database of a few hundred MB, so it runs only with SCOREFLOW_PERF=1:
//
//	SCOREFLOW_PERF=1 go test -run TestSQLMillionContacts -v -timeout 30m ./store/sqlite/
func TestSQLMillionContacts(t *testing.T) {
	if os.Getenv("SCOREFLOW_PERF") != "1" {
		t.Skip("set SCOREFLOW_PERF=1 to build 1,000,000 contacts and time the SQL pass")
	}
	const contacts = 1_000_000
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "perf.db")
	st, err := Open(ctx, path) // the schema, as migrations make it
	require.NoError(t, err)
	require.NoError(t, st.Close())

	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000&_journal_mode=WAL&_synchronous=OFF&_cache_size=-65536")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)

	start := time.Now()
	events := perfFillContacts(t, db, contacts)
	_, err = db.Exec(`ANALYZE`)
	require.NoError(t, err)
	t.Logf("built %d contacts and %d events in %v", contacts, events, time.Since(start).Round(time.Millisecond))

	since := filterNow.Add(-60 * perfDay).UnixMilli()
	for _, tc := range []struct {
		name, filter string
		// check counts the same members with hand-written SQL.
		check string
	}{
		{"dead-end playbook", deadEndFilter, `SELECT COUNT(*) FROM contacts c WHERE json_extract(attributes, '$.job_role') IN ('student', 'unemployed', 'Student')
			AND NOT EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.id AND e.type = 'email_opened' AND e.ts >= ?1)
			AND NOT EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.id AND e.type = 'page_visited' AND e.ts >= ?1
				AND instr(lower(json_extract(e.properties, '$.url')), '/blog/') > 0)`},
		{"opened an email in 60 days", `{"event":"email_opened","within":"60d","count":{"op":"gte","value":1}}`,
			`SELECT COUNT(DISTINCT contact_id) FROM events WHERE type = 'email_opened' AND ts >= ?1`},
		{"opened 2+ emails in 60 days, not a student", `{"all":[{"event":"email_opened","within":"60d","count":{"op":"gte","value":2}},
			{"field":"attributes.job_role","op":"neq","value":"student"}]}`, ""},
	} {
		f := parseFilter(t, tc.filter)
		expr, args, err := filterSQL(f, filterNow)
		require.NoError(t, err)
		q := `SELECT id FROM contacts c WHERE ` + expr
		plan := perfExplain(t, db, q, args)
		start := time.Now()
		rows, err := db.Query(q, args...)
		require.NoError(t, err)
		members := 0
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			members++
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		took := time.Since(start)
		t.Logf("%s: %d of %d contacts in %v\nplan:\n%s", tc.name, members, contacts, took.Round(time.Millisecond), plan)
		if tc.check != "" {
			var want int
			require.NoError(t, db.QueryRow(tc.check, since).Scan(&want))
			require.Equal(t, want, members, tc.name)
		}
		require.Less(t, took, 10*time.Second, tc.name)
	}
}

// perfFillContacts writes n contacts in one transaction; about 30% get 1 to 5
// events (email_opened, page_visited) spread over the last 120 days.
const perfDay = 24 * time.Hour

// deadEndFilter is the dead-end playbook's segment: no email opened and no
// blog page read in 60 days, a student or unemployed.
const deadEndFilter = `{"all":[{"event":"email_opened","within":"60d","count":{"op":"eq","value":0}},
	{"field":"attributes.job_role","op":"in","value":["student","unemployed"]},
	{"event":"page_visited","where":{"field":"url","op":"contains","value":"/blog/"},"within":"60d","count":{"op":"eq","value":0}}]}`

func perfFillContacts(t *testing.T, db *sql.DB, n int) int {
	r := rand.New(rand.NewPCG(1, 2))
	tx, err := db.Begin()
	require.NoError(t, err)
	insContact, err := tx.Prepare(`INSERT INTO contacts (id, email, attributes, scores, score, grade, tags, deal_stage, segments, created_at, last_activity_at)
		VALUES (?, ?, ?, ?, ?, ?, '[]', ?, '[]', ?, ?)`)
	require.NoError(t, err)
	insEvent, err := tx.Prepare(`INSERT INTO events (id, contact_id, type, ts, properties, applied_at) VALUES (?, ?, ?, ?, ?, ?)`)
	require.NoError(t, err)
	roles := []string{"student", "unemployed", "Student", "engineer", "CEO", "marketer", "designer", "founder", "sales", "teacher"}
	urls := []string{"/blog/scoring", "/pricing", "/Blog/segments", "/docs", "/"}
	events := 0
	window := int64(120 * perfDay / time.Millisecond)
	for i := range n {
		id := fmt.Sprintf("c%07d", i)
		attrs := `{}`
		if r.IntN(10) > 0 {
			attrs = fmt.Sprintf(`{"job_role":%q,"company":"Acme %d","employees":%d}`, roles[r.IntN(len(roles))], i%1000, r.IntN(5000))
		}
		score := r.IntN(120)
		created := filterNow.UnixMilli() - r.Int64N(2*window)
		var last any
		if r.IntN(3) > 0 {
			last = filterNow.UnixMilli() - r.Int64N(window)
		}
		_, err := insContact.Exec(id, id+"@example.com", attrs, fmt.Sprintf(`{"fit":%d}`, score), score,
			[]string{"cold", "warm", "hot"}[score/40], []string{"", "new", "mql"}[r.IntN(3)], created, last)
		require.NoError(t, err)
		if r.IntN(10) >= 3 {
			continue
		}
		for k := range 1 + r.IntN(5) {
			typ, props := "email_opened", any(nil)
			if r.IntN(2) == 0 {
				typ, props = "page_visited", fmt.Sprintf(`{"url":%q}`, urls[r.IntN(len(urls))])
			}
			ts := filterNow.UnixMilli() - r.Int64N(window)
			_, err := insEvent.Exec(fmt.Sprintf("%s-%d", id, k), id, typ, ts, props, ts)
			require.NoError(t, err)
			events++
		}
	}
	require.NoError(t, tx.Commit())
	return events
}

func perfExplain(t *testing.T, db *sql.DB, q string, args []any) string {
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
		fmt.Fprintf(&b, "  %s\n", detail)
	}
	require.NoError(t, rows.Err())
	return b.String()
}

func BenchmarkSQLCompile(b *testing.B) {
	f := parseFilter(b, deadEndFilter)
	for b.Loop() {
		if _, _, err := filterSQL(f, filterNow); err != nil {
			b.Fatal(err)
		}
	}
}
