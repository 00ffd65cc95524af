package engine_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// TestSchedulerRecoversPanicsAndNeverOverlaps: a panicking job fails its
// run and the process goes on; a job still running is skipped, not doubled;
// GET /api/v1/jobs shows every job with its schedule and last run.
func TestSchedulerRecoversPanicsAndNeverOverlaps(t *testing.T) {
	a := apptest.Start(t, app.Config{Schedules: apptest.Off})
	require.NoError(t, a.Scheduler.Add("boom", "off", func(context.Context) (int, error) { panic("kaboom") }))
	err := a.Scheduler.RunNow(context.Background(), "boom")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kaboom")

	release := make(chan struct{})
	started := make(chan struct{})
	var runs int
	var mu sync.Mutex
	require.NoError(t, a.Scheduler.Add("slow", "off", func(context.Context) (int, error) {
		mu.Lock()
		runs++
		mu.Unlock()
		close(started)
		<-release
		return 0, nil
	}))
	done := make(chan error)
	go func() { done <- a.Scheduler.RunNow(context.Background(), "slow") }()
	<-started
	require.NoError(t, a.Scheduler.RunNow(context.Background(), "slow"), "a skipped run is not an error")
	close(release)
	require.NoError(t, <-done)
	assert.Equal(t, 1, runs)

	r := apptest.Do(t, a, http.MethodGet, "/api/v1/jobs", nil)
	require.Equal(t, http.StatusOK, r.Status)
	var out struct {
		Jobs []struct{ Name, Schedule, Outcome, Error string }
	}
	r.JSON(t, &out)
	got := map[string]string{}
	for _, j := range out.Jobs {
		got[j.Name] = j.Outcome
	}
	assert.Equal(t, map[string]string{"boom": "failed", "slow": "ok", "segments": "never run", "delays": "never run", "decay": "never run"}, got)
	assert.Equal(t, http.StatusOK, apptest.Do(t, a, http.MethodGet, "/readyz", nil).Status, "still serving after the panic")
}

// TestIdleJobsLogAtDebug: a pass that found nothing logs at debug, one that
// did work at info, so an idle server's log stays quiet.
func TestIdleJobsLogAtDebug(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := apptest.Start(t, app.Config{Schedules: apptest.Off, Logger: log})
	items := 0
	require.NoError(t, a.Scheduler.Add("work", "off", func(context.Context) (int, error) { return items, nil }))
	for _, n := range []int{0, 3} {
		items = n
		require.NoError(t, a.Scheduler.RunNow(context.Background(), "work"))
	}
	var levels []string
	for _, line := range strings.Split(buf.String(), "\n") {
		var rec struct{ Level, Msg, Job string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "job ran" && rec.Job == "work" {
			levels = append(levels, rec.Level)
		}
	}
	assert.Equal(t, []string{"DEBUG", "INFO"}, levels)
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
