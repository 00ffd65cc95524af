package lab

import (
	"time"

	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
)

// draftReplay runs a lab run's draft on its own goroutine, a batch behind
// the live replay: the two sandboxes share nothing, so the replays use two
// cores where they took turns on one. The live replay decides when each
// contact is judged (for a where outcome, only it can: the outcome is
// matched against the live model); it hands the draft, with each event, a
// flag that says to record the contact's draft score just before the event,
// and at the window's end the contacts still open. Memory stays bounded:
// at most scanDepth batches wait.
type draftReplay struct {
	sb      *engine.Sandbox
	to      time.Time
	batch   []draftStep
	batches chan []draftStep
	done    chan error
	// judged is each contact's draft score at its judged moment; read only
	// after wait.
	judged map[string]scoreAt
}

// draftStep is one event for the draft: a copy taken before the live
// replay applied it, or (closing) the window's end.
type draftStep struct {
	ev      model.Event
	judging bool     // record the contact's score before applying ev
	closing bool     // the window ended: advance to To, judge open
	open    []string // closing: the contacts not judged before To
}

// draftStepRef lets the live replay complete the step it just queued.
type draftStepRef struct{ s *draftStep }

// judge marks the step's event as the one its contact is judged before.
func (r draftStepRef) judge() {
	if r.s != nil {
		r.s.judging = true
	}
}

func startDraft(sb *engine.Sandbox, to time.Time) *draftReplay {
	d := &draftReplay{sb: sb, to: to, batches: make(chan []draftStep, scanDepth), done: make(chan error, 1),
		judged: map[string]scoreAt{}, batch: make([]draftStep, 0, scanBatch)}
	go d.run()
	return d
}

// step queues an event for the draft (nothing on a nil draftReplay) and
// returns the queued step, which stays writable until the next step: the
// batch is sent only when a further step finds it full.
func (d *draftReplay) step(ev *model.Event) draftStepRef {
	if d == nil {
		return draftStepRef{}
	}
	if len(d.batch) == cap(d.batch) {
		d.flush()
	}
	d.batch = append(d.batch, draftStep{ev: *ev})
	return draftStepRef{&d.batch[len(d.batch)-1]}
}

// close queues the window's end, with the contacts still open then.
func (d *draftReplay) close(open []string) {
	if d == nil {
		return
	}
	if len(d.batch) == cap(d.batch) {
		d.flush()
	}
	d.batch = append(d.batch, draftStep{closing: true, open: open})
}

func (d *draftReplay) flush() {
	if len(d.batch) > 0 {
		d.batches <- d.batch
		d.batch = make([]draftStep, 0, scanBatch)
	}
}

// wait sends what is queued, ends the draft's goroutine and returns its
// first error.
func (d *draftReplay) wait() error {
	d.flush()
	close(d.batches)
	return <-d.done
}

// run applies the steps in order, as the live replay does: advance the
// clock, judge if asked, apply. After an error it only drains, so the live
// side never blocks.
func (d *draftReplay) run() {
	var err error
	for batch := range d.batches {
		for i := range batch {
			if err == nil {
				err = d.apply(&batch[i])
			}
		}
	}
	d.done <- err
}

func (d *draftReplay) apply(s *draftStep) error {
	if s.closing {
		if err := d.sb.Advance(d.to); err != nil {
			return err
		}
		for _, id := range s.open {
			d.judged[id] = scoreOf(d.sb, id)
		}
		return nil
	}
	ev := &s.ev
	if err := d.sb.Advance(ev.Timestamp); err != nil {
		return err
	}
	if s.judging {
		d.judged[ev.ContactID] = scoreOf(d.sb, ev.ContactID)
	}
	return d.sb.ApplyOnly(ev)
}
