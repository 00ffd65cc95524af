package lab_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/lab"
	"github.com/scoreflow/scoreflow/model"
)

// stageFlow gives 100 points when a contact's stage attribute changes: the
// points the conversion itself causes, which a judged score must not hold.
const stageFlow = `{"id": "stage", "name": "Stage", "enabled": true, "entry": {"mode": "every_time"},
	"nodes": [{"id": "t", "type": "trigger.field_changed", "config": {"field": "attributes.stage"}},
	          {"id": "a", "type": "action.adjust_score", "config": {"score": "engagement", "points": 100}}],
	"edges": [{"from": "t", "to": "a"}]}`

// TestWhereOutcomeAndHorizon: with a where outcome, a contact converts when
// the live replay first matches it, and is judged just before: the 100
// points its conversion brings are not credited (a model that only scores
// the conversion ranks no better than chance). A contact that converts
// after to but within the horizon counts as converted, judged at to; one
// that converts after the horizon does not count.
func TestWhereOutcomeAndHorizon(t *testing.T) {
	a := apptest.Start(t, app.Config{Schedules: apptest.Off})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", stageFlow)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	to := day0.Add(10 * 24 * time.Hour)
	var events []*model.Event
	n := 0
	add := func(contact, typ string, at time.Time, traits map[string]any) {
		n++
		events = append(events, &model.Event{ID: fmt.Sprintf("w%03d", n), Type: typ, ContactID: contact, Timestamp: at, Traits: traits})
	}
	won := map[string]any{"stage": "won"}
	for i := 0; i < 4; i++ { // converted in the window
		c := fmt.Sprintf("in-%d", i)
		add(c, "Opened app", day0.Add(time.Duration(i)*time.Hour), nil)
		add(c, "identify", day0.Add(48*time.Hour+time.Duration(i)*time.Hour), won)
	}
	for i := 0; i < 4; i++ { // never converted
		add(fmt.Sprintf("out-%d", i), "Opened app", day0.Add(time.Duration(i)*time.Hour), nil)
	}
	add("late", "Opened app", day0, nil)
	add("late", "identify", to.Add(5*24*time.Hour), won) // within a 7d horizon
	add("later", "Opened app", day0, nil)
	add("later", "identify", to.Add(9*24*time.Hour), won) // after it
	add("after", "Opened app", to.Add(time.Hour), nil)    // not a contact of the window
	apptest.Publish(t, a, events...)
	apptest.WaitIdle(t, a)
	dead, err := a.Store.DeadEvents(t.Context(), 5)
	require.NoError(t, err)
	require.Empty(t, dead)
	apptest.WaitApplied(t, a, uint64(len(events)))

	r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/runs", map[string]any{
		"model":   map[string]any{"base": "live"},
		"outcome": map[string]any{"where": map[string]any{"field": "attributes.stage", "op": "eq", "value": "won"}, "horizon": "7d"},
		"from":    day0, "to": to})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	var started struct{ ID string }
	r.JSON(t, &started)
	v := waitRun(t, a, started.ID)
	require.Equal(t, lab.StateDone, v.State, "%v", v.Error)
	res := v.Result
	assert.Equal(t, 10, res.Contacts, "the contacts with an event in the window")
	assert.Equal(t, int64(8+4+1+1), res.Events, "events in [from, to)")
	assert.Equal(t, int64(5), res.Live.Outcome.Converted, "four in the window, one within the horizon")
	require.NotNil(t, res.Live.Outcome.AUC)
	assert.InDelta(t, 0.5, *res.Live.Outcome.AUC, 1e-9, "judged before converting, nobody holds the conversion's 100 points")
	assert.Equal(t, int64(10), res.Live.Histogram[0].Contacts+sum(res.Live.Histogram[1:]), "every contact in the histogram")
	assert.Equal(t, 0, res.Changed, "the draft is the live model")
	assert.Empty(t, res.Movers)
	// Live, the converted contacts do hold the points.
	assert.Equal(t, int64(100), apptest.Contact(t, a, "in-0").Score)
}

func sum(bs []lab.Bucket) int64 {
	var n int64
	for _, b := range bs {
		n += b.Contacts
	}
	return n
}
