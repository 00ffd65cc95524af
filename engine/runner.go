package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// maxStepsPerRun bounds one run: a DAG is finite, but diamonds multiply
// paths, and a run must never hold a batch for long.
const maxStepsPerRun = 10000

// errCascade marks a run refused because the internal-event chain that
// would start it is deeper than the cap.
var errCascade = errors.New("cascade depth cap exceeded")

// apply applies one ingested event: resolve the contact, merge traits,
// record the event, then run every flow it triggers and every flow the
// resulting internal events trigger, breadth first.
func (u *unit) apply(ev *model.Event) error {
	if u.seen[ev.ID] {
		u.result.duplicates++
		return nil
	}
	u.seen[ev.ID] = true
	if ev.Type == model.EventMergeOut || ev.Type == model.EventMergeIn {
		return u.applyMergeStep(ev) // a merge across partitions (merge_cross.go)
	}
	// Emails resolve contacts case-insensitively, in the batch and in the
	// store alike: they are kept lower-cased.
	ev.Email = strings.ToLower(strings.TrimSpace(ev.Email))
	cs, err := u.contact(ev)
	if fw := (*forwardTo)(nil); errors.As(err, &fw) {
		u.forward(ev, fw.contact)
		return nil
	}
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	if err := u.mergeNamed(cs, ev); err != nil {
		return fmt.Errorf("event %s: merge: %w", ev.ID, err)
	}
	c := cs.c
	ev.ContactID = c.ID
	if ev.Email != "" && c.Email != ev.Email {
		c.Email = ev.Email
		u.noteEmail(cs)
		cs.touched = true
		cs.mark(segments.ChangeEmail)
	}
	if ev.Type != model.EventIdentify && ev.Type != model.EventMerged && (c.LastActivityAt == nil || ev.Timestamp.After(*c.LastActivityAt)) {
		t := ev.Timestamp.UTC().Truncate(time.Millisecond)
		c.LastActivityAt = &t
		cs.touched = true
		cs.mark(segments.ChangeActivity)
	}
	if err := u.tx.InsertEvent(ev, c.ID, u.now); err != nil {
		return err
	}
	u.applied++
	cs.mark(segments.EventChange(ev.Type))
	queue := []*model.Event{ev}
	for _, name := range sortedKeys(ev.Traits) {
		if changed := setAttribute(cs, name, ev.Traits[name]); changed != nil {
			queue = append(queue, u.internalEvent(ev, model.InternalFieldChanged, changed))
		}
	}
	if err := u.joinAccount(cs, ev); err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	if err := u.cascade(cs, ev, queue); err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	u.result.applied = append(u.result.applied, ev.ID)
	return nil
}

// cascade works through a queue of events for one contact, breadth first:
// before each event's flows run, segment membership catches up with every
// change so far (so flows see fresh membership), and each membership change
// queues a segment_entered/exited event caused by the event that led to it.
func (u *unit) cascade(cs *contactState, root *model.Event, queue []*model.Event) error {
	cause := root
	for i := 0; ; i++ {
		if err := u.reevaluate(cs, cause, &queue); err != nil {
			return err
		}
		if i >= len(queue) {
			return nil
		}
		cause = queue[i]
		if err := u.dispatch(queue[i], cs, &queue); err != nil {
			return err
		}
	}
}

// dispatch starts a run of every flow with a trigger matching ev. Only the
// triggers indexed under the event's type are looked at.
func (u *unit) dispatch(ev *model.Event, cs *contactState, queue *[]*model.Event) error {
	refs := u.flows.triggersFor(ev)
	lastFlow := ""
	for _, ref := range refs {
		if ref.flow.Flow.ID == lastFlow || !ref.trig.Match(ev) {
			continue
		}
		// One run per flow per event, at the first matching trigger.
		lastFlow = ref.flow.Flow.ID
		if ev.Depth > u.eng.maxDepth {
			u.ended = append(u.ended, runEnd{flow: ref.flow.Flow.ID, outcome: "failed"})
			u.failRun(ref.flow, ref.nodeID, cs, ev, fmt.Errorf("%w: %s %s is %d internal events deep, the cap is %d (flows triggering each other in a loop?)",
				errCascade, ev.Type, describe(ev), ev.Depth, u.eng.maxDepth))
			continue
		}
		enter, err := u.mayEnter(ref.flow, cs, ev)
		if err != nil {
			return err
		}
		if !enter {
			continue
		}
		if err := u.run(ref.flow, ref.nodeID, cs, ev, queue); err != nil {
			return err
		}
	}
	return nil
}

func describe(ev *model.Event) string {
	for _, k := range []string{"tag", "field", "segment"} {
		if v, ok := ev.Properties[k]; ok {
			return fmt.Sprintf("%v", v)
		}
	}
	return ""
}

