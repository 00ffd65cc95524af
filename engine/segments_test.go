package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
)

func createSegment(t *testing.T, a *app.App, doc string) apptest.Response {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/segments", doc)
	require.Equal(t, http.StatusCreated, r.Status, "create segment: %s", r.Body)
	return r
}

func nodeStats(t *testing.T, a *app.App, flow string) map[string]map[string]int64 {
	t.Helper()
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/flows/"+flow+"/stats?window=3650d", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out struct {
		Nodes map[string]map[string]int64 `json:"nodes"`
	}
	r.JSON(t, &out)
	return out.Nodes
}

// TestSegmentTransitionsFireOnceThroughACascade: a score change moves a
// contact into a segment, whose flow tags it, which moves it into another
// segment, whose flow runs — each transition exactly once, all in the
// batch of the event that caused it.
func TestSegmentTransitionsFireOnceThroughACascade(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		createSegment(t, a, `{"id":"engaged","name":"Engaged","where":{"field":"score","op":"gte","value":10}}`)
		createSegment(t, a, `{"id":"vip","name":"VIP","where":{"all":[{"field":"tags","op":"contains","value":"vip"},{"field":"segments","op":"contains","value":"engaged"}]}}`)
		createFlow(t, a, scoreFlow("point", "Point", "", 5))
		createFlow(t, a, scoreFlow("minus", "Minus", "", -200))
		createFlow(t, a, `{"id":"tag-engaged","name":"tag engaged","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_entered","config":{"segment":"engaged"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"vip"}}],"edges":[{"from":"t","to":"a"}]}`)
		createFlow(t, a, `{"id":"vip-bonus","name":"vip bonus","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_entered","config":{"segment":"vip"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"fit","points":100}}],"edges":[{"from":"t","to":"a"}]}`)
		createFlow(t, a, `{"id":"cooled","name":"cooled","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_exited","config":{"segment":"engaged"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"cooled"}}],"edges":[{"from":"t","to":"a"}]}`)

		for i, typ := range []string{"Point", "Point", "Point"} {
			postEvent(t, a, map[string]any{"id": fmt.Sprint("p", i), "type": typ, "contact_id": "s1"})
		}
		apptest.WaitApplied(t, a, 3)
		c := apptest.Contact(t, a, "s1")
		assert.Equal(t, []string{"engaged", "vip"}, c.Segments)
		assert.Equal(t, []string{"vip"}, c.Tags)
		assert.Equal(t, int64(15+100), c.Score)
		assert.Equal(t, int64(1), nodeStats(t, a, "tag-engaged")["t"]["entered"], "entered engaged once")
		assert.Equal(t, int64(1), nodeStats(t, a, "vip-bonus")["t"]["entered"], "entered vip once")

		postEvent(t, a, map[string]any{"id": "m", "type": "Minus", "contact_id": "s1"})
		apptest.WaitApplied(t, a, 4)
		c = apptest.Contact(t, a, "s1")
		assert.Equal(t, []string{}, c.Segments, "below 10 leaves engaged, and vip with it")
		assert.ElementsMatch(t, []string{"vip", "cooled"}, c.Tags)
		assert.Equal(t, int64(1), nodeStats(t, a, "cooled")["t"]["entered"])

		r := apptest.Do(t, a, http.MethodGet, "/api/v1/segments/engaged/contacts", nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, string(r.Body), `"contacts":[]`)
		apptest.CheckLedger(t, a, "s1")
	})
}

// TestSegmentCycleRefused: a segment built on another that is built on it
// is refused with a 400 naming both.
func TestSegmentCycleRefused(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		createSegment(t, a, `{"id":"a","name":"A","where":{"field":"score","op":"gte","value":1}}`)
		createSegment(t, a, `{"id":"b","name":"B","where":{"field":"segments","op":"contains","value":"a"}}`)
		r := apptest.Do(t, a, http.MethodPut, "/api/v1/segments/a", `{"name":"A","where":{"field":"segments","op":"contains","value":"b"}}`)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
		assert.Contains(t, string(r.Body), "a → b → a")
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/segments", `{"id":"c","name":"C","where":{"field":"segments","op":"contains","value":"nope"}}`)
		require.Equal(t, http.StatusBadRequest, r.Status)
		assert.Contains(t, string(r.Body), `segment \"nope\", which does not exist`)
		r = apptest.Do(t, a, http.MethodDelete, "/api/v1/segments/a", nil)
		require.Equal(t, http.StatusConflict, r.Status, "a is used by b")
	})
}

