package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/engine"
)

// TestHeatingUpFollowsScoreVelocity: a contact that gains 25 points enters
// a "heating up" segment (score_change within 7d gte 20) at once, and
// leaves it by itself when the time pass runs after the event that gave
// the points is 7 days old: the window is on the event's timestamp, not on
// when it was applied. Points from an event older than the window never
// heat anyone up, and points lost move a contact out at once.
func TestHeatingUpFollowsScoreVelocity(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		const day = 24 * time.Hour
		day0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(day0)
		a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
		createFlow(t, a, scoreFlow("demo", "Demo requested", "", 25))
		createFlow(t, a, scoreFlow("unsub", "Unsubscribed", "", -10))
		createFlow(t, a, `{"id":"cooled","name":"cooled","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_exited","config":{"segment":"heating-up"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"cooled"}}],"edges":[{"from":"t","to":"a"}]}`)
		createSegment(t, a, `{"id":"heating-up","name":"Heating up","where":{"field":"score_change","within":"7d","op":"gte","value":20}}`)

		demoAt := day0.Add(-2 * day) // the event happened two days before it is applied
		postEvent(t, a, at(demoAt, "d1", "Demo requested", "hot"))
		postEvent(t, a, at(day0.Add(-8*day), "d2", "Demo requested", "old"))
		postEvent(t, a, at(day0.Add(-time.Minute), "d3", "Demo requested", "quitter"))
		postEvent(t, a, at(day0, "u3", "Unsubscribed", "quitter"))
		apptest.WaitApplied(t, a, 4)

		assert.Equal(t, []string{"heating-up"}, apptest.Contact(t, a, "hot").Segments, "25 points in the last 7 days")
		assert.Empty(t, apptest.Contact(t, a, "old").Segments, "its points came from an event 8 days old")
		q := apptest.Contact(t, a, "quitter")
		assert.Empty(t, q.Segments, "25 - 10 is under 20: out again at once")
		assert.Equal(t, []string{"cooled"}, q.Tags, "entered with the demo, left with the unsubscribe")

		// The history says when the points were caused, beside when applied.
		r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/hot/history", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var h struct {
			History []map[string]json.RawMessage `json:"history"`
		}
		r.JSON(t, &h)
		require.Len(t, h.History, 1)
		assert.JSONEq(t, `"`+demoAt.Format(time.RFC3339)+`"`, string(h.History[0]["event_at"]))
		assert.JSONEq(t, `"`+day0.Format(time.RFC3339)+`"`, string(h.History[0]["at"]))

		// Due exactly when the demo is 7 days old, not a millisecond before.
		leaves := demoAt.Add(7 * day)
		due, err := a.Store.DueContacts(context.Background(), leaves.Add(-time.Millisecond), 10)
		require.NoError(t, err)
		assert.NotContains(t, due, "hot")
		due, err = a.Store.DueContacts(context.Background(), leaves, 10)
		require.NoError(t, err)
		assert.Contains(t, due, "hot")

		clock.Advance(5*day - time.Hour) // an hour before the window passes
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
		assert.Equal(t, []string{"heating-up"}, apptest.Contact(t, a, "hot").Segments)
		assert.Empty(t, apptest.Contact(t, a, "hot").Tags)

		clock.Advance(2 * time.Hour)
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
		c := apptest.Contact(t, a, "hot")
		assert.Empty(t, c.Segments, "the 25 points are older than 7 days")
		assert.Equal(t, []string{"cooled"}, c.Tags, "segment_exited fired")
		assert.Equal(t, int64(25), c.Score, "the score itself stays")
		apptest.CheckLedger(t, a, "hot")
	})
}

// TestHeatingUpBackfill: a score velocity segment created after the points
// were scored is filled by the store's SQL (SegmentMovers) with each
// contact's next moment (ScheduleBoundaries), and the pass then empties it
// on time.
func TestHeatingUpBackfill(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		const day = 24 * time.Hour
		day0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(day0)
		a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
		createFlow(t, a, scoreFlow("demo", "Demo requested", "", 25))
		postEvent(t, a, at(day0.Add(-3*day), "d1", "Demo requested", "warm"))
		postEvent(t, a, at(day0.Add(-10*day), "d2", "Demo requested", "cold"))
		apptest.WaitApplied(t, a, 2)

		createSegment(t, a, `{"id":"heating-up","name":"Heating up","where":{"field":"score_change.engagement","within":"7d","op":"gte","value":20}}`)
		assert.Equal(t, []string{"heating-up"}, apptest.Contact(t, a, "warm").Segments)
		assert.Empty(t, apptest.Contact(t, a, "cold").Segments)
		leaves := day0.Add(4 * day)
		due, err := a.Store.DueContacts(context.Background(), leaves.Add(-time.Millisecond), 10)
		require.NoError(t, err)
		assert.Empty(t, due, "nobody's window changes before then")
		due, err = a.Store.DueContacts(context.Background(), leaves, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"warm"}, due)

		clock.Advance(4 * day)
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
		assert.Empty(t, apptest.Contact(t, a, "warm").Segments)
	})
}
