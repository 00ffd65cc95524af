package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/lab"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// The live model scores page visits only; the draft adds +30 for a booked
// call.
const (
	pagesFlow = `{"id": "pages", "name": "Pages", "enabled": true, "entry": {"mode": "every_time"},
		"nodes": [{"id": "t", "type": "trigger.page_visited", "config": {"url": "/", "match": "prefix"}},
		          {"id": "a", "type": "action.adjust_score", "config": {"score": "engagement", "points": 2}}],
		"edges": [{"from": "t", "to": "a"}]}`
	bookedFlow = `{"id": "booked", "name": "Booked call", "enabled": true, "entry": {"mode": "every_time"},
		"nodes": [{"id": "t", "type": "trigger.event", "config": {"name": "Booked call"}},
		          {"id": "a", "type": "action.adjust_score", "config": {"score": "engagement", "points": 30}}],
		"edges": [{"from": "t", "to": "a"}]}`
)

var day0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// plantedHistory: contacts visit pages at random; half book a call; those
// who booked win a deal 70% of the time, the others 8%. Page visits carry
// no signal. It returns the events (time ordered per contact) and how
// many contacts converted.
func plantedHistory(contacts int, seed uint64) ([]*model.Event, int) {
	r := rand.New(rand.NewPCG(seed, 14))
	var out []*model.Event
	won := 0
	n := 0
	for c := 0; c < contacts; c++ {
		id := fmt.Sprintf("lead-%04d", c)
		at := day0.Add(time.Duration(r.IntN(24*20)) * time.Hour)
		add := func(typ string, props map[string]any) {
			n++
			at = at.Add(time.Duration(1+r.IntN(48*60)) * time.Minute)
			out = append(out, &model.Event{ID: fmt.Sprintf("ev-%06d", n), Type: typ, ContactID: id, Timestamp: at, Properties: props})
		}
		for v := r.IntN(4); v >= 0; v-- {
			add("page_visited", map[string]any{"url": []string{"/pricing", "/blog/a", "/docs"}[r.IntN(3)]})
		}
		booked := r.Float64() < 0.5
		if booked {
			add("Booked call", nil)
		}
		p := 0.08
		if booked {
			p = 0.7
		}
		if r.Float64() < p {
			add("Deal won", nil)
			won++
		}
		add("page_visited", map[string]any{"url": "/docs"})
	}
	return out, won
}

type liveState struct {
	contacts map[string]*model.Contact
	history  map[string][]model.LedgerEntry
	flows    int
	stats    []store.NodeStats
	runs     uint64
}

func snapshot(t *testing.T, a *app.App, ids []string) liveState {
	t.Helper()
	ctx := context.Background()
	s := liveState{contacts: map[string]*model.Contact{}, history: map[string][]model.LedgerEntry{}}
	for _, id := range ids {
		s.contacts[id] = apptest.Contact(t, a, id)
		h, err := a.Store.History(ctx, id, 100000)
		require.NoError(t, err)
		s.history[id] = h
	}
	fl, err := a.Store.ListFlows(ctx)
	require.NoError(t, err)
	s.flows = len(fl)
	s.stats, err = a.Store.AllFlowStats(ctx, time.Time{})
	require.NoError(t, err)
	s.runs = a.Engine.Stats().Runs
	return s
}

func waitRun(t *testing.T, a *app.App, id string) lab.RunView {
	t.Helper()
	var v lab.RunView
	apptest.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		r := apptest.Do(t, a, http.MethodGet, "/api/v1/lab/runs/"+id, nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("GET run: %d %s", r.Status, r.Body)
		}
		v = lab.RunView{}
		r.JSON(t, &v)
		if v.State == lab.StateQueued || v.State == lab.StateRunning {
			return fmt.Errorf("run is %s (%.2f)", v.State, v.Progress)
		}
		return nil
	})
	return v
}

