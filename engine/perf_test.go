package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
)

// TestPerfSegmentPasses times a back-fill and a full time pass of the
// dead-end segment over many contacts. Run with
//
//	SCOREFLOW_PERF=1 SCOREFLOW_PERF_CONTACTS=100000 go test -run TestPerfSegmentPasses -v ./engine/
func TestPerfSegmentPasses(t *testing.T) {
	if os.Getenv("SCOREFLOW_PERF") == "" {
		t.Skip("set SCOREFLOW_PERF=1 to run")
	}
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SCOREFLOW_PERF_CONTACTS")); err == nil {
		n = v
	}
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(day0.Add(120 * 24 * time.Hour))
	a := apptest.Start(t, app.Config{Now: clock.Now, Schedules: apptest.Off})
	titles := []string{"student", "CEO", "unemployed", "engineer", "CMO"}
	start := time.Now()
	var batch []*model.Event
	published := 0
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("p%07d", i)
		ev := apptest.Event("i"+id, "identify", id, nil)
		ev.Timestamp = day0
		ev.Traits = map[string]any{"job_title": titles[i%len(titles)]}
		batch = append(batch, ev)
		if i%3 == 0 {
			op := apptest.Event("o"+id, "email_opened", id, map[string]any{"email": "news"})
			op.Timestamp = day0.Add(time.Duration(i%120) * 24 * time.Hour)
			batch = append(batch, op)
		}
		if len(batch) >= 1000 {
			apptest.Publish(t, a, batch...)
			published += len(batch)
			batch = batch[:0]
		}
	}
	apptest.Publish(t, a, batch...)
	published += len(batch)
	apptest.WaitApplied(t, a, uint64(published))
	t.Logf("loaded %d contacts (%d events) in %s", n, published, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/segments", `{"id":"dead-end","name":"Dead end","where":{"all":[
		{"event":"email_opened","within":"60d","count":{"op":"eq","value":0}},
		{"field":"attributes.job_title","op":"in","value":["student","unemployed"]}]}}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	t.Logf("back-fill over %d contacts: %s (%s)", n, time.Since(start).Round(time.Millisecond), r.Body)

	clock.Advance(30 * 24 * time.Hour)
	start = time.Now()
	require.NoError(t, a.Scheduler.RunNow(context.Background(), engine.JobSegments))
	t.Logf("time pass 30 days later: %s", time.Since(start).Round(time.Millisecond))
}
