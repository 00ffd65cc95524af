package lab

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// replayInput is one replay of a window through the live model and,
// optionally, a draft, judged against an outcome.
type replayInput struct {
	Live, Draft *engine.Model // Draft nil: the live model only (suggest)
	Outcome     *Outcome
	From, To    time.Time
	// Features collects each judged contact's features (suggest).
	Features bool
	// Progress is called now and then with the fraction of events read.
	Progress func(float64)
}

// judging is one contact's state in a replay.
type judging struct {
	id        string
	decided   bool // judged: converted, or the window ended
	converted bool
	live      scoreAt
	draft     scoreAt
	attrs     map[string]any      // at the judged moment (features only)
	features  map[string]struct{} // of the events before the judged moment
}

type scoreAt struct {
	score int64
	grade string
}

// replayOutput is what a replay judged, contacts by id.
type replayOutput struct {
	Events  int64 // events replayed in [From, To)
	Judged  []*judging
	Live    model.Settings
	Draft   model.Settings
	Webhook int // webhooks the replays would have queued (never sent)
}

// progressEvery is how many events pass between progress reports and
// cancellation checks.
const progressEvery = 4096

// replay streams the stored events of [From, To+horizon) through sandboxes
// of the live model and the draft, in time order. A contact's judged score
// is the one it had just before it converted: for an event outcome, before
// that event is applied; for a where outcome, before the event after which
// the live replay first matches the filter. A contact that did not convert
// by To is judged at To, and counts as converted when it converts within
// the horizon after To (the events after To serve only that). Contacts are
// those with an event in [From, To). Only per-contact judgements are kept
// beside the sandboxes: the events themselves stream through.
func replay(ctx context.Context, st store.Store, in replayInput) (*replayOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opt := engine.SandboxOptions{ReadEvents: in.Outcome.Where.BehaviourEvents(), ReadScoreChange: engine.ReadsScoreChange(in.Outcome.Where)}
	live, err := engine.NewSandbox(*in.Live, opt)
	if err != nil {
		return nil, fmt.Errorf("live model: %w", err)
	}
	var draft *engine.Sandbox
	if in.Draft != nil {
		if draft, err = engine.NewSandbox(*in.Draft, opt); err != nil {
			return nil, fmt.Errorf("draft model: %w", err)
		}
	}
	end := in.To.Add(in.Outcome.Horizon)
	total, err := st.CountEventsBetween(ctx, in.From, end)
	if err != nil {
		return nil, err
	}
	r := &replayer{in: in, live: live, draft: draft, contacts: map[string]*judging{}}
	var read int64
	err = scanAheadOf(ctx, st, in.From, end, func(ev *model.Event) error {
		read++
		if read%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if in.Progress != nil && total > 0 {
				in.Progress(float64(read) / float64(total))
			}
		}
		return r.event(ev)
	})
	if err != nil {
		return nil, err
	}
	if err := r.closeWindow(); err != nil {
		return nil, err
	}
	out := &replayOutput{Events: r.events, Live: live.Settings(), Webhook: live.Webhooks()}
	if draft != nil {
		out.Draft = draft.Settings()
		out.Webhook += draft.Webhooks()
	}
	for _, j := range r.contacts {
		out.Judged = append(out.Judged, j)
	}
	sort.Slice(out.Judged, func(a, b int) bool { return out.Judged[a].id < out.Judged[b].id })
	return out, nil
}

// scanBatch and scanDepth bound the events read ahead of the replay.
const (
	scanBatch = 256
	scanDepth = 8
)