// mayEnter applies the entry rules: disqualification, audience, entry mode.
// once/limited are counted in the store, so they hold across restarts.
func (u *unit) mayEnter(f *flows.Compiled, cs *contactState, ev *model.Event) (bool, error) {
	if cs.c.Disqualified != nil && !f.Flow.IncludeDisqualified {
		return false, nil
	}
	if f.Audience != nil {
		ok, err := f.Audience.Match(contactSubject{u: u, c: cs.c}, u.now)
		if err != nil {
			return false, fmt.Errorf("flow %s audience: %w", f.Flow.ID, err)
		}
		if !ok {
			return false, nil
		}
	}
	switch f.Flow.Entry.Mode {
	case flows.EntryOnce, flows.EntryLimited:
		var since time.Time
		limit := 1
		if f.Flow.Entry.Mode == flows.EntryLimited {
			since, limit = ev.Timestamp.Add(-f.Window), f.Flow.Entry.Max
		}
		var n int
		if cs.fresh {
			n = cs.entriesSince(f.Flow.ID, since)
		} else {
			var err error
			if n, err = u.tx.CountEntries(f.Flow.ID, cs.c.ID, since); err != nil {
				return false, err
			}
		}
		if n >= limit {
			return false, nil
		}
		if err := u.tx.RecordEntry(f.Flow.ID, cs.c.ID, ev.Timestamp); err != nil {
			return false, err
		}
		if cs.fresh {
			cs.entries = append(cs.entries, entryMark{flow: f.Flow.ID, at: ev.Timestamp})
		}
	}
	return true, nil
}

// run starts a run at a trigger and walks the flow from its successors.
func (u *unit) run(f *flows.Compiled, triggerID string, cs *contactState, ev *model.Event, queue *[]*model.Event) error {
	u.result.runs++
	ts := u.stat(f.Flow.ID, triggerID)
	ts.Entered++
	ts.Completed++
	failedBefore := u.result.failedRuns
	if err := u.walk(f, pushNext(nil, f.Next[triggerID], ""), cs, ev, queue); err != nil {
		return err
	}
	outcome := "completed"
	if u.result.failedRuns > failedBefore {
		outcome = "failed"
	}
	u.ended = append(u.ended, runEnd{flow: f.Flow.ID, outcome: outcome})
	return nil
}

// walk runs steps depth first in edge order, starting from the nodes on
// stack (last pops first). It is separate from run so a run parked at a
// node (a durable delay) can resume from that node's successors. A step
// error fails the run (recorded, counted) but not the batch: storage errors
// are the only ones that abort the batch.
func (u *unit) walk(f *flows.Compiled, stack []string, cs *contactState, ev *model.Event, queue *[]*model.Event) error {
	eff := &effects{u: u, cs: cs, flow: f, event: ev, queue: queue}
	r := &flows.Run{FlowID: f.Flow.ID, FlowVersion: f.Flow.Version, Event: ev, Contact: contactSubject{u: u, c: cs.c}, Effects: eff, Now: u.now}
	for steps := 0; len(stack) > 0; steps++ {
		if steps >= maxStepsPerRun {
			u.failRun(f, "", cs, ev, fmt.Errorf("run took more than %d steps", maxStepsPerRun))
			return nil
		}
		node := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		step := f.Steps[node]
		ns := u.stat(f.Flow.ID, node)
		ns.Entered++
		eff.node, r.NodeID = node, node
		out, err := step.Run(r)
		if err == nil && out.Wait > 0 {
			// A delay parks this path of the run; other branches go on.
			if err := u.park(f, node, cs, ev, out.Wait); err != nil {
				return err
			}
			ns.Completed++
			continue
		}
		if err != nil {
			var storeErr *storeFailure
			if errors.As(err, &storeErr) {
				return storeErr.err
			}
			ns.Failed++
			u.failRun(f, node, cs, ev, err)
			return nil
		}
		ns.Completed++
		stack = pushNext(stack, f.Next[node], out.Branch)
	}
	return nil
}

// pushNext pushes the edges taken for a branch, last first, so they pop in
// document order.
func pushNext(stack []string, edges []flows.Edge, branch string) []string {
	for i := len(edges) - 1; i >= 0; i-- {
		if edges[i].Branch == branch {
			stack = append(stack, edges[i].To)
		}
	}
	return stack
}

func (u *unit) failRun(f *flows.Compiled, node string, cs *contactState, ev *model.Event, cause error) {
	u.result.failedRuns++
	u.failures = append(u.failures, store.RunFailure{
		FlowID: f.Flow.ID, FlowVersion: f.Flow.Version, ContactID: cs.c.ID, EventID: ev.ID,
		NodeID: node, Reason: cause.Error(), At: u.now,
	})
	u.eng.log.Warn("flow run failed", "flow", f.Flow.ID, "version", f.Flow.Version, "node", node, "contact", cs.c.ID, "event", ev.ID, "err", cause)
}

// storeFailure wraps an error from storage inside an effect: it must abort
// the batch (and roll back), not just fail one run.
type storeFailure struct{ err error }

func (s *storeFailure) Error() string { return s.err.Error() }
func (s *storeFailure) Unwrap() error { return s.err }
