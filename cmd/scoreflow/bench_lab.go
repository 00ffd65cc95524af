package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/lab"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// benchLab measures the model lab (issue #14) on the reference model: the
// sandbox's replay speed in memory, a lab run over stored events, suggest,
// and an apply's rescore while events keep streaming in (their latency).
func benchLab(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench-lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.Int("events", 1_000_000, "events of history")
	contacts := fs.Int("contacts", 100_000, "distinct contacts")
	rate := fs.Int("stream-rate", 500, "events/s streamed in while the rescore runs")
	dir := fs.String("data", "", "data directory (default: a new temp dir, removed after)")
	storeURL := fs.String("store", "", "run on this empty PostgreSQL (postgres://…) instead of SQLite")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	skipApply := fs.Bool("skip-apply", false, "stop after suggest (leaves the live model as it was, so -data can be reused)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "bench-lab: %v\n", err)
			return 1
		}
		defer stopProfile()
	}
	if *events < 1 || *contacts < 1 || *rate < 1 {
		fmt.Fprintln(stderr, "bench-lab: -events, -contacts and -stream-rate must be at least 1")
		return 2
	}
	if err := runBenchLab(*events, *contacts, *rate, *dir, *storeURL, *skipApply, stdout); err != nil {
		fmt.Fprintf(stderr, "bench-lab: %v\n", err)
		return 1
	}
	return 0
}

var labStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// labHistory is a history for the reference model with a planted signal:
// contacts who booked a call win deals far more often.
func labHistory(n, contacts int) []*model.Event {
	r := rand.New(rand.NewPCG(14, 1))
	booked := make([]bool, contacts)
	step := 60 * 24 * time.Hour / time.Duration(n)
	out := make([]*model.Event, n)
	for i := range out {
		c := r.IntN(contacts)
		ev := &model.Event{ID: fmt.Sprintf("h%08d", i), ContactID: fmt.Sprintf("c%06d", c), Timestamp: labStart.Add(time.Duration(i) * step)}
		switch k := r.IntN(100); {
		case k < 10:
			ev.Type, ev.Traits = "identify", map[string]any{"job_title": []string{"CEO", "CTO", "student", "Marketing manager"}[r.IntN(4)],
				"company_size": float64(5 + r.IntN(900)), "country": []string{"US", "FR", "DE", "IN"}[r.IntN(4)]}
		case k < 60:
			ev.Type, ev.Properties = "page_visited", map[string]any{"url": []string{"/pricing", "/blog/scoring", "/docs", "/careers"}[r.IntN(4)]}
		case k < 70:
			ev.Type, ev.Properties = "email_clicked", map[string]any{"email": "lead-nurturing-2"}
		case k < 78:
			ev.Type, booked[c] = "Booked call", true
		case k < 90:
			ev.Type = []string{"Created project", "Created task", "Signed up for trial", "Clicked LinkedIn post"}[r.IntN(4)]
		default:
			p := 0.03
			if booked[c] {
				p = 0.5
			}
			if r.Float64() < p {
				ev.Type = "Deal won"
			} else {
				ev.Type, ev.Properties = "page_visited", map[string]any{"url": "/docs"}
			}
		}
		out[i] = ev
	}
	return out
}

func referenceSandboxModel() (engine.Model, error) {
	settings, docs, err := app.ReferenceModel()
	if err != nil {
		return engine.Model{}, err
	}
	m := engine.Model{Settings: settings}
	for _, f := range docs {
		b, err := json.Marshal(f)
		if err != nil {
			return m, err
		}
		m.Flows = append(m.Flows, store.FlowRecord{ID: f.ID, Name: f.Name, Enabled: f.Enabled, Version: 1, Doc: b})
	}
	return m, nil
}

