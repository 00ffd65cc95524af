package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// chunk is how many contacts or runs one transaction of a scheduled pass
// takes, so event batches interleave with long passes.
const chunk = 500

// parkedEvent is the cause of a parked run, with the fields JSON omits.
type parkedEvent struct {
	Event    *model.Event `json:"event"`
	Internal bool         `json:"internal,omitempty"`
	Depth    int          `json:"depth,omitempty"`
}

// park stores a run paused at a delay node, to resume after wait.
func (u *unit) park(f *flows.Compiled, node string, cs *contactState, ev *model.Event, wait time.Duration) error {
	data, err := json.Marshal(parkedEvent{Event: ev, Internal: ev.Internal, Depth: ev.Depth})
	if err != nil {
		return fmt.Errorf("park run: encode event: %w", err)
	}
	u.result.parked++
	return u.tx.ParkRun(store.WaitingRun{
		FlowID: f.Flow.ID, FlowVersion: f.Flow.Version, ContactID: cs.c.ID, NodeID: node,
		Event: data, WakeAt: u.now.Add(wait), CreatedAt: u.now,
	})
}

// existing returns a contact the unit may change, or nil when it does not
// exist; unlike contact, it never creates one.
func (u *unit) existing(id string) (*contactState, error) {
	if cs, ok := u.contacts[id]; ok {
		return cs, nil
	}
	rec, shared, err := u.load(id)
	if err != nil || rec == nil {
		return nil, err
	}
	cs := newState(rec, shared)
	u.snapshotAccount(cs)
	u.track(cs)
	return cs, nil
}

// syntheticEvent is the cause recorded for changes that time made: ledger
// rows and webhooks name it as their event.
func (u *unit) syntheticEvent(kind, contactID, detail string) *model.Event {
	return &model.Event{
		ID: fmt.Sprintf("%s/%s/%s/%d", kind, detail, contactID, u.now.UnixMilli()), Type: kind,
		ContactID: contactID, Timestamp: u.now, Internal: true,
	}
}

