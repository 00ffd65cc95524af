package stores_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/stores"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "other.db")
	for _, tt := range []struct {
		spec, dataDir string
		want          stores.Target
		err           string
	}{
		{"", "/data", stores.Target{Kind: stores.SQLite, Path: "/data/scoreflow.db"}, ""},
		{"  ", "/data", stores.Target{Kind: stores.SQLite, Path: "/data/scoreflow.db"}, ""},
		{dir, "/ignored", stores.Target{Kind: stores.SQLite, Path: filepath.Join(dir, "scoreflow.db")}, ""},
		{file, "", stores.Target{Kind: stores.SQLite, Path: file}, ""},
		{"sqlite:" + file, "", stores.Target{Kind: stores.SQLite, Path: file}, ""},
		{"postgres://u:p@db:5432/sf", "", stores.Target{Kind: stores.Postgres, URL: "postgres://u:p@db:5432/sf"}, ""},
		{"postgresql://db/sf", "", stores.Target{Kind: stores.Postgres, URL: "postgresql://db/sf"}, ""},
		{"mysql://db/sf", "", stores.Target{}, `unknown scheme "mysql"`},
	} {
		got, err := stores.Resolve(tt.spec, tt.dataDir)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, tt.spec)
			continue
		}
		require.NoError(t, err, tt.spec)
		assert.Equal(t, tt.want, got, tt.spec)
	}
}

func TestTargetStringHidesThePassword(t *testing.T) {
	target := stores.Target{Kind: stores.Postgres, URL: "postgres://scoreflow:s3cret@db.internal:5433/sf?sslmode=disable"}
	assert.Equal(t, "postgres scoreflow@db.internal:5433/sf", target.String())
	assert.NotContains(t, target.String(), "s3cret")
}

// TestCopySQLiteToPostgres fills a SQLite Scoreflow through the real engine
// (flows with versions, segments, settings, contacts with history, a
// parked run, webhooks, entries), stops it, copies it into an empty
// PostgreSQL, and compares everything the store answers on both; a second
// copy into the same database is refused and changes nothing.
func TestCopySQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := apptest.Start(t, app.Config{DataDir: dir, Examples: true, Schedules: apptest.Off, AllowPrivateWebhooks: true})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/segments", `{"id":"engaged","name":"Engaged","where":{"field":"score","op":"gte","value":10}}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	r = apptest.Do(t, a, http.MethodPost, "/api/v1/flows", `{"id":"nurture","name":"nurture","enabled":true,"entry":{"mode":"once"},"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Start"}},
		{"id":"w","type":"delay.wait","config":{"for":"2d"}},
		{"id":"later","type":"action.adjust_score","config":{"score":"engagement","points":5}}],
		"edges":[{"from":"t","to":"w"},{"from":"w","to":"later"}]}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	r = apptest.Do(t, a, http.MethodPut, "/api/v1/flows/nurture", `{"id":"nurture","name":"nurture v2","enabled":true,"version":1,"entry":{"mode":"once"},"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Start"}},
		{"id":"w","type":"delay.wait","config":{"for":"3d"}},
		{"id":"later","type":"action.adjust_score","config":{"score":"engagement","points":5}}],
		"edges":[{"from":"t","to":"w"},{"from":"w","to":"later"}]}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = apptest.Do(t, a, http.MethodPost, "/api/v1/keys", `{"name":"metabase","scope":"read"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	var events []*model.Event
	types := []string{"page_visited", "email_opened", "form_submitted", "Start", "email_clicked"}
	for i := 0; i < 300; i++ {
		ev := apptest.Event(fmt.Sprint("e", i), types[i%len(types)], fmt.Sprint("c", i%40), map[string]any{
			"url": "https://example.com/pricing", "form": "demo", "link": "https://example.com/case"})
		if i%7 == 0 {
			ev.Traits = map[string]any{"job_title": "VP Marketing", "company_size": 250, "email": fmt.Sprintf("c%d@example.com", i%40)}
		}
		events = append(events, ev)
	}
	apptest.Publish(t, a, events...)
	apptest.WaitApplied(t, a, uint64(len(events)))
	apptest.WaitIdle(t, a)
	before := snapshot(t, a.Store)
	require.NotEmpty(t, before.contacts)
	require.Len(t, before.keys, 1, "the key to copy")
	require.NotEmpty(t, before.audit, "the audit log to copy")
	require.Positive(t, before.waiting, "a run is parked at the delay")
	job := store.LabJob{ID: "j1", RunID: "r1", State: store.LabJobDone, Draft: []byte(`{"add":[]}`), Cursor: "c9", Done: 40, Total: 40,
		Actor: "ops", Created: time.UnixMilli(1_700_000_000_000).UTC(), Updated: time.UnixMilli(1_700_000_001_000).UTC()}
	require.NoError(t, a.Store.PutLabJob(ctx, job))
	relay := store.MergeRelay{ID: "merge-in-c7", Cause: "e7", Event: []byte(`{"id":"merge-in-c7","type":"$merge_in"}`)}
	addRelay(t, a.Store, relay)
	require.NoError(t, a.Shutdown(ctx))

	url := pgtest.URL(t)
	src, err := stores.Resolve(dir, dir)
	require.NoError(t, err)
	dst, err := stores.Resolve(url, "")
	require.NoError(t, err)
	report, err := stores.Copy(ctx, src, dst, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(len(events)), report.Tables["events"])
	assert.EqualValues(t, len(before.contacts), report.Tables["contacts"])

	pg, err := stores.Open(ctx, dst)
	require.NoError(t, err)
	after := snapshot(t, pg)
	jobs, err := pg.LabJobs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []store.LabJob{job}, jobs, "lab apply jobs are copied (an unfinished one resumes on the copy)")
	assert.Equal(t, []store.MergeRelay{relay}, relays(t, pg, relay.Cause), "merge relays are copied (a redelivered cause publishes them again)")
	require.NoError(t, pg.Close())
	assert.Equal(t, before, after, "the copy answers as the original")

	_, err = stores.Copy(ctx, src, dst, nil)
	require.ErrorIs(t, err, stores.ErrTargetNotEmpty)

	// The copy is a live Scoreflow: it goes on from where the original was.
	b := apptest.Start(t, app.Config{DataDir: t.TempDir(), Store: url, Schedules: apptest.Off})
	apptest.Publish(t, b, apptest.Event("after-1", "page_visited", "c1", map[string]any{"url": "https://example.com/pricing"}),
		apptest.Event("e1", "email_opened", "c1", nil)) // e1 was applied before the copy: skipped
	apptest.WaitIdle(t, b)
	apptest.CheckLedger(t, b, "c1")
	assert.Equal(t, uint64(1), b.Engine.Stats().Applied, "only the new event is applied")
}

