package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Run states (CONTRACT §8).
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// keptRuns is how many finished runs stay listed; older ones are dropped.
const keptRuns = 50

// histogramBuckets is how many score buckets an evaluation draws.
const histogramBuckets = 20

// moversLimit caps a result's movers (CONTRACT §8).
const moversLimit = 100

// Result is a finished run's answer (CONTRACT §8, plus "changed": how many
// contacts the draft scores or grades differently, for Apply's confirmation).
type Result struct {
	Contacts int     `json:"contacts"`
	Events   int64   `json:"events"`
	Live     Eval    `json:"live"`
	Draft    Eval    `json:"draft"`
	Movers   []Mover `json:"movers"`
	Changed  int     `json:"changed"`
}

// RunView is a run as GET /api/v1/lab/runs/{id} shows it.
type RunView struct {
	ID       string    `json:"id"`
	State    string    `json:"state"`
	Progress float64   `json:"progress"`
	Error    *string   `json:"error"`
	Result   *Result   `json:"result"`
	Created  time.Time `json:"created_at"`
}

// RunRequest is POST /api/v1/lab/runs: a draft model, an outcome, a window.
type RunRequest struct {
	Model   json.RawMessage `json:"model"`
	Outcome json.RawMessage `json:"outcome"`
	From    *time.Time      `json:"from"`
	To      *time.Time      `json:"to"`
}

type run struct {
	id       string
	state    string
	progress float64
	err      string
	result   *Result
	created  time.Time
	cancel   context.CancelFunc
	job      string // the apply job, once applied

	live, draft engine.Model
	resolved    *Resolved
	outcome     *Outcome
	from, to    time.Time
}

// Rescorer is what an apply needs of the engine.
type Rescorer interface {
	Reload()
	Rescore(ctx context.Context, job store.LabJob, onChunk func(store.LabJob)) (store.LabJob, error)
}

// Manager runs lab replays one at a time (others wait in a queue) and
// applies drafts. Runs live in memory only: a run lost on restart is run
// again by asking again. Apply jobs live in the store and resume after a
// restart (Resume).
type Manager struct {
	st    store.Store
	eng   Rescorer
	log   *slog.Logger
	now   func() time.Time
	newID func() string

	mu    sync.Mutex
	runs  map[string]*run
	order []string // oldest first
	queue chan *run
	// replaying is held by whatever replays (a run, a suggest): one at a
	// time, so two big replays never share the machine's memory.
	replaying sync.Mutex
	jobs      sync.WaitGroup
	jobsMu    sync.Mutex
	active    map[string]bool // apply jobs running in this process
	stop      context.CancelFunc
	ctx       context.Context
}

// NewManager starts the run worker; Close stops it.
func NewManager(st store.Store, eng Rescorer, log *slog.Logger, now func() time.Time, newID func() string) *Manager {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	if newID == nil {
		newID = uuid.NewString
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{st: st, eng: eng, log: log, now: now, newID: newID, runs: map[string]*run{},
		queue: make(chan *run, keptRuns), stop: cancel, ctx: ctx, active: map[string]bool{}}
	go m.worker()
	return m
}

// Close stops the worker and waits for apply jobs to stop at a chunk's end.
func (m *Manager) Close() {
	m.stop()
	m.jobs.Wait()
}

// Start validates a request and queues its run.
func (m *Manager) Start(ctx context.Context, req RunRequest) (string, error) {
	live, err := Live(ctx, m.st)
	if err != nil {
		return "", err
	}
	res, err := ParseDraft(req.Model, live, "model")
	if err != nil {
		return "", err
	}
	out, err := ParseOutcome(req.Outcome, "outcome")
	if err != nil {
		return "", err
	}
	from, to, err := window(req.From, req.To, m.now())
	if err != nil {
		return "", err
	}
	r := &run{id: m.newID(), state: StateQueued, created: m.now().UTC(), live: live, draft: res.Apply(live),
		resolved: res, outcome: out, from: from, to: to}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queue) == cap(m.queue) {
		return "", model.Invalid("lab_busy", fmt.Sprintf("%d lab runs are waiting already; try again when one is done", cap(m.queue)))
	}
	m.runs[r.id] = r
	m.order = append(m.order, r.id)
	m.trim()
	m.queue <- r
	return r.id, nil
}

