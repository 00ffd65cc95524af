package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// Rescore recomputes every contact's scores from its history under the
// live model (the lab's apply, CONTRACT §8), in id order from job.Cursor.
// Each chunk of contacts is one job on the apply loop, so it serializes with
// event batches: an event is applied before or after a contact's rescore,
// never lost or counted twice. A contact's stored events are replayed in a
// sandbox of the live flow set, and each dimension whose replayed value
// differs from the contact's gets its value and one ledger row with reason
// "rescore" and no flow. Membership follows the new scores quietly: no flow
// starts, no webhook is queued for past causes. The job's cursor is saved
// in the chunk's transaction, so a crash mid-rescore resumes after the last
// committed chunk and rescores nobody twice. onChunk sees the job after
// each committed chunk. In a replica that does not apply every partition
// the owners rescore their own contacts (rescoreCluster).
func (e *Engine) Rescore(ctx context.Context, job store.LabJob, onChunk func(store.LabJob)) (store.LabJob, error) {
	e.Reload()
	if !e.ownsAll() {
		return e.rescoreCluster(ctx, job, onChunk)
	}
	for {
		ids, err := e.store.ContactIDsAfter(ctx, job.Cursor, chunk)
		if err != nil {
			return job, fmt.Errorf("rescore: list contacts: %w", err)
		}
		if len(ids) == 0 {
			return job, nil
		}
		next := job
		if err := e.do(ctx, func(u *unit) error {
			changed, err := u.rescore(ctx, ids, job.ID)
			if err != nil {
				return err
			}
			next.Cursor, next.Done, next.Changed, next.Updated = ids[len(ids)-1], job.Done+int64(len(ids)), job.Changed+int64(changed), u.now
			return u.tx.SaveLabJob(next)
		}); err != nil {
			return job, fmt.Errorf("rescore after %q: %w", job.Cursor, err)
		}
		job = next
		if onChunk != nil {
			onChunk(job)
		}
	}
}

// rescoreRequest asks a replica to rescore its partitions' contacts after
// a lab job's cursor.
type rescoreRequest struct {
	Job    string `json:"job"`
	Cursor string `json:"cursor"`
	Parts  []int  `json:"parts"`
}

// rescoreCluster has each partition's owner rescore its contacts after
// job's cursor (fanOut) and sums their counts, reporting the job to
// onChunk as each owner answers. The owners do not save the job's cursor
// per chunk (their chunks interleave in id order): a rescore interrupted
// here starts again from the cursor saved before, which is safe, since a
// contact rescored twice already has its replay's scores the second time
// and changes, and counts as changed, once.
func (e *Engine) rescoreCluster(ctx context.Context, job store.LabJob, onChunk func(store.LabJob)) (store.LabJob, error) {
	start := job
	_, err := e.fanOut(ctx, "rescore", "rescore",
		func(parts []int) any { return rescoreRequest{Job: start.ID, Cursor: start.Cursor, Parts: parts} },
		func(parts []int) (controlReply, error) {
			return e.rescoreParts(ctx, rescoreRequest{Job: start.ID, Cursor: start.Cursor, Parts: parts})
		},
		func(a controlReply) {
			job.Done += a.Rescored
			job.Changed += a.Changed
			job.Updated = e.now()
			if onChunk != nil {
				onChunk(job)
			}
		})
	if err != nil {
		return start, fmt.Errorf("rescore after %q: %w", start.Cursor, err)
	}
	return job, nil
}

// rescoreParts is a replica's share of a cluster's rescore: the contacts
// after the cursor of those of req.Parts it applies, a chunk per job on
// the apply loop.
func (e *Engine) rescoreParts(ctx context.Context, req rescoreRequest) (controlReply, error) {
	var r controlReply
	e.Reload() // the model the asker made live
	take, keep := e.ownedOf(req.Parts)
	if len(take) == 0 {
		return r, nil
	}
	ids := keptPages(ctx, e, keep)
	after := req.Cursor
	for {
		page, err := ids(after)
		if err != nil {
			return r, fmt.Errorf("rescore: list contacts: %w", err)
		}
		if len(page) == 0 {
			break
		}
		changed := 0
		if err := e.do(ctx, func(u *unit) error {
			var err error
			changed, err = u.rescore(ctx, page, req.Job)
			return err
		}); err != nil {
			return r, fmt.Errorf("rescore after %q: %w", after, err)
		}
		r.Rescored += int64(len(page))
		r.Changed += int64(changed)
		after = page[len(page)-1]
	}
	r.Done = e.stillOwned(take)
	return r, nil
}

// rescore replays the stored events of ids (read inside the apply loop, so
// they are exactly the events applied so far) and sets each contact's
// scores to the replay's. It returns how many contacts changed.
func (u *unit) rescore(ctx context.Context, ids []string, jobID string) (int, error) {
	sb := newSandbox(u.flows, u.eng.log, SandboxOptions{MaxCascadeDepth: u.eng.maxDepth})
	replayed := map[string]map[string]int64{}
	current := ""
	finish := func() error {
		if current == "" {
			return nil
		}
		if err := sb.Advance(u.now); err != nil {
			return err
		}
		if c := sb.Contact(current); c != nil {
			replayed[current] = c.Scores
		}
		return nil
	}
	err := u.eng.store.ContactsEvents(ctx, ids, func(ev *model.Event) error {
		if ev.ContactID != current {
			if err := finish(); err != nil {
				return err
			}
			current = ev.ContactID
			sb.Reset()
		}
		return sb.Apply(ev)
	})
	if err == nil {
		err = finish()
	}
	if err != nil {
		return 0, fmt.Errorf("replay: %w", err)
	}
	u.quiet = true
	changed := 0
	for _, id := range ids {
		cs, err := u.existing(id)
		if err != nil {
			return changed, err
		}
		if cs == nil {
			continue // deleted meanwhile
		}
		n, err := u.setScores(cs, replayed[id], jobID)
		if err != nil {
			return changed, err
		}
		if n > 0 {
			changed++
		}
	}
	return changed, nil
}

// setScores gives a contact the scores of its replay: one ledger row per
// changed dimension, then grade and segments follow.
func (u *unit) setScores(cs *contactState, scores map[string]int64, jobID string) (int, error) {
	c := cs.c
	dims := make([]string, 0, len(scores)+len(c.Scores))
	for d := range scores {
		dims = append(dims, d)
	}
	for d := range c.Scores {
		if _, ok := scores[d]; !ok {
			dims = append(dims, d)
		}
	}
	slices.Sort(dims)
	n := 0
	for _, d := range dims {
		old, next := c.Scores[d], scores[d]
		if old == next {
			continue
		}
		n++
		cs.own(partScores)
		c.Scores[d] = next
		c.Score = saturatingAdd(c.Score, next-old)
		if err := u.tx.InsertLedger(&model.LedgerEntry{
			ContactID: c.ID, At: u.now, EventAt: u.now, Score: d, Delta: next - old, Value: next, Reason: "rescore",
		}); err != nil {
			return n, err
		}
	}
	if n == 0 {
		return 0, nil
	}
	c.Grade = u.settings.GradeFor(c.Score)
	cs.dirty, cs.rec.Scores = true, ""
	cs.mark(segments.ChangeScore)
	return n, u.cascadeQueue(cs, u.syntheticEvent("rescore", c.ID, jobID), nil)
}
