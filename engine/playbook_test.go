package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/webhook"
)

// TestDisqualificationPlaybook drives the playbook of examples/playbook
// through 100 days of a controllable clock: inactive students and
// unemployed contacts enter "dead-end" and are disqualified, tagged and
// lost; booking a call requalifies them; a contact reaching 50 points
// becomes an MQL, its deal moves to mql and sales gets a webhook; 20
// engagement points within 7 days make a contact "heating-up" until they
// are a week old.
func TestDisqualificationPlaybook(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		hooks := newHookServer(t, func(int) int { return http.StatusOK })
		day0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(day0)
		a := apptest.Start(t, app.Config{Examples: true, Now: clock.Now, Schedules: apptest.Off, AllowPrivateWebhooks: true,
			WebhookOptions: webhook.Options{PollInterval: 20 * time.Millisecond, BaseBackoff: 10 * time.Millisecond}})
		// Point the sales webhook at the test's receiver.
		r := apptest.Do(t, a, http.MethodGet, "/api/v1/flows/mql-handoff", nil)
		require.Equal(t, http.StatusOK, r.Status)
		doc := strings.Replace(string(r.Body), "https://hooks.example.com/sales/new-mql", hooks.URL+"/mql", 1)
		r = apptest.Do(t, a, http.MethodPut, "/api/v1/flows/mql-handoff", doc)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

		n := 0
		send := func(contact, typ string, at time.Time, props, traits map[string]any) {
			t.Helper()
			n++
			ev := map[string]any{"id": fmt.Sprintf("pb-%d", n), "type": typ, "contact_id": contact, "timestamp": at.Format(time.RFC3339)}
			if props != nil {
				ev["properties"] = props
			}
			if traits != nil {
				ev["traits"] = traits
			}
			postEvent(t, a, ev)
			apptest.WaitApplied(t, a, uint64(n))
		}
		pass := func() {
			t.Helper()
			require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
		}

		send("stu", "identify", day0, nil, map[string]any{"job_title": "student"})
		send("stu", "email_opened", day0, map[string]any{"email": "newsletter-1"}, nil)
		send("reader", "identify", day0, nil, map[string]any{"job_title": "unemployed"})
		send("idle", "identify", day0, nil, map[string]any{"job_title": "student"})
		send("ceo", "identify", day0, nil, map[string]any{"job_title": "CEO", "company_size": 40, "buying_authority": true})
		send("ceo", "Signed up for trial", day0, nil, nil)

		// A student who never opened an email nor read the blog is a dead end at once.
		idle := apptest.Contact(t, a, "idle")
		assert.Equal(t, []string{"dead-end"}, idle.Segments)
		require.NotNil(t, idle.Disqualified)
		assert.Equal(t, "lost", idle.DealStage)
		assert.Empty(t, apptest.Contact(t, a, "stu").Segments, "opened an email today")

		// The CEO: fit 5+10+10 + trial 15 = 40; booking a call makes 60: MQL.
		assert.Equal(t, int64(40), apptest.Contact(t, a, "ceo").Score)
		clock.Advance(time.Hour)
		send("ceo", "Booked call", clock.Now(), nil, nil)
		ceo := apptest.Contact(t, a, "ceo")
		assert.Equal(t, int64(60), ceo.Score)
		assert.Equal(t, []string{"heating-up", "mql"}, ceo.Segments, "15 + 20 engagement points today")
		assert.Equal(t, "mql", ceo.DealStage)
		apptest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			if len(hooks.delivered()) != 1 {
				return fmt.Errorf("sales webhook not delivered")
			}
			return nil
		})

		clock.Advance(39 * 24 * time.Hour) // day 40
		send("reader", "page_visited", clock.Now(), map[string]any{"url": "https://acme.test/blog/scoring-101"}, nil)
		pass()
		assert.Empty(t, apptest.Contact(t, a, "stu").Segments, "the open is 40 days old")
		assert.Equal(t, []string{"mql"}, apptest.Contact(t, a, "ceo").Segments, "the CEO's points are 40 days old: no longer heating up")

		clock.Advance(21 * 24 * time.Hour) // day 61
		pass()
		pass() // a second pass changes nothing
		stu := apptest.Contact(t, a, "stu")
		assert.Equal(t, []string{"dead-end"}, stu.Segments)
		assert.Equal(t, []string{"disqualified"}, stu.Tags)
		require.NotNil(t, stu.Disqualified)
		assert.Contains(t, stu.Disqualified.Reason, "dead end")
		assert.Equal(t, "lost", stu.DealStage)
		assert.Empty(t, apptest.Contact(t, a, "reader").Segments, "read the blog 21 days ago")
		assert.Equal(t, int64(3), nodeStats(t, a, "deadend-disqualify")["t1"]["entered"], "idle, stu, and nobody twice")

		// The reader's blog visit leaves the window on day 100.
		clock.Advance(40 * 24 * time.Hour) // day 101
		pass()
		assert.Equal(t, []string{"dead-end"}, apptest.Contact(t, a, "reader").Segments)

		// stu books a call: requalified before the call is scored.
		send("stu", "Booked call", clock.Now(), nil, nil)
		stu = apptest.Contact(t, a, "stu")
		assert.Nil(t, stu.Disqualified)
		assert.Empty(t, stu.Tags)
		assert.Equal(t, "new", stu.DealStage)
		assert.Equal(t, int64(20), stu.Score)
		assert.Equal(t, []string{"dead-end", "heating-up"}, stu.Segments, "20 engagement points today")
		for _, id := range []string{"stu", "reader", "idle", "ceo"} {
			apptest.CheckLedger(t, a, id)
		}
	})
}
