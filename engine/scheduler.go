package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Job names.
const (
	JobSegments = "segments" // time-based segment re-evaluation
	JobDelays   = "delays"   // resume parked runs
	JobDecay    = "decay"    // score decay
)

// Schedules say when each job runs, in robfig/cron syntax ("@every 1m",
// "*/5 * * * *"), in UTC.
type Schedules struct {
	Segments string
	Delays   string
	Decay    string
}

// DefaultSchedules: time-based segments every minute, parked runs every 5
// seconds, decay hourly.
func DefaultSchedules() Schedules {
	return Schedules{Segments: "@every 1m", Delays: "@every 5s", Decay: "@every 1h"}
}

// Scheduler runs the engine's time-driven jobs. Jobs never overlap
// themselves, a panic fails the run instead of the process, and every run
// is logged and recorded for GET /api/v1/jobs.
type Scheduler struct {
	cron  *cron.Cron
	jobs  map[string]*scheduledJob
	store store.Store
	log   *slog.Logger
	// OnRun is called after each run (metrics).
	OnRun func(name, outcome string, took time.Duration)
}

type scheduledJob struct {
	name, schedule string
	run            func(ctx context.Context) (int, error)
	mu             sync.Mutex // held while running: no overlap
}

// NewScheduler prepares the jobs; Start runs them on their schedules.
func NewScheduler(e *Engine, st store.Store, log *slog.Logger, sch Schedules) (*Scheduler, error) {
	s := &Scheduler{
		cron:  cron.New(cron.WithLocation(time.UTC)),
		jobs:  map[string]*scheduledJob{},
		store: st,
		log:   log,
	}
	for _, j := range []*scheduledJob{
		{name: JobSegments, schedule: sch.Segments, run: e.RunTimePass},
		{name: JobDelays, schedule: sch.Delays, run: e.ResumeDueRuns},
		{name: JobDecay, schedule: sch.Decay, run: e.RunDecay},
	} {
		if err := s.Add(j.name, j.schedule, j.run); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add schedules a job ("off" or "" = run only with RunNow).
func (s *Scheduler) Add(name, schedule string, run func(ctx context.Context) (int, error)) error {
	j := &scheduledJob{name: name, schedule: schedule, run: run}
	s.jobs[name] = j
	if schedule == "" || schedule == "off" {
		return nil
	}
	if _, err := s.cron.AddFunc(schedule, func() { _ = s.runJob(context.Background(), j) }); err != nil {
		return fmt.Errorf("schedule of job %s %q: %w", name, schedule, err)
	}
	return nil
}

// Start runs jobs on their schedules.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling and waits for running jobs (or ctx).
func (s *Scheduler) Stop(ctx context.Context) error {
	select {
	case <-s.cron.Stop().Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("scheduler stop: %w", ctx.Err())
	}
}

// RunNow runs a job at once and waits for it (tests, operators). A job that
// is already running is skipped.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	j, ok := s.jobs[name]
	if !ok {
		return model.NotFound("job", name)
	}
	return s.runJob(ctx, j)
}

// Names lists the jobs and their schedules.
func (s *Scheduler) Names() map[string]string {
	out := map[string]string{}
	for n, j := range s.jobs {
		out[n] = j.schedule
	}
	return out
}

func (s *Scheduler) runJob(ctx context.Context, j *scheduledJob) (err error) {
	start := time.Now()
	if !j.mu.TryLock() {
		s.record(ctx, j, start, "skipped", nil)
		return nil
	}
	defer j.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job %s panicked: %v", j.name, p)
		}
		outcome := "ok"
		if err != nil {
			outcome = "failed"
		}
		s.record(ctx, j, start, outcome, err)
	}()
	n, err := j.run(ctx)
	if err == nil {
		// Work done is news; an idle pass every few seconds is not.
		level := slog.LevelInfo
		if n == 0 {
			level = slog.LevelDebug
		}
		s.log.Log(ctx, level, "job ran", "job", j.name, "items", n, "took", time.Since(start).Round(time.Millisecond).String())
	}
	return err
}

func (s *Scheduler) record(ctx context.Context, j *scheduledJob, start time.Time, outcome string, err error) {
	took := time.Since(start)
	run := model.JobRun{Name: j.name, Schedule: j.schedule, LastStart: start.UTC(), DurationMS: took.Milliseconds(), Outcome: outcome}
	if err != nil {
		run.Error = err.Error()
		s.log.Error("job failed", "job", j.name, "err", err)
	}
	if rerr := s.store.RecordJobRun(context.WithoutCancel(ctx), run); rerr != nil {
		s.log.Error("record job run", "job", j.name, "err", rerr)
	}
	if s.OnRun != nil {
		s.OnRun(j.name, outcome, took)
	}
}