// TestPlantedSignal: a history where booking a call predicts a won deal.
// The draft that scores "Booked call" beats the live model that ignores it
// on AUC; suggest ranks event:Booked call first; nothing live changes
// until apply; apply leaves every contact at its replayed score, each
// change one "rescore" row with no flow.
func TestPlantedSignal(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		ctx := context.Background()
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", pagesFlow)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		events, won := plantedHistory(400, 1)
		require.Greater(t, won, 60, "enough conversions to learn from")
		for i := 0; i < len(events); i += 500 {
			apptest.Publish(t, a, events[i:min(i+500, len(events))]...)
		}
		apptest.WaitApplied(t, a, uint64(len(events)))
		apptest.WaitIdle(t, a)
		ids := make([]string, 0, 400)
		for c := 0; c < 400; c++ {
			ids = append(ids, fmt.Sprintf("lead-%04d", c))
		}
		before := snapshot(t, a, ids)

		from, to := day0.Add(-time.Hour), day0.Add(60*24*time.Hour)
		outcome := map[string]any{"event": "Deal won", "horizon": "90d"}
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/runs", map[string]any{
			"model":   map[string]any{"base": "live", "add": []json.RawMessage{json.RawMessage(bookedFlow)}},
			"outcome": outcome, "from": from, "to": to})
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		var started struct{ ID string }
		r.JSON(t, &started)
		run := waitRun(t, a, started.ID)
		require.Equal(t, lab.StateDone, run.State, "error: %v", run.Error)
		res := run.Result
		require.NotNil(t, res)
		assert.Equal(t, 400, res.Contacts)
		assert.Equal(t, int64(len(events)), res.Events)
		assert.Equal(t, int64(won), res.Live.Outcome.Converted)
		assert.Equal(t, int64(won), res.Draft.Outcome.Converted)
		require.NotNil(t, res.Live.Outcome.AUC)
		require.NotNil(t, res.Draft.Outcome.AUC)
		t.Logf("AUC live %.3f, draft %.3f; %d contacts change", *res.Live.Outcome.AUC, *res.Draft.Outcome.AUC, res.Changed)
		assert.Greater(t, *res.Draft.Outcome.AUC, *res.Live.Outcome.AUC+0.2, "the draft that scores booked calls ranks converters higher")
		assert.Greater(t, *res.Draft.Outcome.AUC, 0.7)
		assert.Positive(t, res.Changed)
		require.NotEmpty(t, res.Movers)
		assert.Equal(t, int64(30), res.Movers[0].DraftScore-res.Movers[0].LiveScore, "a mover gained the booked call's points")

		r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/suggest", map[string]any{"outcome": outcome, "from": from, "to": to, "score": "engagement"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var sug lab.SuggestResponse
		r.JSON(t, &sug)
		require.NotEmpty(t, sug.Features)
		assert.Equal(t, "event:Booked call", sug.Features[0].Feature, "%+v", sug.Features)
		assert.Positive(t, sug.Features[0].Points)
		assert.Equal(t, "live", sug.Model.Base)
		assert.NotEmpty(t, sug.Model.Add)
		require.NotNil(t, sug.HoldoutAUC)
		assert.Greater(t, *sug.HoldoutAUC, 0.7)

		// The suggested draft runs as it is.
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/runs", map[string]any{"model": sug.Model, "outcome": outcome, "from": from, "to": to})
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		r.JSON(t, &started)
		require.Equal(t, lab.StateDone, waitRun(t, a, started.ID).State)

		// Nothing live changed.
		assert.Equal(t, before, snapshot(t, a, ids), "runs and suggest change nothing live: contacts, history, flows, run counters")
		hooks, err := a.Store.Webhooks(ctx, "", 10)
		require.NoError(t, err)
		assert.Empty(t, hooks)

		// Apply the first run.
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/runs/"+run.ID+"/apply", nil)
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		var applied struct{ Job string }
		r.JSON(t, &applied)
		require.NotEmpty(t, applied.Job)
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/runs/"+run.ID+"/apply", nil)
		require.Equal(t, http.StatusConflict, r.Status, "a run applies once: %s", r.Body)
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/audit", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Contains(t, string(r.Body), `"action":"lab.apply","target":"`+run.ID+`"`)
		apptest.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
			r := apptest.Do(t, a, http.MethodGet, "/api/v1/jobs", nil)
			var body struct {
				LabJobs []lab.JobView `json:"lab_jobs"`
			}
			r.JSON(t, &body)
			for _, j := range body.LabJobs {
				if j.ID == applied.Job && j.State == "done" {
					assert.Equal(t, 1.0, j.Progress)
					assert.Equal(t, int64(400), j.Done)
					return nil
				}
			}
			return fmt.Errorf("job not done: %+v", body.LabJobs)
		})
		// The draft is live: every contact is where a replay of its
		// history under the new live model puts it.
		live, err := lab.Live(ctx, a.Store)
		require.NoError(t, err)
		sb, err := engine.NewSandbox(live, engine.SandboxOptions{})
		require.NoError(t, err)
		require.NoError(t, a.Store.ScanEvents(ctx, time.Time{}, to.Add(365*24*time.Hour), sb.Apply))
		rescored := 0
		for _, id := range ids {
			c := apptest.Contact(t, a, id)
			want := sb.Contact(id)
			assert.Equal(t, want.Score, c.Score, "%s score", id)
			assert.Equal(t, want.Grade, c.Grade, "%s grade", id)
			apptest.CheckLedger(t, a, id)
			h, err := a.Store.History(ctx, id, 100000)
			require.NoError(t, err)
			n := 0
			for _, e := range h {
				if e.Reason == "rescore" {
					n++
					assert.Nil(t, e.Flow)
					assert.Nil(t, e.EventID)
				}
			}
			assert.LessOrEqual(t, n, 1, "%s rescored once", id)
			rescored += n
			if c.Score != before.contacts[id].Score {
				assert.Equal(t, 1, n, "%s changed by one rescore row", id)
			}
		}
		assert.Positive(t, rescored)
		hooks, err = a.Store.Webhooks(ctx, "", 10)
		require.NoError(t, err)
		assert.Empty(t, hooks, "no webhook for past causes")
	})
}