func runBenchLab(n, contacts, rate int, dir, storeURL string, skipApply bool, out io.Writer) error {
	ctx := context.Background()
	history := labHistory(n, contacts)

	// 1. Replay in memory: the sandbox over events already decoded.
	m, err := referenceSandboxModel()
	if err != nil {
		return err
	}
	sb, err := engine.NewSandbox(m, engine.SandboxOptions{})
	if err != nil {
		return err
	}
	replay := cloneEvents(history)
	cpu0 := cpuTime()
	start := time.Now()
	for _, ev := range replay {
		if err := sb.Apply(ev); err != nil {
			return err
		}
	}
	took, cpu := time.Since(start), cpuTime()-cpu0
	// The CPU time says what the replay costs on a machine other work
	// shares; the wall time, what it took here.
	fmt.Fprintf(out, "replay in memory: %d events, %d contacts, reference model: %s, %.0f events/s (%.0f per CPU second)\n",
		n, sb.Len(), took.Round(time.Millisecond), float64(n)/took.Seconds(), float64(n)/cpu.Seconds())

	// 2. The stored history, then a lab run, suggest and an apply on it.
	if dir == "" {
		tmp, err := os.MkdirTemp("", "scoreflow-bench-lab-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var latencies []time.Duration
	a, err := app.Start(ctx, app.Config{DataDir: dir, Store: storeURL, NATSListen: "off", Schedules: engine.Schedules{Segments: "off", Delays: "off", Decay: "off"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnCommit: func(ci engine.CommitInfo) {
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ci.EventIDs {
				if at, ok := sent[id]; ok {
					latencies = append(latencies, ci.At.Sub(at))
					delete(sent, id)
				}
			}
		}})
	if err != nil {
		return err
	}
	defer a.Shutdown(context.Background())
	if err := app.LoadModel(ctx, a.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), false); err != nil {
		return err
	}
	a.Engine.Reload()
	// A -data directory that already holds this history (a run with
	// -skip-apply left it) is reused: the ingest is the slow part of the
	// bench and measures nothing of the lab.
	stored, err := a.Store.CountEventsBetween(ctx, labStart, labStart.Add(61*24*time.Hour))
	if err != nil {
		return err
	}
	if stored == int64(n) {
		fmt.Fprintf(out, "ingest of the history: reused the %d events in %s\n", n, dir)
	} else {
		start = time.Now()
		for i := 0; i < n; i += 1000 {
			if err := a.Publisher.Publish(ctx, "bench", history[i:min(i+1000, n)]); err != nil {
				return err
			}
		}
		for a.Engine.Stats().Applied < uint64(n) {
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Fprintf(out, "ingest of the history: %s\n", time.Since(start).Round(time.Millisecond))
	}

	window := func(v time.Time) *time.Time { return &v }
	outcome := json.RawMessage(`{"event": "Deal won", "horizon": "90d"}`)
	draft := json.RawMessage(`{"base": "live", "add": [{"id": "engagement-booked-call", "name": "Booked call", "enabled": true,
		"entry": {"mode": "every_time"}, "nodes": [{"id": "t", "type": "trigger.event", "config": {"name": "Booked call"}},
		{"id": "a", "type": "action.adjust_score", "config": {"score": "engagement", "points": 40}}], "edges": [{"from": "t", "to": "a"}]}]}`)
	start, cpu0 = time.Now(), cpuTime()
	id, err := a.Lab.Start(ctx, lab.RunRequest{Model: draft, Outcome: outcome, From: window(labStart), To: window(labStart.Add(45 * 24 * time.Hour))})
	if err != nil {
		return err
	}
	var v lab.RunView
	for {
		if v, err = a.Lab.Get(id); err != nil {
			return err
		}
		if v.State != lab.StateQueued && v.State != lab.StateRunning {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v.State != lab.StateDone {
		return fmt.Errorf("lab run %s: %v", v.State, v.Error)
	}
	fmt.Fprintf(out, "lab run (live + draft, both replayed from the store): %d events, %d contacts: %s (%s CPU); AUC live %s, draft %s; %d contacts change\n",
		v.Result.Events, v.Result.Contacts, time.Since(start).Round(time.Millisecond), (cpuTime() - cpu0).Round(time.Millisecond), auc(v.Result.Live.Outcome.AUC), auc(v.Result.Draft.Outcome.AUC), v.Result.Changed)

	start, cpu0 = time.Now(), cpuTime()
	sug, err := a.Lab.Suggest(ctx, lab.SuggestRequest{Outcome: outcome, From: window(labStart), To: window(labStart.Add(45 * 24 * time.Hour))})
	if err != nil {
		return err
	}
	top := ""
	if len(sug.Features) > 0 {
		top = sug.Features[0].Feature
	}
	fmt.Fprintf(out, "suggest: %s (%s CPU); holdout AUC %s; top feature %q\n", time.Since(start).Round(time.Millisecond),
		(cpuTime() - cpu0).Round(time.Millisecond), auc(sug.HoldoutAUC), top)

	if skipApply {
		return nil
	}
	// 3. Apply: the rescore runs while events stream in.
	start = time.Now()
	job, err := a.Lab.Apply(ctx, id)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var streamed sync.WaitGroup
	streamed.Add(1)
	go func() {
		defer streamed.Done()
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ev := &model.Event{ID: fmt.Sprintf("live%08d", i), Type: "page_visited", ContactID: fmt.Sprintf("c%06d", i%contacts),
				Timestamp: time.Now().UTC(), Properties: map[string]any{"url": "/pricing"}}
			mu.Lock()
			sent[ev.ID] = time.Now()
			mu.Unlock()
			if err := a.Publisher.Publish(ctx, "bench", []*model.Event{ev}); err != nil {
				return
			}
		}
	}()
	var done lab.JobView
	for {
		jobs, err := a.Lab.Jobs(ctx)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(jobs, func(j lab.JobView) bool { return j.ID == job }); i >= 0 && (jobs[i].State == "done" || jobs[i].State == "failed") {
			done = jobs[i]
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took = time.Since(start)
	close(stop)
	streamed.Wait()
	time.Sleep(200 * time.Millisecond)
	if done.State != "done" {
		return fmt.Errorf("apply job %s: %s", done.State, done.Error)
	}
	mu.Lock()
	lat := slices.Clone(latencies)
	mu.Unlock()
	slices.Sort(lat)
	p := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))].Round(time.Microsecond)
	}
	fmt.Fprintf(out, "apply + rescore: %d contacts (%d changed) in %s, %.0f contacts/s; %d events streamed meanwhile at %d/s: latency p50 %s, p99 %s\n",
		done.Done, done.Changed, took.Round(time.Millisecond), float64(done.Done)/took.Seconds(), len(lat), rate, p(0.5), p(0.99))
	return nil
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func auc(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *v)
}

// cloneEvents copies events shallowly: a replay changes the ones it
// applies (contact ids, emails).
func cloneEvents(in []*model.Event) []*model.Event {
	out := make([]*model.Event, len(in))
	for i, ev := range in {
		c := *ev
		out[i] = &c
	}
	return out
}