// TestBackfillIsQuietUnlessFired: a new segment fills its membership from
// existing contacts without running flows, unless asked to.
func TestBackfillIsQuietUnlessFired(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		createFlow(t, a, scoreFlow("point", "Point", "", 5))
		for i := 0; i < 1200; i++ { // more than one chunk
			apptest.Publish(t, a, apptest.Event(fmt.Sprint("e", i), "Point", fmt.Sprintf("b%04d", i), nil))
		}
		apptest.WaitApplied(t, a, 1200)
		createFlow(t, a, `{"id":"hello","name":"hello","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_entered","config":{"segment":"fives"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"hello"}}],"edges":[{"from":"t","to":"a"}]}`)
		createSegment(t, a, `{"id":"fives","name":"Fives","where":{"field":"score","op":"eq","value":5}}`)
		r := apptest.Do(t, a, http.MethodGet, "/api/v1/segments/fives", nil)
		assert.Contains(t, string(r.Body), `"members":1200`)
		assert.Empty(t, apptest.Contact(t, a, "b0007").Tags, "no flow ran")
		assert.Equal(t, []string{"fives"}, apptest.Contact(t, a, "b0007").Segments)

		r = apptest.Do(t, a, http.MethodPut, "/api/v1/segments/fives?fire=true", `{"name":"Fives","where":{"field":"score","op":"lte","value":5}}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Empty(t, apptest.Contact(t, a, "b0007").Tags, "nobody moved: still nothing to fire")
		createSegment(t, a, `{"id":"all","name":"All","where":{"field":"score","op":"gte","value":0}}`)
		createFlow(t, a, `{"id":"hello-all","name":"hello all","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_exited","config":{"segment":"all"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"bye"}}],"edges":[{"from":"t","to":"a"}]}`)
		r = apptest.Do(t, a, http.MethodPut, "/api/v1/segments/all?fire=true", `{"name":"All","where":{"field":"score","op":"gt","value":100}}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, []string{"bye"}, apptest.Contact(t, a, "b1199").Tags, "fired: every exit ran the flow")
	})
}