// scanAheadOf streams the stored events of [from, to) to fn, reading and
// decoding them on another goroutine, a few batches ahead, so the store's
// work and the replay's overlap (two cores, not one) while memory stays at
// scanDepth batches. An error from fn stops the scan and is returned.
func scanAheadOf(ctx context.Context, st store.Store, from, to time.Time, fn func(*model.Event) error) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan []*model.Event, scanDepth)
	var scanErr error
	go func() {
		defer close(batches)
		batch := make([]*model.Event, 0, scanBatch)
		send := func() error {
			select {
			case batches <- batch:
				batch = make([]*model.Event, 0, scanBatch)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		scanErr = st.ScanEvents(ctx, from, to, func(ev *model.Event) error {
			if batch = append(batch, ev); len(batch) == scanBatch {
				return send()
			}
			return nil
		})
		if scanErr == nil && len(batch) > 0 {
			scanErr = send()
		}
	}()
	for batch := range batches {
		for _, ev := range batch {
			if err := fn(ev); err != nil {
				stop()
				for range batches { // let the reader end
				}
				return err
			}
		}
	}
	return scanErr
}

type replayer struct {
	in          replayInput
	live, draft *engine.Sandbox
	contacts    map[string]*judging
	closed      bool // the window's end passed: later events only convert
	events      int64
}

func (r *replayer) event(ev *model.Event) error {
	if !ev.Timestamp.Before(r.in.To) {
		if err := r.closeWindow(); err != nil {
			return err
		}
		return r.afterWindow(ev)
	}
	r.events++
	if err := r.live.Advance(ev.Timestamp); err != nil {
		return err
	}
	if r.draft != nil {
		if err := r.draft.Advance(ev.Timestamp); err != nil {
			return err
		}
	}
	id := ev.ContactID
	j := r.contacts[id]
	if j == nil {
		j = &judging{id: id}
		if r.in.Features {
			j.features = map[string]struct{}{}
		}
		r.contacts[id] = j
	}
	open := !j.decided
	var before judging
	if open {
		r.snapshot(&before, id)
		if r.in.Outcome.Event != "" && ev.Type == r.in.Outcome.Event {
			r.decide(j, &before, true)
			open = false
		}
	}
	if err := r.live.ApplyOnly(ev); err != nil {
		return err
	}
	if r.draft != nil {
		if err := r.draft.ApplyOnly(ev); err != nil {
			return err
		}
	}
	if !open {
		return nil
	}
	if r.in.Outcome.Where != nil {
		ok, err := r.live.Match(r.in.Outcome.Where, id)
		if err != nil {
			return fmt.Errorf("outcome for %s: %w", id, err)
		}
		if ok {
			r.decide(j, &before, true)
			return nil
		}
	}
	if r.in.Features {
		for _, f := range FeaturesOf(nil, []*model.Event{ev}) {
			j.features[f] = struct{}{}
		}
	}
	return nil
}

// snapshot records a contact's scores (and, for features, attributes) in
// both replays as they are now.
func (r *replayer) snapshot(into *judging, id string) {
	into.live = scoreOf(r.live, id)
	if r.draft != nil {
		into.draft = scoreOf(r.draft, id)
	}
	if r.in.Features {
		if c := r.live.Contact(id); c != nil {
			into.attrs = maps.Clone(c.Attributes)
		}
	}
}

func scoreOf(s *engine.Sandbox, id string) scoreAt {
	if c := s.Contact(id); c != nil {
		return scoreAt{score: c.Score, grade: c.Grade}
	}
	st := s.Settings()
	return scoreAt{grade: st.GradeFor(0)}
}

func (r *replayer) decide(j, at *judging, converted bool) {
	j.decided, j.converted = true, converted
	j.live, j.draft, j.attrs = at.live, at.draft, at.attrs
}

// closeWindow judges, at To, every contact that has not converted.
func (r *replayer) closeWindow() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if err := r.live.Advance(r.in.To); err != nil {
		return err
	}
	if r.draft != nil {
		if err := r.draft.Advance(r.in.To); err != nil {
			return err
		}
	}
	for id, j := range r.contacts {
		if j.decided {
			continue
		}
		var at judging
		r.snapshot(&at, id)
		r.decide(j, &at, false)
	}
	return nil
}

// afterWindow looks at an event within the horizon after To: it converts a
// contact judged at To. A where outcome keeps replaying the live model.
func (r *replayer) afterWindow(ev *model.Event) error {
	j := r.contacts[ev.ContactID]
	if j == nil || j.converted {
		return nil
	}
	if r.in.Outcome.Event != "" {
		j.converted = ev.Type == r.in.Outcome.Event
		return nil
	}
	if err := r.live.Apply(ev); err != nil {
		return err
	}
	ok, err := r.live.Match(r.in.Outcome.Where, ev.ContactID)
	if err != nil {
		return fmt.Errorf("outcome for %s: %w", ev.ContactID, err)
	}
	j.converted = ok
	return nil
}

// judged turns a replay's judgements into the evaluation's input.
func judged(list []*judging, draft bool) []Judged {
	out := make([]Judged, len(list))
	for i, j := range list {
		s := j.live
		if draft {
			s = j.draft
		}
		out[i] = Judged{Contact: j.id, Score: s.score, Grade: s.grade, Converted: j.converted}
	}
	return out
}
