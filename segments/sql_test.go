package segments_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/sqlite"
)

// sqlNow has a sub-millisecond part, so every ms/ns boundary rule is used.
var sqlNow = time.Date(2025, 3, 10, 12, 0, 0, 123456789, time.UTC)

const sqlDay = 24 * time.Hour

// sqlDB is a real store file written through the store's Tx API and read
// back two ways: the compiled SQL, and flows.Filter.Match on the contact as
// the engine sees it.
type sqlDB struct {
	t  testing.TB
	st *sqlite.Store
	db *sql.DB
}

func openSQLDB(t testing.TB) *sqlDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scoreflow.db")
	st, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return &sqlDB{t: t, st: st, db: db}
}

// sqlContact is a contact to write: attributes as raw JSON text (so number
// spellings and escapes reach both readers exactly as stored), and events.
type sqlContact struct {
	c      *model.Contact
	attrs  string // raw JSON object; "" = encode c.Attributes
	events []sqlEvent
}

type sqlEvent struct {
	typ   string
	ts    time.Time
	props string // raw JSON object; "" = no properties (NULL)
}

func (d *sqlDB) write(contacts []sqlContact) {
	d.t.Helper()
	ctx := context.Background()
	tx, err := d.st.Begin(ctx)
	require.NoError(d.t, err)
	seq := 0
	for _, tc := range contacts {
		require.NoError(d.t, tx.SaveContact(&store.ContactRecord{Contact: tc.c, Attributes: tc.attrs}))
		for _, ev := range tc.events {
			seq++
			e := &model.Event{ID: fmt.Sprintf("%s-ev%d", tc.c.ID, seq), Type: ev.typ, ContactID: tc.c.ID, Timestamp: ev.ts}
			if ev.props != "" {
				require.NoError(d.t, json.Unmarshal([]byte(ev.props), &e.Properties))
				e.RawProperties = json.RawMessage(ev.props)
			}
			require.NoError(d.t, tx.InsertEvent(e, tc.c.ID, sqlNow))
		}
	}
	require.NoError(d.t, tx.Commit())
}