// TestDelaySurvivesRestartAndResumesOnce: a run parked at a delay resumes
// after a restart, once, on the version it started on.
func TestDelaySurvivesRestartAndResumesOnce(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		dir := t.TempDir()
		clock := apptest.NewClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
		a := apptest.Start(t, app.Config{DataDir: dir, Now: clock.Now, Schedules: apptest.Off})
		createFlow(t, a, `{"id":"nurture","name":"nurture","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Start"}},
		{"id":"now","type":"action.add_tag","config":{"tag":"started"}},
		{"id":"w","type":"delay.wait","config":{"for":"2d"}},
		{"id":"later","type":"action.adjust_score","config":{"score":"engagement","points":5}}],
		"edges":[{"from":"t","to":"now"},{"from":"t","to":"w"},{"from":"w","to":"later"}]}`)
		postEvent(t, a, map[string]any{"id": "d1", "type": "Start", "contact_id": "sleepy", "timestamp": clock.Now().Format(time.RFC3339)})
		apptest.WaitApplied(t, a, 1)
		c := apptest.Contact(t, a, "sleepy")
		assert.Equal(t, []string{"started"}, c.Tags, "the branch without a delay ran at once")
		assert.Equal(t, int64(0), c.Score)
		n, err := a.Store.CountWaitingRuns(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)

		// A new version while the run sleeps: it must resume on version 1.
		r := apptest.Do(t, a, http.MethodPut, "/api/v1/flows/nurture", `{"name":"nurture v2","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Start"}},
		{"id":"w","type":"delay.wait","config":{"for":"1d"}},
		{"id":"later","type":"action.adjust_score","config":{"score":"engagement","points":7}}],
		"edges":[{"from":"t","to":"w"},{"from":"w","to":"later"}]}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		clock.Advance(24 * time.Hour)
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobDelays))
		assert.Equal(t, int64(0), apptest.Contact(t, a, "sleepy").Score, "not due yet")
		require.NoError(t, a.Shutdown(context.Background()))

		b := apptest.Start(t, app.Config{DataDir: dir, Now: clock.Now, Schedules: apptest.Off})
		clock.Advance(25 * time.Hour)
		require.NoError(t, b.Scheduler.RunNow(context.Background(), engine.JobDelays))
		require.NoError(t, b.Scheduler.RunNow(context.Background(), engine.JobDelays))
		c = apptest.Contact(t, b, "sleepy")
		assert.Equal(t, int64(5), c.Score, "resumed once, on version 1")
		h := history(t, b, "sleepy")
		require.Len(t, h, 1)
		assert.Equal(t, 1, *h[0].FlowVersion)
		assert.Equal(t, "later", *h[0].Node)
		assert.Equal(t, "d1", *h[0].EventID)
		n, err = b.Store.CountWaitingRuns(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(0), n)

		r = apptest.Do(t, b, http.MethodGet, "/api/v1/jobs", nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, string(r.Body), `"name":"delays"`)
		assert.Contains(t, string(r.Body), `"outcome":"ok"`)
	})
}

// TestDecayIsIdempotentAndSurvivesAnInterruptedPass: decay takes its
// percent once per period, records it in the ledger, and a pass that is cut
// short and run again decays nobody twice.
func TestDecayIsIdempotentAndSurvivesAnInterruptedPass(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		clock := apptest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
		r := apptest.Do(t, a, http.MethodPut, "/api/v1/settings", `{"scores":[{"name":"engagement","min":-100,"max":500,"decay":{"every":"30d","percent":25}}],
		"grades":[{"name":"cold","min":null},{"name":"hot","min":50}],"pipeline":["new"]}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		createFlow(t, a, scoreFlow("hundred", "Big", "", 100))
		const contacts = 1100 // three chunks
		for i := 0; i < contacts; i++ {
			apptest.Publish(t, a, apptestEvent{id: fmt.Sprint("d", i), contact: fmt.Sprintf("k%04d", i), at: clock.Now()}.event())
		}
		apptest.WaitApplied(t, a, contacts)
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobDecay))
		assert.Equal(t, int64(100), apptest.Contact(t, a, "k0000").Score, "not a period yet")

		clock.Advance(31 * 24 * time.Hour)
		// Cut the first pass short after its first chunk, as a crash would.
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			apptest.CheckFor(t, 10*time.Second, time.Millisecond, func() error {
				if len(history(t, a, "k0000")) < 2 {
					return fmt.Errorf("first chunk not decayed yet")
				}
				return nil
			})
			cancel()
		}()
		_, _ = a.Engine.RunDecay(ctx)
		<-ctx.Done()
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobDecay))
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobDecay))
		for _, id := range []string{"k0000", "k0600", "k1099"} {
			c := apptest.Contact(t, a, id)
			assert.Equal(t, int64(75), c.Score, id)
			assert.Equal(t, "hot", c.Grade)
			h := history(t, a, id)
			require.Len(t, h, 2, id)
			assert.Equal(t, "decay", h[0].Reason)
			assert.Nil(t, h[0].Flow)
			assert.Equal(t, int64(-25), h[0].Delta)
			apptest.CheckLedger(t, a, id)
		}
		clock.Advance(30 * 24 * time.Hour)
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobDecay))
		c := apptest.Contact(t, a, "k0001")
		assert.Equal(t, int64(75-19), c.Score, "25% of 75 is 18.75, taken as 19")
		assert.Equal(t, "hot", c.Grade)
	})
}

type apptestEvent struct {
	id, contact string
	at          time.Time
}

func (e apptestEvent) event() *model.Event {
	ev := apptest.Event(e.id, "Big", e.contact, nil)
	ev.Timestamp = e.at
	return ev
}

// TestBecameHotIsASegment: grade is readable in filters, so "became hot"
// is a segment whose entry starts a flow.
func TestBecameHotIsASegment(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		createSegment(t, a, `{"id":"hot","name":"Hot","where":{"field":"grade","op":"eq","value":"hot"}}`)
		createFlow(t, a, scoreFlow("big", "Big", "", 60))
		createFlow(t, a, `{"id":"alert","name":"alert","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_entered","config":{"segment":"hot"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"call-now"}}],"edges":[{"from":"t","to":"a"}]}`)
		postEvent(t, a, map[string]any{"id": "h1", "type": "Big", "contact_id": "h"})
		apptest.WaitApplied(t, a, 1)
		c := apptest.Contact(t, a, "h")
		assert.Equal(t, "hot", c.Grade)
		assert.Equal(t, []string{"hot"}, c.Segments)
		assert.Equal(t, []string{"call-now"}, c.Tags)
	})
}