// addRelay keeps a merge relay in st, as a merge step does in its batch.
func addRelay(t *testing.T, st store.Store, r store.MergeRelay) {
	t.Helper()
	tx, err := st.Begin(context.Background())
	require.NoError(t, err)
	rtx, ok := tx.(store.MergeRelayTx)
	require.True(t, ok, "the store keeps merge relays")
	require.NoError(t, rtx.AddMergeRelay(r, time.UnixMilli(1_700_000_002_000)))
	require.NoError(t, tx.Commit())
}

// relays lists the merge relays cause made in st.
func relays(t *testing.T, st store.Store, cause string) []store.MergeRelay {
	t.Helper()
	tx, err := st.Begin(context.Background())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	rtx, ok := tx.(store.MergeRelayTx)
	require.True(t, ok, "the store keeps merge relays")
	out, err := rtx.MergeRelays([]string{cause})
	require.NoError(t, err)
	return out
}

// storeSnapshot is everything a store answers, for comparing two stores.
type storeSnapshot struct {
	settings  model.Settings
	flows     []store.FlowRecord
	versions  map[string][]store.FlowRecord
	segments  []model.Segment
	members   map[string][]string
	contacts  []*model.Contact
	history   map[string][]model.LedgerEntry
	timeline  map[string][]model.Event
	waiting   int64
	due       []store.WaitingRun
	webhooks  []model.WebhookDelivery
	jobs      []model.JobRun
	dead      []store.DeadEvent
	grades    []store.GradeCount
	histogram []store.ScoreBucket
	minutes   []store.MinuteCount
	keys      []store.KeyRecord
	audit     []model.AuditEntry
}

func snapshot(t *testing.T, st store.Store) storeSnapshot {
	t.Helper()
	ctx := context.Background()
	var s storeSnapshot
	var err error
	s.settings, err = st.GetSettings(ctx)
	require.NoError(t, err)
	s.flows, err = st.ListFlows(ctx)
	require.NoError(t, err)
	s.versions = map[string][]store.FlowRecord{}
	for _, f := range s.flows {
		s.versions[f.ID], err = st.FlowVersions(ctx, f.ID)
		require.NoError(t, err)
	}
	s.segments, err = st.ListSegments(ctx)
	require.NoError(t, err)
	s.members = map[string][]string{}
	for _, seg := range s.segments {
		list, _, err := st.SegmentMembers(ctx, seg.ID, 10_000, "")
		require.NoError(t, err)
		for _, c := range list {
			s.members[seg.ID] = append(s.members[seg.ID], c.ID)
		}
	}
	cursor := ""
	for {
		page, next, err := st.ListContacts(ctx, store.ContactQuery{Limit: 17, Cursor: cursor})
		require.NoError(t, err)
		s.contacts = append(s.contacts, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	s.history, s.timeline = map[string][]model.LedgerEntry{}, map[string][]model.Event{}
	for _, c := range s.contacts {
		s.history[c.ID], err = st.History(ctx, c.ID, 10_000)
		require.NoError(t, err)
		s.timeline[c.ID], err = st.Timeline(ctx, c.ID, 10_000)
		require.NoError(t, err)
	}
	s.waiting, err = st.CountWaitingRuns(ctx)
	require.NoError(t, err)
	s.due, err = st.DueRuns(ctx, time.Now().Add(365*24*time.Hour), 10_000)
	require.NoError(t, err)
	s.webhooks, err = st.Webhooks(ctx, "", 10_000)
	require.NoError(t, err)
	s.jobs, err = st.JobRuns(ctx)
	require.NoError(t, err)
	s.dead, err = st.DeadEvents(ctx, 10_000)
	require.NoError(t, err)
	s.grades, err = st.GradeCounts(ctx)
	require.NoError(t, err)
	s.histogram, err = st.ScoreHistogram(ctx, 10)
	require.NoError(t, err)
	s.minutes, err = st.EventsPerMinute(ctx, time.Time{})
	require.NoError(t, err)
	s.keys, err = st.ListKeys(ctx)
	require.NoError(t, err)
	s.audit, _, err = st.Audit(ctx, 10_000, "")
	require.NoError(t, err)
	return s
}