// inChunks runs a pass: it asks for up to chunk due items, applies those
// of the contacts this engine owns (contact names an item's contact) in one
// unit of work on the apply loop, and repeats until fewer than a chunk were
// due. Each replica passes over its own partitions; a chunk with none of
// them ends the pass (their owners take the rest). It returns how many
// items it applied.
func inChunks[T any](ctx context.Context, e *Engine, due func() ([]T, error), contact func(T) string, apply func(u *unit, item T) error) (int, error) {
	total := 0
	for {
		all, err := due()
		if err != nil || len(all) == 0 {
			return total, err
		}
		items := ownedOnly(e, all, contact)
		if len(items) == 0 {
			return total, nil
		}
		if err := e.do(ctx, func(u *unit) error {
			for _, it := range items {
				if err := apply(u, it); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return total, err
		}
		total += len(items)
		if len(all) < chunk {
			return total, nil
		}
	}
}

// contactID names the contact of a pass over contact ids.
func contactID(id string) string { return id }

// ResumeDueRuns resumes parked runs whose time has come, each exactly once:
// taking the row and running the rest of the flow share a transaction.
// Runs resume on the flow version they started on; a run whose flow was
// deleted or disabled meanwhile ends, recorded as failed.
func (e *Engine) ResumeDueRuns(ctx context.Context) (int, error) {
	return inChunks(ctx, e, func() ([]store.WaitingRun, error) { return e.store.DueRuns(ctx, e.now(), chunk) },
		func(r store.WaitingRun) string { return r.ContactID }, (*unit).resume)
}

func (u *unit) resume(r store.WaitingRun) error {
	taken, err := u.tx.TakeRun(r.ID)
	if err != nil || !taken {
		return err
	}
	cs, err := u.existing(r.ContactID)
	if err != nil || cs == nil {
		return err
	}
	var pe parkedEvent
	if err := json.Unmarshal(r.Event, &pe); err != nil || pe.Event == nil {
		return fmt.Errorf("parked run %d: decode event: %v", r.ID, err)
	}
	ev := pe.Event
	ev.Internal, ev.Depth = pe.Internal, pe.Depth
	f, err := u.eng.flowVersion(r.FlowID, r.FlowVersion)
	if err != nil {
		return err
	}
	if _, enabled := u.flows.flows[r.FlowID]; !enabled || f == nil {
		u.failRun(&flows.Compiled{Flow: &flows.Flow{ID: r.FlowID, Version: r.FlowVersion}}, r.NodeID, cs, ev,
			fmt.Errorf("the flow was deleted or disabled while the run waited"))
		return nil
	}
	if cs.c.Disqualified != nil && !f.Flow.IncludeDisqualified {
		return nil // disqualified while waiting: the run ends quietly, as entry would refuse it
	}
	var queue []*model.Event
	if err := u.walk(f, pushNext(nil, f.Next[r.NodeID], ""), cs, ev, &queue); err != nil {
		return err
	}
	return u.cascadeQueue(cs, ev, queue)
}

// cascadeQueue processes internal events raised outside an event's own
// cascade (a resumed run, a time pass, decay).
func (u *unit) cascadeQueue(cs *contactState, cause *model.Event, queue []*model.Event) error {
	if len(queue) == 0 {
		return u.reevaluate(cs, cause, &queue)
	}
	return u.cascade(cs, cause, queue)
}

// flowVersion returns a compiled flow version, from cache or the store.
func (e *Engine) flowVersion(id string, version int) (*flows.Compiled, error) {
	key := fmt.Sprintf("%s@%d", id, version)
	if c, ok := e.versions.Get(key); ok {
		return c, nil
	}
	rec, err := e.store.GetFlowVersion(context.Background(), id, version)
	if err != nil {
		return nil, err
	}
	c, err := compileRecord(rec)
	if err != nil {
		return nil, err
	}
	e.versions.Add(key, c)
	return c, nil
}

// RunTimePass re-evaluates the time-based segments of every contact whose
// next change moment has come, and returns how many it visited.
func (e *Engine) RunTimePass(ctx context.Context) (int, error) {
	return inChunks(ctx, e, func() ([]string, error) { return e.store.DueContacts(ctx, e.now(), chunk) }, contactID,
		func(u *unit, id string) error {
			cs, err := u.existing(id)
			if err != nil || cs == nil {
				return err
			}
			return u.timePass(cs)
		})
}

// evaluateTimed evaluates every time-based segment for one contact and
// schedules its next pass, with the window memo on: it is off again before
// the moves it queued are applied.
func (u *unit) evaluateTimed(cs *contactState, cause *model.Event, queue *[]*model.Event) error {
	if u.windows.start() {
		defer u.windows.end()
	}
	for _, seg := range u.flows.segments.Timed() {
		if err := u.evaluate(cs, seg, cause, queue); err != nil {
			return err
		}
	}
	return u.scheduleTimePass(cs)
}

// timePass evaluates every time-based segment for one contact, then lets
// the changes cascade; it always moves next_eval_at, so a due contact is
// never visited twice for the same moment.
func (u *unit) timePass(cs *contactState) error {
	cs.changes = nil
	cause := u.syntheticEvent("time_pass", cs.c.ID, "segments")
	var queue []*model.Event
	if err := u.evaluateTimed(cs, cause, &queue); err != nil {
		return err
	}
	// The pass also catches up segments on account fields, whose account
	// changed (flushAccounts made its members due).
	cs.mark(segments.ChangeAccount)
	return u.cascadeQueue(cs, cause, queue)
}

// RunDecay applies every dimension's decay to the contacts due for it. A
// contact's dimension decays once per elapsed period (catching up on missed
// periods), the ledger row and the decay mark share a transaction, so a pass
// that runs twice or dies half-way never decays anyone twice.
func (e *Engine) RunDecay(ctx context.Context) (int, error) {
	fs, err := e.currentFlows(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, dim := range fs.settings.Scores {
		if dim.Decay == nil {
			continue
		}
		every := time.Duration(dim.Decay.Every)
		before := e.now().Add(-every)
		n, err := inChunks(ctx, e, func() ([]string, error) { return e.store.DecayDue(ctx, dim.Name, before, chunk) }, contactID,
			func(u *unit, id string) error { return u.decay(id, dim, before) })
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// decay takes percent of a dimension away, rounded up to at least a point
// so small scores reach zero, and writes a ledger row with reason "decay".
// Whether the contact is still due is checked again in this transaction: a
// pass that read the due list before another pass committed must not decay
// the same contact twice.
func (u *unit) decay(id string, dim model.ScoreDimension, before time.Time) error {
	cs, err := u.existing(id)
	if err != nil || cs == nil {
		return err
	}
	c := cs.c
	last, err := u.tx.DecayedAt(id, dim.Name)
	if err != nil {
		return err
	}
	if last.IsZero() {
		last = c.CreatedAt
	}
	if last.After(before) {
		return nil
	}
	old := c.Scores[dim.Name]
	take := int64(math.Ceil(math.Abs(float64(old)) * dim.Decay.Percent / 100))
	if old < 0 {
		take = -take
	}
	next := dim.Clamp(old - take)
	if err := u.tx.MarkDecayed(id, dim.Name, u.now); err != nil {
		return err
	}
	if next == old {
		return nil
	}
	cs.own(partScores)
	c.Scores[dim.Name] = next
	c.Score = saturatingAdd(c.Score, next-old)
	c.Grade = u.settings.GradeFor(c.Score)
	cs.dirty, cs.rec.Scores = true, ""
	cs.mark(segments.ChangeScore)
	if err := u.tx.InsertLedger(&model.LedgerEntry{
		ContactID: id, At: u.now, EventAt: u.now, Score: dim.Name, Delta: next - old, Value: next, Reason: "decay",
	}); err != nil {
		return err
	}
	return u.cascadeQueue(cs, u.syntheticEvent("decay", id, dim.Name), nil)
}

// backfill fills one segment's membership in an engine that applies every
// partition. One SQL pass over all contacts finds who enters and who
// leaves; without fire (and with no segment built on this one) the moves
// are written in bulk, so a million contacts take seconds. With fire, only
// the movers go through the unit, where the flows listening to
// segment_entered/exited run. A filter the store cannot compile to its SQL
// (store.ErrNoSQL) falls back to evaluating every contact in Go.
func (e *Engine) backfill(ctx context.Context, id string, fire bool) (segments.Backfill, error) {
	res, _, err := e.backfillKeep(ctx, id, fire, nil)
	return res, err
}

// backfillParts is a replica's share of a cluster's back-fill: the
// contacts of those of parts it applies. It reports the partitions it
// covered (still owned, under the same epoch, at the end) and whether one
// SQL pass found the movers; the contacts are then counted by the asker.
func (e *Engine) backfillParts(ctx context.Context, id string, fire bool, parts []int) (res segments.Backfill, done []int, sql bool, err error) {
	take, keep := e.ownedOf(parts)
	if len(take) == 0 {
		return segments.Backfill{Fired: fire}, nil, false, nil
	}
	if res, sql, err = e.backfillKeep(ctx, id, fire, keep); err != nil {
		return res, nil, false, err
	}
	return res, e.stillOwned(take), sql, nil
}

// backfillKeep back-fills the contacts keep accepts (nil: all of them,
// with the store's bulk writes over every contact). With a keep, the SQL
// movers are filtered to it and a time-based segment is evaluated in Go,
// contact by contact: the store's boundary pass would write every
// partition's contacts. sql reports that the SQL pass found the movers.
func (e *Engine) backfillKeep(ctx context.Context, id string, fire bool, keep func(string) bool) (segments.Backfill, bool, error) {
	start := time.Now()
	res := segments.Backfill{Fired: fire}
	e.Reload()
	var movers []string
	sqlDone, compiled := false, false
	err := e.do(ctx, func(u *unit) error {
		seg, ok := u.flows.segments.Get(id)
		if !ok {
			return model.NotFound("segment", id)
		}
		if keep != nil && seg.TimeBased {
			return nil
		}
		entered, exited, err := u.tx.SegmentMovers(id, seg.Filter, u.now)
		if errors.Is(err, store.ErrNoSQL) {
			u.eng.log.Info("segment back-fill in Go: the filter has no SQL form", "segment", id, "reason", err)
			return nil
		}
		if err != nil {
			return err
		}
		compiled = true
		if keep != nil {
			entered, exited = kept(entered, keep), kept(exited, keep)
		}
		if seg.TimeBased {
			// Every contact needs this segment's next-change moment: set by
			// the store, or, when the filter has no SQL form, by the next pass.
			err := u.tx.ScheduleBoundaries(seg.Filter, u.now)
			if errors.Is(err, store.ErrNoSQL) {
				err = u.tx.DueAll(u.now)
			}
			if err != nil {
				return err
			}
			u.purge = true
		}
		if fire || u.flows.segments.HasDependents(id) {
			movers = append(append(movers, entered...), exited...)
			return nil
		}
		if err := u.tx.ApplySegmentMoves(id, entered, exited, u.now); err != nil {
			return err
		}
		u.forget = append(append(u.forget, entered...), exited...)
		res.Entered, res.Exited, sqlDone = len(entered), len(exited), true
		return nil
	})
	if err != nil {
		return res, false, err
	}
	if compiled && keep == nil {
		// The SQL pass looked at every contact.
		total, err := e.store.CountContacts(ctx)
		if err != nil {
			return res, false, err
		}
		res.Contacts = int(total)
	}
	if sqlDone {
		res.Millis = time.Since(start).Milliseconds()
		return res, true, nil
	}
	var ids func(after string) ([]string, error)
	switch {
	case compiled:
		ids = pageOf(movers)
	case keep == nil:
		ids = func(after string) ([]string, error) { return e.store.ContactIDsAfter(ctx, after, chunk) }
	default:
		ids = keptPages(ctx, e, keep)
	}
	n, entered, exited, err := e.evaluateEach(ctx, id, fire, ids)
	res.Entered, res.Exited = entered, exited
	if !compiled {
		res.Contacts = n
	}
	res.Millis = time.Since(start).Milliseconds()
	return res, compiled, err
}

// kept is the ids keep accepts.
func kept(ids []string, keep func(string) bool) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if keep(id) {
			out = append(out, id)
		}
	}
	return out
}

// pageOf pages a sorted id list like ContactIDsAfter does.
func pageOf(ids []string) func(after string) ([]string, error) {
	slices.Sort(ids)
	return func(after string) ([]string, error) {
		i, _ := slices.BinarySearch(ids, after)
		if i < len(ids) && ids[i] == after {
			i++
		}
		return ids[i:min(i+chunk, len(ids))], nil
	}
}

// evaluateEach evaluates one segment in Go for the contacts ids pages
// through, chunk by chunk, with cascades (and flows, when fire).
func (e *Engine) evaluateEach(ctx context.Context, id string, fire bool, ids func(after string) ([]string, error)) (n, entered, exited int, err error) {
	after := ""
	for {
		page, err := ids(after)
		if err != nil || len(page) == 0 {
			return n, entered, exited, err
		}
		if err := e.do(ctx, func(u *unit) error {
			seg, ok := u.flows.segments.Get(id)
			if !ok {
				return model.NotFound("segment", id)
			}
			u.quiet = !fire
			for _, cid := range page {
				cs, err := u.existing(cid)
				if err != nil {
					return err
				}
				if cs == nil {
					continue
				}
				var queue []*model.Event
				cause := u.syntheticEvent("backfill", cid, id)
				if err := u.evaluate(cs, seg, cause, &queue); err != nil {
					return err
				}
				if seg.TimeBased {
					if err := u.scheduleTimePass(cs); err != nil {
						return err
					}
				}
				if err := u.cascadeQueue(cs, cause, queue); err != nil {
					return err
				}
			}
			entered += u.result.entered
			exited += u.result.exited
			return nil
		}); err != nil {
			return n, entered, exited, err
		}
		n += len(page)
		after = page[len(page)-1]
	}
}