// subjects loads every contact as the engine sees it: the store's decoding
// of the row, and the events' properties decoded as the store decodes them.
func (d *sqlDB) subjects() map[string]*sqlSubject {
	d.t.Helper()
	ctx := context.Background()
	out := map[string]*sqlSubject{}
	rows, err := d.db.Query(`SELECT id FROM contacts`)
	require.NoError(d.t, err)
	var ids []string
	for rows.Next() {
		var id string
		require.NoError(d.t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(d.t, rows.Close())
	for _, id := range ids {
		c, err := d.st.GetContact(ctx, id)
		require.NoError(d.t, err)
		out[id] = &sqlSubject{c: c}
	}
	rows, err = d.db.Query(`SELECT contact_id, type, ts, properties FROM events ORDER BY seq`)
	require.NoError(d.t, err)
	defer rows.Close()
	for rows.Next() {
		var id, typ string
		var ts int64
		var raw sql.NullString
		require.NoError(d.t, rows.Scan(&id, &typ, &ts, &raw))
		props := map[string]any{}
		if raw.Valid {
			require.NoError(d.t, json.Unmarshal([]byte(raw.String), &props))
		}
		s := out[id]
		s.events = append(s.events, sqlSubjectEvent{typ: typ, ts: ts, props: props, raw: raw.String})
	}
	require.NoError(d.t, rows.Err())
	return out
}

// eval runs the compiled filter over every contact: id → 0/1, failing on
// NULL, which would break NOT (expr).
func (d *sqlDB) eval(expr string, args []any) (map[string]bool, error) {
	rows, err := d.db.Query(`SELECT c.id, `+expr+` FROM contacts c`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		var v sql.NullInt64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		if !v.Valid || v.Int64 != 0 && v.Int64 != 1 {
			return nil, fmt.Errorf("contact %s: expression gave %v, want 0 or 1", id, v)
		}
		out[id] = v.Int64 == 1
	}
	return out, rows.Err()
}

// members is the sorted ids a WHERE clause selects, as the whole-database
// pass runs it.
func (d *sqlDB) members(expr string, args []any) []string {
	d.t.Helper()
	rows, err := d.db.Query(`SELECT id FROM contacts c WHERE `+expr+` ORDER BY id`, args...)
	require.NoError(d.t, err)
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		require.NoError(d.t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(d.t, rows.Err())
	return ids
}

// sqlSubject mirrors engine/subject.go: the contact's fields as filters
// read them, and behaviour leaves counted over its events as the store
// counts them (ts >= the window start in ms).
type sqlSubject struct {
	c      *model.Contact
	events []sqlSubjectEvent
}

type sqlSubjectEvent struct {
	typ   string
	ts    int64
	props map[string]any
	raw   string
}

// Value is the engine's own accessor, so SQL is checked against what the
// engine reads.
func (s *sqlSubject) Value(field string) (any, bool) { return flows.ContactValue(s.c, field) }

func (s *sqlSubject) CountEvents(q flows.BehaviourQuery) (int, error) {
	n := 0
	for _, e := range s.events {
		if e.typ != q.Type || !q.Since.IsZero() && e.ts < q.Since.UnixMilli() {
			continue
		}
		if q.Where != nil {
			ok, err := q.Where.Match(flows.PropertiesSubject(e.props), q.Now)
			if err != nil {
				return 0, err
			}
			if !ok {
				continue
			}
		}
		n++
	}
	return n, nil
}

func (s *sqlSubject) String() string {
	attrs, _ := json.Marshal(s.c.Attributes)
	var b strings.Builder
	fmt.Fprintf(&b, "contact %s: attributes=%s scores=%v score=%d grade=%q deal_stage=%q tags=%q segments=%q disqualified=%v created_at=%s last_activity_at=%v",
		s.c.ID, attrs, s.c.Scores, s.c.Score, s.c.Grade, s.c.DealStage, s.c.Tags, s.c.Segments, s.c.Disqualified != nil,
		s.c.CreatedAt.Format(time.RFC3339Nano), s.c.LastActivityAt)
	for _, e := range s.events {
		fmt.Fprintf(&b, "\n  event %q ts=%s properties=%s", e.typ, time.UnixMilli(e.ts).UTC().Format(time.RFC3339Nano), e.raw)
	}
	return b.String()
}

func sqlParseFilter(t testing.TB, raw string) *flows.Filter {
	t.Helper()
	f, errs := flows.ParseFilter(json.RawMessage(raw), flows.ContactFilter)
	require.Empty(t, errs, raw)
	return f
}

func sqlMS(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func sqlPtr[T any](v T) *T { return &v }

// sqlFixture is a handful of contacts that the table tests reason about.
func sqlFixture() []sqlContact {
	return []sqlContact{
		{
			c: &model.Contact{ID: "ana", Score: 60, Scores: map[string]int64{"fit": 40, "engagement": 20}, Grade: "hot", DealStage: "mql",
				Tags: []string{"vip", "Newsletter"}, Segments: []string{"mql"}, CreatedAt: sqlMS(sqlNow.Add(-90 * sqlDay)), LastActivityAt: sqlPtr(sqlMS(sqlNow.Add(-10 * sqlDay)))},
			attrs: `{"job_role":"Student","age":25,"age_s":"25","n_us":"1_000","flag":true,"one":1,"list":["a","B",3,[4],{"x":1}],` +
				`"address":{"city":"Paris","zip":"75001"},"address.city":"Lyon","signup":"2025-01-01T10:00:00+01:00","nested":{"a":{"b":"deep"}},` +
				`"kelvin":"\u212Aelvin","istanbul":"\u0130stanbul","cafe":"CAFÉ","q\"k":"quoted","empty":"","nul":null,"obj":{},"big":9007199254740993}`,
			events: []sqlEvent{
				{typ: "email_opened", ts: sqlNow.Add(-70 * sqlDay)},
				{typ: "page_visited", ts: sqlNow.Add(-5 * sqlDay), props: `{"url":"https://x.io/Blog/go","context":{"page":"home"}}`},
				{typ: "page_visited", ts: sqlNow.Add(-1 * sqlDay), props: `{"url":"/pricing","context.page":"flat"}`},
			},
		},
		{
			c: &model.Contact{ID: "ben", Score: 10, Tags: []string{}, Segments: []string{}, CreatedAt: sqlMS(sqlNow.Add(-10 * sqlDay)),
				Disqualified: &model.Disqualification{At: sqlNow.Add(-sqlDay), Reason: "spam"}},
			attrs: `{"job_role":"unemployed","age":"30","flag":1,"signup":"2025-03-01T5:00:00.5Z"}`,
			events: []sqlEvent{
				{typ: "email_opened", ts: sqlNow.Add(-sqlDay), props: `{"campaign":"spring","n":2}`},
				{typ: "email_opened", ts: sqlNow.Add(-2 * sqlDay), props: `{"campaign":"Spring","n":3}`},
				{typ: "email_opened", ts: sqlNow.Add(-3 * sqlDay), props: `{"campaign":"summer","n":"4"}`},
			},
		},
		{
			c:     &model.Contact{ID: "cy", Score: -5, Grade: "cold", Tags: []string{"Student"}, Segments: []string{}, CreatedAt: sqlMS(sqlNow.Add(-400 * sqlDay))},
			attrs: `{"job_role":"CEO","age":40.5,"list":[1,"2",[3],{"x":1}],"signup":"not a time"}`,
		},
		{
			c:     &model.Contact{ID: "dee", Tags: []string{}, Segments: []string{}, CreatedAt: sqlMS(sqlNow)},
			attrs: `{}`,
		},
		{
			c: &model.Contact{ID: "eve", Score: 5, Tags: []string{}, Segments: []string{"dead-end"}, CreatedAt: sqlMS(sqlNow.Add(-30 * sqlDay)),
				LastActivityAt: sqlPtr(sqlMS(sqlNow.Add(-61 * sqlDay)))},
			attrs: `{"job_role":"STUDENT"}`,
			events: []sqlEvent{
				{typ: "page_visited", ts: sqlNow.Add(-61 * sqlDay), props: `{"url":"/blog/old"}`},
			},
		},
	}
}

const sqlDeadEnd = `{"all":[{"event":"email_opened","within":"60d","count":{"op":"eq","value":0}},
	{"field":"attributes.job_role","op":"in","value":["student","unemployed"]},
	{"event":"page_visited","where":{"field":"url","op":"contains","value":"/blog/"},"within":"60d","count":{"op":"eq","value":0}}]}`

func TestSQLTable(t *testing.T) {
	d := openSQLDB(t)
	d.write(sqlFixture())
	subjects := d.subjects()
	for _, tc := range []struct {
		name, filter string
		want         []string
	}{
		{"dead-end playbook", sqlDeadEnd, []string{"eve"}},
		{"opened an email in 60 days", `{"event":"email_opened","within":"60d","count":{"op":"gte","value":1}}`, []string{"ben"}},
		{"opened ever (default count)", `{"event":"email_opened"}`, []string{"ana", "ben"}},
		{"count eq 2 of 3", `{"event":"email_opened","within":"2d","count":{"op":"eq","value":2}}`, []string{"ben"}},
		{"count gt 2", `{"event":"email_opened","count":{"op":"gt","value":2}}`, []string{"ben"}},
		{"count lte 1", `{"event":"email_opened","count":{"op":"lte","value":1}}`, []string{"ana", "cy", "dee", "eve"}},
		{"count lt 3", `{"event":"email_opened","count":{"op":"lt","value":3}}`, []string{"ana", "cy", "dee", "eve"}},
		{"count neq 0", `{"event":"email_opened","count":{"op":"neq","value":0}}`, []string{"ana", "ben"}},
		{"count gte 0 is everyone", `{"event":"nothing","count":{"op":"gte","value":0}}`, []string{"ana", "ben", "cy", "dee", "eve"}},
		{"where case-insensitive", `{"event":"email_opened","where":{"field":"campaign","op":"eq","value":"SPRING"},"count":{"op":"eq","value":2}}`, []string{"ben"}},
		{"where numeric string is not a number for eq", `{"event":"email_opened","where":{"field":"n","op":"eq","value":4}}`, nil},
		{"where numeric string for gt", `{"event":"email_opened","where":{"field":"n","op":"gt","value":3.5}}`, []string{"ben"}},
		{"where nested property", `{"event":"page_visited","where":{"field":"context.page","op":"eq","value":"home"}}`, []string{"ana"}},
		{"where dotted key wins", `{"event":"page_visited","where":{"field":"context.page","op":"eq","value":"flat"}}`, []string{"ana"}},
		{"where missing property neq", `{"event":"page_visited","where":{"field":"nope","op":"neq","value":"x"}}`, []string{"ana", "eve"}},
		{"in ignores case", `{"field":"attributes.job_role","op":"in","value":["student","ceo"]}`, []string{"ana", "cy", "eve"}},
		{"nin is true on missing", `{"field":"attributes.job_role","op":"nin","value":["student","ceo"]}`, []string{"ben", "dee"}},
		{"neq is true on missing", `{"field":"attributes.job_role","op":"neq","value":"CEO"}`, []string{"ana", "ben", "dee", "eve"}},
		{"number eq", `{"field":"attributes.age","op":"eq","value":25}`, []string{"ana"}},
		{"numeric string is a number for gte", `{"field":"attributes.age","op":"gte","value":30}`, []string{"ben", "cy"}},
		{"underscored numeric string", `{"field":"attributes.n_us","op":"eq","value":1000}`, nil},
		{"underscored numeric string for gt", `{"field":"attributes.n_us","op":"gt","value":999}`, []string{"ana"}},
		{"true is not 1", `{"field":"attributes.flag","op":"eq","value":true}`, []string{"ana"}},
		{"1 is not true", `{"field":"attributes.flag","op":"eq","value":1}`, []string{"ben"}},
		{"big integer compares as float64", `{"field":"attributes.big","op":"eq","value":9007199254740992}`, []string{"ana"}},
		{"array any element", `{"field":"attributes.list","op":"eq","value":"b"}`, []string{"ana"}},
		{"array contains is element equality", `{"field":"attributes.list","op":"contains","value":"2"}`, []string{"cy"}},
		{"array numeric string element for gt", `{"field":"attributes.list","op":"gt","value":1.5}`, []string{"ana", "cy"}},
		{"array not_contains", `{"field":"attributes.list","op":"not_contains","value":"a"}`, []string{"ben", "cy", "dee", "eve"}},
		{"string contains is substring", `{"field":"attributes.job_role","op":"contains","value":"EMPLOY"}`, []string{"ben"}},
		{"starts_with", `{"field":"attributes.job_role","op":"starts_with","value":"stu"}`, []string{"ana", "eve"}},
		{"ends_with", `{"field":"attributes.job_role","op":"ends_with","value":"Ed"}`, []string{"ben"}},
		{"Kelvin sign lowercases to k", `{"field":"attributes.kelvin","op":"eq","value":"KELVIN"}`, []string{"ana"}},
		{"dotted İ lowercases to i", `{"field":"attributes.istanbul","op":"starts_with","value":"ist"}`, []string{"ana"}},
		{"non-ASCII case folding", `{"field":"attributes.cafe","op":"eq","value":"café"}`, []string{"ana"}},
		{"quoted key", `{"field":"attributes.q\"k","op":"eq","value":"QUOTED"}`, []string{"ana"}},
		{"exact dotted key first", `{"field":"attributes.address.city","op":"eq","value":"lyon"}`, []string{"ana"}},
		{"nested walk", `{"field":"attributes.address.zip","op":"eq","value":"75001"}`, []string{"ana"}},
		{"deep nested walk", `{"field":"attributes.nested.a.b","op":"eq","value":"deep"}`, []string{"ana"}},
		{"exists: empty string yes, null no, object yes", `{"any":[{"field":"attributes.empty","op":"exists"},{"field":"attributes.obj","op":"exists"}]}`, []string{"ana"}},
		{"null does not exist", `{"field":"attributes.nul","op":"not_exists"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
		{"objects never match", `{"field":"attributes.obj","op":"neq","value":"x"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
		{"eq null matches nothing", `{"field":"attributes.nul","op":"eq","value":null}`, nil},
		{"RFC3339 attribute as time", `{"field":"attributes.signup","op":"gt","value":"2025-01-01T08:59:59Z"}`, []string{"ana", "ben"}},
		{"RFC3339 offset honoured", `{"field":"attributes.signup","op":"lte","value":"2025-01-01T09:00:00Z"}`, []string{"ana"}},
		{"one-digit hour time", `{"field":"attributes.signup","op":"newer_than","value":"10d"}`, []string{"ben"}},
		{"older_than on a string time", `{"field":"attributes.signup","op":"older_than","value":"30d"}`, []string{"ana"}},
		{"not a time matches neither", `{"any":[{"field":"attributes.signup","op":"older_than","value":"1d"},{"field":"attributes.signup","op":"newer_than","value":"1d"}]}`, []string{"ana", "ben"}},
		{"created_at older_than", `{"field":"created_at","op":"older_than","value":"60d"}`, []string{"ana", "cy"}},
		// eve was created at now-30d cut to the ms, before now-30d itself.
		{"created_at newer_than", `{"field":"created_at","op":"newer_than","value":"30d"}`, []string{"ben", "dee"}},
		{"last_activity_at missing", `{"field":"last_activity_at","op":"newer_than","value":"30d"}`, []string{"ana"}},
		{"last_activity_at not older is not newer", `{"not":{"field":"last_activity_at","op":"older_than","value":"30d"}}`, []string{"ana", "ben", "cy", "dee"}},
		{"created_at eq time", `{"field":"created_at","op":"eq","value":"` + sqlMS(sqlNow).Format(time.RFC3339Nano) + `"}`, []string{"dee"}},
		{"created_at eq time with ns never", `{"field":"created_at","op":"eq","value":"` + sqlNow.Format(time.RFC3339Nano) + `"}`, nil},
		{"created_at lt ns time", `{"field":"created_at","op":"lt","value":"` + sqlNow.Format(time.RFC3339Nano) + `"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
		{"score", `{"field":"score","op":"gte","value":10}`, []string{"ana", "ben"}},
		{"score.fit missing is 0", `{"field":"score.fit","op":"lt","value":10}`, []string{"ben", "cy", "dee", "eve"}},
		{"score in", `{"field":"score","op":"in","value":[5,-5,"60"]}`, []string{"cy", "eve"}},
		{"grade empty is absent", `{"field":"grade","op":"not_exists"}`, []string{"ben", "dee", "eve"}},
		{"grade neq", `{"field":"grade","op":"neq","value":"HOT"}`, []string{"ben", "cy", "dee", "eve"}},
		{"deal_stage", `{"field":"deal_stage","op":"eq","value":"MQL"}`, []string{"ana"}},
		{"tags contains", `{"field":"tags","op":"contains","value":"student"}`, []string{"cy"}},
		{"tags not_contains", `{"field":"tags","op":"not_contains","value":"VIP"}`, []string{"ben", "cy", "dee", "eve"}},
		{"tags exists even empty", `{"field":"tags","op":"exists"}`, []string{"ana", "ben", "cy", "dee", "eve"}},
		{"segments", `{"field":"segments","op":"contains","value":"dead-end"}`, []string{"eve"}},
		{"disqualified", `{"field":"disqualified","op":"eq","value":true}`, []string{"ben"}},
		{"not disqualified", `{"field":"disqualified","op":"neq","value":true}`, []string{"ana", "cy", "dee", "eve"}},
		{"all of nothing", `{"all":[]}`, []string{"ana", "ben", "cy", "dee", "eve"}},
		{"any of nothing", `{"any":[]}`, nil},
		{"mql playbook", `{"all":[{"field":"score","op":"gte","value":50},{"field":"disqualified","op":"eq","value":false}]}`, []string{"ana"}},
		{"injection in a name and a value", `{"field":"attributes.x') OR 1=1 --","op":"eq","value":"' OR '1'='1"}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sqlParseFilter(t, tc.filter)
			want := tc.want
			if want == nil {
				want = []string{}
			}
			var goIDs []string
			for id, s := range subjects {
				ok, err := f.Match(s, sqlNow)
				require.NoError(t, err)
				if ok {
					goIDs = append(goIDs, id)
				}
			}
			sort.Strings(goIDs)
			if goIDs == nil {
				goIDs = []string{}
			}
			assert.Equal(t, want, goIDs, "Go Match")
			expr, args, err := segments.SQL(f, sqlNow)
			require.NoError(t, err)
			assert.Equal(t, want, d.members(expr, args), "SQL")
			assert.Equal(t, want, d.members("NOT (NOT "+expr+")", args), "SQL, never NULL")
		})
	}
}

func TestSQLNilAndKind(t *testing.T) {
	expr, args, err := segments.SQL(nil, sqlNow)
	require.NoError(t, err)
	assert.Equal(t, "1", expr)
	assert.Empty(t, args)
	ef, errs := flows.ParseFilter(json.RawMessage(`{"field":"url","op":"eq","value":"x"}`), flows.EventFilter)
	require.Empty(t, errs)
	_, _, err = segments.SQL(ef, sqlNow)
	assert.ErrorIs(t, err, segments.ErrNoSQL)
}

// TestSQLBindsValues checks that nothing of the filter's text reaches the
// SQL: names and values travel as parameters.
func TestSQLBindsValues(t *testing.T) {
	f := sqlParseFilter(t, `{"all":[{"field":"attributes.x'); DROP TABLE contacts; --","op":"eq","value":"'; DROP TABLE contacts; --"},
		{"event":"x'); DROP TABLE events; --","where":{"field":"a\"]'","op":"in","value":["'", "\""]}}]}`)
	expr, args, err := segments.SQL(f, sqlNow)
	require.NoError(t, err)
	assert.NotContains(t, expr, "DROP")
	assert.NotContains(t, expr, "x'")
	assert.NotEmpty(t, args)
}