// window checks from < to; a missing to is now, a missing from the epoch.
func window(from, to *time.Time, now time.Time) (time.Time, time.Time, error) {
	f, t := time.Unix(0, 0).UTC(), now.UTC()
	if from != nil {
		f = from.UTC()
	}
	if to != nil {
		t = to.UTC()
	}
	if !f.Before(t) {
		return f, t, model.Invalid("invalid_window", "from must be before to", model.FieldError{Path: "to", Message: "must be after from"})
	}
	return f, t, nil
}

// trim drops the oldest finished runs past keptRuns. Callers hold mu.
func (m *Manager) trim() {
	for len(m.order) > keptRuns {
		dropped := false
		for i, id := range m.order {
			if s := m.runs[id].state; s != StateQueued && s != StateRunning {
				delete(m.runs, id)
				m.order = append(m.order[:i:i], m.order[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			return
		}
	}
}

// Get shows one run.
func (m *Manager) Get(id string) (RunView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok {
		return RunView{}, model.NotFound("lab run", id)
	}
	return r.view(), nil
}

// List shows every kept run, newest first, without results.
func (m *Manager) List() []RunView {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]RunView, 0, len(m.order))
	for i := len(m.order) - 1; i >= 0; i-- {
		v := m.runs[m.order[i]].view()
		v.Result = nil
		out = append(out, v)
	}
	return out
}

func (r *run) view() RunView {
	v := RunView{ID: r.id, State: r.state, Progress: r.progress, Result: r.result, Created: r.created}
	if r.err != "" {
		e := r.err
		v.Error = &e
	}
	return v
}

// Cancel stops a queued or running run; a finished one stays as it is.
func (m *Manager) Cancel(id string) (RunView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok {
		return RunView{}, model.NotFound("lab run", id)
	}
	switch r.state {
	case StateQueued:
		r.state = StateCancelled
	case StateRunning:
		if r.cancel != nil {
			r.cancel()
		}
	}
	return r.view(), nil
}

func (m *Manager) worker() {
	for {
		select {
		case <-m.ctx.Done():
			return
		case r := <-m.queue:
			m.execute(r)
		}
	}
}

func (m *Manager) execute(r *run) {
	ctx, cancel := context.WithCancel(m.ctx)
	defer cancel()
	m.mu.Lock()
	if r.state != StateQueued {
		m.mu.Unlock()
		return
	}
	r.state, r.cancel = StateRunning, cancel
	m.mu.Unlock()
	m.replaying.Lock()
	res, err := m.evaluate(ctx, r)
	m.replaying.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	r.cancel = nil
	switch {
	case errors.Is(err, context.Canceled):
		r.state = StateCancelled
	case err != nil:
		r.state, r.err = StateFailed, err.Error()
		m.log.Warn("lab run failed", "run", r.id, "err", err)
	default:
		r.state, r.progress, r.result = StateDone, 1, res
	}
	// The models are no longer needed once judged; the resolved draft
	// stays for Apply.
	r.live, r.draft = engine.Model{}, engine.Model{}
}

func (m *Manager) evaluate(ctx context.Context, r *run) (*Result, error) {
	out, err := replay(ctx, m.st, replayInput{Live: &r.live, Draft: &r.draft, Outcome: r.outcome, From: r.from, To: r.to,
		Progress: func(p float64) {
			m.mu.Lock()
			r.progress = min(p, 0.99)
			m.mu.Unlock()
		}})
	if err != nil {
		return nil, err
	}
	live, draft := judged(out.Judged, false), judged(out.Judged, true)
	changed := 0
	for i := range live {
		if live[i].Score != draft[i].Score || live[i].Grade != draft[i].Grade {
			changed++
		}
	}
	movers := Movers(live, draft, moversLimit)
	if movers == nil {
		movers = []Mover{}
	}
	return &Result{Contacts: len(out.Judged), Events: out.Events,
		Live: Evaluate(live, out.Live.Grades, histogramBuckets), Draft: Evaluate(draft, out.Draft.Grades, histogramBuckets),
		Movers: movers, Changed: changed}, nil
}
