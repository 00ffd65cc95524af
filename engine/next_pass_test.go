package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/engine"
)

// TestAnEventOnAnotherSegmentKeepsADueContactDue: a contact whose points
// aged out of a score_change window is due for the time pass. An event that
// changes only what another time-based segment reads, applied before the
// pass runs, must not move the contact's next pass past it: the pass is
// what takes it out of the first segment.
func TestAnEventOnAnotherSegmentKeepsADueContactDue(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		const day = 24 * time.Hour
		day0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(day0)
		a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
		createFlow(t, a, scoreFlow("demo", "Demo requested", "", 25))
		createSegment(t, a, `{"id":"heating-up","name":"Heating up","where":{"field":"score_change","within":"7d","op":"gte","value":20}}`)
		createSegment(t, a, `{"id":"readers","name":"Readers","where":{"event":"email_opened","within":"30d"}}`)

		postEvent(t, a, at(day0, "d1", "Demo requested", "hot"))
		apptest.WaitApplied(t, a, 1)
		require.Equal(t, []string{"heating-up"}, apptest.Contact(t, a, "hot").Segments)

		clock.Advance(7*day + time.Hour) // the demo's points left the window an hour ago
		now := clock.Now()
		postEvent(t, a, at(now, "o1", "email_opened", "hot"))
		apptest.WaitApplied(t, a, 2)
		assert.ElementsMatch(t, []string{"heating-up", "readers"}, apptest.Contact(t, a, "hot").Segments,
			"the email changed only what readers reads")
		due, err := a.Store.DueContacts(context.Background(), now, 10)
		require.NoError(t, err)
		assert.Contains(t, due, "hot", "still due for the pass the email did not do")

		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
		assert.Equal(t, []string{"readers"}, apptest.Contact(t, a, "hot").Segments, "the pass took it out of heating-up")
		due, err = a.Store.DueContacts(context.Background(), now.Add(30*day+time.Millisecond), 10)
		require.NoError(t, err)
		assert.Contains(t, due, "hot", "next due when the email leaves its 30 days")
		due, err = a.Store.DueContacts(context.Background(), now.Add(30*day), 10)
		require.NoError(t, err)
		assert.NotContains(t, due, "hot", "and not before: the pass stored the exact moment")
	})
}

// TestBehaviourWindowWithWhereIsDueWhenItsOldestMatchLeaves: the next pass
// of a counted behaviour leaf with a where is when the oldest event that
// matches leaves the window, not the oldest event of the type (the count
// and that moment come from one oldest-first read).
func TestBehaviourWindowWithWhereIsDueWhenItsOldestMatchLeaves(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		const day = 24 * time.Hour
		day0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(day0)
		a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
		createSegment(t, a, `{"id":"blog-readers","name":"Blog readers","where":{"event":"page_visited",
			"where":{"field":"url","op":"contains","value":"/blog/"},"within":"10d","count":{"op":"gte","value":2}}}`)
		visit := func(ts time.Time, id, url string) map[string]any {
			ev := at(ts, id, "page_visited", "r")
			ev["properties"] = map[string]any{"url": url}
			return ev
		}
		postEvent(t, a, visit(day0.Add(-6*day), "p0", "https://acme.test/pricing"))
		postEvent(t, a, visit(day0.Add(-5*day), "p1", "https://acme.test/blog/a"))
		postEvent(t, a, visit(day0.Add(-3*day), "p2", "https://acme.test/blog/b"))
		apptest.WaitApplied(t, a, 3)
		require.Equal(t, []string{"blog-readers"}, apptest.Contact(t, a, "r").Segments)

		leaves := day0.Add(5*day + time.Millisecond) // the /blog/a visit is 10 days old
		due, err := a.Store.DueContacts(context.Background(), leaves.Add(-time.Millisecond), 10)
		require.NoError(t, err)
		assert.NotContains(t, due, "r")
		due, err = a.Store.DueContacts(context.Background(), leaves, 10)
		require.NoError(t, err)
		assert.Contains(t, due, "r")

		clock.Advance(5*day + time.Second)
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
		assert.Empty(t, apptest.Contact(t, a, "r").Segments, "one blog visit left in the window")
	})
}
