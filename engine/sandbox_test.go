package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/lab"
	"github.com/scoreflow/scoreflow/model"
)

// sandboxDelayFlow adds what the examples lack: a delay (trial sign-up,
// three days later +5).
const sandboxDelayFlow = `{"id": "trial-follow-up", "name": "Trial follow-up", "enabled": true, "entry": {"mode": "every_time"},
	"nodes": [{"id": "t", "type": "trigger.event", "config": {"name": "Signed up for trial"}},
	          {"id": "d", "type": "delay.wait", "config": {"for": "3d"}},
	          {"id": "a", "type": "action.adjust_score", "config": {"score": "engagement", "points": 5}}],
	"edges": [{"from": "t", "to": "d"}, {"from": "d", "to": "a"}]}`

// referenceEvents is a deterministic history for the reference model and the
// playbook: identifies that set fit attributes, the engagement events the
// flows score, emails and blog visits the dead-end segment reads, over 40
// days, one event per minute or more, never two at the same millisecond.
func referenceEvents(n, contacts int, start time.Time) []map[string]any {
	r := rand.New(rand.NewPCG(14, 8))
	types := []string{"Booked call", "Cancelled call", "Created project", "Created task", "Signed up for trial", "Clicked LinkedIn post"}
	titles := []string{"CEO", "student", "unemployed", "Marketing manager", "CTO"}
	at := start
	out := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		at = at.Add(time.Duration(1+r.IntN(90*60)) * time.Minute / 10)
		ev := map[string]any{"id": fmt.Sprintf("ref-%05d", i), "contact_id": fmt.Sprintf("c%02d", r.IntN(contacts)), "timestamp": at.Format(time.RFC3339Nano)}
		switch k := r.IntN(10); {
		case k < 2:
			ev["type"] = "identify"
			ev["traits"] = map[string]any{"job_title": titles[r.IntN(len(titles))], "company_size": 10 + r.IntN(500), "country": []string{"US", "FR", "DE"}[r.IntN(3)]}
		case k < 4:
			ev["type"] = "page_visited"
			ev["properties"] = map[string]any{"url": []string{"/blog/scoring", "/pricing", "/careers/jobs"}[r.IntN(3)]}
		case k < 5:
			ev["type"] = "email_opened"
			ev["properties"] = map[string]any{"email": "newsletter"}
		case k < 6:
			ev["type"] = "email_clicked"
			ev["properties"] = map[string]any{"email": "lead-nurturing-3"}
		default:
			ev["type"] = types[r.IntN(len(types))]
		}
		out = append(out, ev)
	}
	return out
}

// TestSandboxMatchesLiveEngine runs the reference model and the playbook
// (segments, score velocity, disqualification, webhooks), plus a decay and a delay, both
// ways over the same events: live, through NATS into a real store with the
// scheduler's passes run before each event at the event's moment, and in
// the sandbox over the stored events. Every contact ends with the same
// scores, grade, tags, segments, stage and disqualification, and the same
// history row for row.
func TestSandboxMatchesLiveEngine(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(start)
		a := apptest.Start(t, app.Config{Examples: true, Now: clock.Now, Schedules: apptest.Off})
		settings, err := a.Store.GetSettings(ctx)
		require.NoError(t, err)
		for i := range settings.Scores {
			if settings.Scores[i].Name == "engagement" {
				settings.Scores[i].Decay = &model.Decay{Every: model.Duration(7 * 24 * time.Hour), Percent: 10}
			}
		}
		r := apptest.Do(t, a, http.MethodPut, "/api/v1/settings", settings)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/flows", sandboxDelayFlow)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

		events := referenceEvents(300, 12, start)
		// A last burst heats two contacts up (score velocity).
		last, err := time.Parse(time.RFC3339Nano, events[len(events)-1]["timestamp"].(string))
		require.NoError(t, err)
		for i, c := range []string{"c00", "c01", "c00", "c01"} {
			events = append(events, map[string]any{"id": fmt.Sprintf("burst-%d", i), "type": "Booked call", "contact_id": c,
				"timestamp": last.Add(time.Duration(i+1) * time.Hour).Format(time.RFC3339Nano)})
		}
		passes := func() {
			for _, job := range []string{engine.JobDelays, engine.JobSegments, engine.JobDecay} {
				require.NoError(t, a.Scheduler.RunNow(ctx, job))
			}
		}
		for i, ev := range events {
			ts, err := time.Parse(time.RFC3339Nano, ev["timestamp"].(string))
			require.NoError(t, err)
			clock.Advance(ts.Sub(clock.Now()))
			passes()
			postEvent(t, a, ev)
			apptest.WaitApplied(t, a, uint64(i+1))
		}
		// A day after the last event: the week-long score_change window of
		// the heating-up segment still holds recent points.
		end := clock.Now().Add(24 * time.Hour)
		clock.Advance(end.Sub(clock.Now()))
		passes()

		live, err := lab.Live(ctx, a.Store)
		require.NoError(t, err)
		sb, err := engine.NewSandbox(live, engine.SandboxOptions{KeepHistory: true})
		require.NoError(t, err)
		replayed := 0
		require.NoError(t, a.Store.ScanEvents(ctx, time.Time{}, end.Add(time.Millisecond), func(ev *model.Event) error {
			replayed++
			return sb.Apply(ev)
		}))
		require.NoError(t, sb.Advance(end))
		require.Equal(t, len(events), replayed)

		n, err := a.Store.CountContacts(ctx)
		require.NoError(t, err)
		require.Equal(t, int(n), sb.Len(), "contacts")
		decayed, parked, disqualified, heating := 0, 0, 0, 0
		sb.Contacts(func(got *model.Contact) {
			want := apptest.Contact(t, a, got.ID)
			assert.Equal(t, want.Scores, got.Scores, "%s scores", got.ID)
			assert.Equal(t, want.Score, got.Score, "%s score", got.ID)
			assert.Equal(t, want.Grade, got.Grade, "%s grade", got.ID)
			assert.ElementsMatch(t, want.Tags, got.Tags, "%s tags", got.ID)
			assert.Equal(t, want.Segments, got.Segments, "%s segments", got.ID)
			assert.Equal(t, want.DealStage, got.DealStage, "%s stage", got.ID)
			assert.Equal(t, want.Disqualified, got.Disqualified, "%s disqualified", got.ID)
			if got.Disqualified != nil {
				disqualified++
			}
			if slices.Contains(got.Segments, "heating-up") {
				heating++
			}
			hist, err := a.Store.History(ctx, got.ID, 100000)
			require.NoError(t, err)
			slices.Reverse(hist) // the store answers newest first
			sbHist := sb.History(got.ID)
			require.Equal(t, len(hist), len(sbHist), "%s history rows", got.ID)
			for i := range hist {
				w, g := hist[i], sbHist[i]
				w.ID, g.ID, g.ContactID, w.ContactID = 0, 0, "", ""
				assert.Equal(t, w, g, "%s history row %d", got.ID, i)
				if w.Reason == "decay" {
					decayed++
				}
				if w.Node != nil && *w.Node == "a" && *w.Flow == "trial-follow-up" {
					parked++
				}
			}
		})
		// The history exercised what it should.
		assert.Positive(t, decayed, "decay rows")
		assert.Positive(t, parked, "delayed runs that resumed")
		assert.Positive(t, disqualified, "disqualified contacts")
		assert.Positive(t, heating, "contacts heating up (score velocity)")
		assert.Positive(t, sb.Webhooks(), "webhooks the replay counted (and did not send)")
	})
}
