package lab

import (
	"context"
	"fmt"
	"slices"
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
	// attrs are the attribute features at the judged moment and features
	// the ids (replayer.featNames) of those of the events before it
	// (features only): interned, as 100k contacts' sets of strings would
	// be most of a suggest's heap.
	attrs    []string
	features []int32
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
	// FeatNames names the ids of judging.features.
	FeatNames []string
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
	defer liftMemoryLimit()()
	r := &replayer{in: in, live: live, contacts: map[string]*judging{}, featIDs: map[featKey]int32{}}
	if draft != nil {
		r.draft = startDraft(draft, in.To)
	}
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
	if err == nil {
		err = r.closeWindow()
	}
	if r.draft != nil {
		if derr := r.draft.wait(); err == nil {
			err = derr
		}
	}
	if err != nil {
		return nil, err
	}
	out := &replayOutput{Events: r.events, Live: live.Settings(), Webhook: live.Webhooks(), FeatNames: r.featNames}
	if draft != nil {
		out.Draft = draft.Settings()
		out.Webhook += draft.Webhooks()
	}
	out.Judged = make([]*judging, 0, len(r.contacts))
	for _, j := range r.contacts {
		if r.draft != nil {
			j.draft = r.draft.judged[j.id]
		}
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
	in       replayInput
	live     *engine.Sandbox
	draft    *draftReplay // nil: the live model only
	contacts map[string]*judging
	closed   bool // the window's end passed: later events only convert
	events   int64
	// featIDs interns the event features (features only).
	featIDs   map[featKey]int32
	featNames []string
}

type featKey struct{ prefix, value string }

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
	id := ev.ContactID
	j := r.contacts[id]
	if j == nil {
		j = &judging{id: id}
		r.contacts[id] = j
	}
	// The draft replays the event as it was before the live replay
	// applied it (which may change its contact id); it is told whether
	// this event judges the contact before the live replay knows for a
	// where outcome, so its step is completed below.
	step := r.draft.step(ev)
	open := !j.decided
	var before judging
	if open {
		// A where outcome may decide after the event: the attributes
		// before it are needed whichever way it goes. An event outcome
		// decides now or not at all.
		isEvent := r.in.Outcome.Event != ""
		if isEvent && ev.Type == r.in.Outcome.Event {
			r.snapshot(&before, id, true)
			r.decide(j, &before, true)
			step.judge()
			open = false
		} else {
			r.snapshot(&before, id, !isEvent)
		}
	}
	if err := r.live.ApplyOnly(ev); err != nil {
		return err
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
			step.judge()
			return nil
		}
	}
	if r.in.Features {
		r.addFeature(j, ev)
	}
	return nil
}

// addFeature adds an event's feature, if any, to a contact's.
func (r *replayer) addFeature(j *judging, ev *model.Event) {
	prefix, value, ok := eventFeature(ev)
	if !ok {
		return
	}
	k := featKey{prefix, value}
	f, ok := r.featIDs[k]
	if !ok {
		f = int32(len(r.featNames))
		r.featIDs[k] = f
		r.featNames = append(r.featNames, prefix+value)
	}
	if !slices.Contains(j.features, f) {
		j.features = append(j.features, f)
	}
}

// snapshot records a contact's live score (and, for features with attrs,
// its attribute features) as they are now. The draft's is the draft
// replay's (draftReplay.step).
func (r *replayer) snapshot(into *judging, id string, attrs bool) {
	into.live = scoreOf(r.live, id)
	if r.in.Features && attrs {
		into.attrs = nil
		if c := r.live.Contact(id); c != nil {
			into.attrs = FeaturesOf(c.Attributes, nil)
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
	j.live, j.attrs = at.live, at.attrs
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
	var open []string
	for id, j := range r.contacts {
		if j.decided {
			continue
		}
		var at judging
		r.snapshot(&at, id, true)
		r.decide(j, &at, false)
		open = append(open, id)
	}
	r.draft.close(open)
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