// TestBackfillSchedulesTimeBasedMoments: a time-based segment created after
// the contacts exist gets each contact's next moment at once, so the pass
// visits them when their window ends, and not before.
func TestBackfillSchedulesTimeBasedMoments(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		day0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(day0)
		a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
		for i, c := range []string{"x1", "x2", "x3"} {
			ts := day0.Add(time.Duration(i) * 24 * time.Hour)
			postEvent(t, a, map[string]any{"id": "o" + c, "type": "email_opened", "contact_id": c, "timestamp": ts.Format(time.RFC3339)})
		}
		apptest.WaitApplied(t, a, 3)
		clock.Advance(3 * 24 * time.Hour)
		createSegment(t, a, `{"id":"lapsed","name":"Lapsed","where":{"event":"email_opened","within":"30d","count":{"op":"eq","value":0}}}`)
		due, err := a.Store.DueContacts(context.Background(), day0.Add(30*24*time.Hour-time.Hour), 10)
		require.NoError(t, err)
		assert.Empty(t, due, "nobody is due before the first open leaves the window")
		due, err = a.Store.DueContacts(context.Background(), day0.Add(31*24*time.Hour+time.Hour), 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"x1", "x2"}, due, "30 days after each open")

		clock.Advance(29 * 24 * time.Hour) // day 32
		require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
		assert.Equal(t, []string{"lapsed"}, apptest.Contact(t, a, "x1").Segments)
		assert.Equal(t, []string{"lapsed"}, apptest.Contact(t, a, "x2").Segments)
		assert.Empty(t, apptest.Contact(t, a, "x3").Segments)
	})
}

// TestBackfillOfAttributeTimesMakesAllDue: an attribute's time has no SQL
// form for the next-change moments (store.ErrNoSQL), so the back-fill
// makes every contact due and the next pass computes them in Go; the
// membership itself is still filled in SQL.
func TestBackfillOfAttributeTimesMakesAllDue(t *testing.T) {
	day0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(day0)
	a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
	for i, c := range []string{"y1", "y2"} {
		trial := day0.Add(time.Duration(-3+2*i) * 24 * time.Hour) // y1's trial ended 3 days ago, y2's ends tomorrow
		postEvent(t, a, map[string]any{"id": "i" + c, "type": "identify", "contact_id": c, "timestamp": day0.Format(time.RFC3339),
			"traits": map[string]any{"trial_ends": trial.Format(time.RFC3339)}})
	}
	apptest.WaitApplied(t, a, 2)
	due, err := a.Store.DueContacts(context.Background(), day0, 10)
	require.NoError(t, err)
	require.Empty(t, due)
	createSegment(t, a, `{"id":"expired","name":"Expired","where":{"field":"attributes.trial_ends","op":"older_than","value":"1d"}}`)
	assert.Equal(t, []string{"expired"}, apptest.Contact(t, a, "y1").Segments)
	assert.Empty(t, apptest.Contact(t, a, "y2").Segments)
	due, err = a.Store.DueContacts(context.Background(), day0, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"y1", "y2"}, sortedStrings(due), "everyone is due for the next pass")
}

func sortedStrings(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// TestSegmentEndpointsAcceptCurlBodiesAndCheckQueries: a segment posted
// with a form content type (curl -d) is read as JSON; bad limits are 400.
func TestSegmentEndpointsAcceptCurlBodiesAndCheckQueries(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		r := apptest.Do(t, a, http.MethodPost, "/api/v1/segments", `{"id":"all","name":"All","where":{"field":"score","op":"gte","value":0}}`,
			"Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/segments/all/contacts?limit=abc", nil)
		assert.Equal(t, http.StatusBadRequest, r.Status)
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/segments/nope", nil)
		assert.Equal(t, http.StatusNotFound, r.Status)
	})
}
