package engine

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// Work that must run on the owner of a contact's partition (a contact
// delete, a segment back-fill's share) reaches it by core NATS
// request/reply on subjects outside the event stream's:
//
//	scoreflow.control.p<N>.delete   delete a contact of partition N
//	scoreflow.control.p<N>.owner    who applies partition N (its replica)
//	scoreflow.control.r.<hex id>.backfill   back-fill the listed partitions
//	scoreflow.control.r.<hex id>.rescore    rescore the listed partitions (lab apply)
//
// Every engine subscribes to scoreflow.control.> once, at Start, and
// answers a partition's requests only while it applies that partition;
// the others stay silent, so the one answer a requester gets is the
// owner's. One subscription for the engine's life, rather than one per
// partition taken on Acquire, has no window between a take and its
// subscription and nothing to undo on a release, a loss or the switch to
// the all-partitions consumer: ownership is checked when a request arrives
// and again on the apply loop.
const controlPrefix = "scoreflow.control."

// controlWait bounds how long a request waits for a partition to find an
// owner across a handover (a dead replica's leases expire in ~15 s); it
// asks again every controlPause.
const (
	controlWait  = 30 * time.Second
	controlPause = 500 * time.Millisecond
)

// A partition that no replica claims for ownerWait (each owner question
// waiting ownerAsk; the owner answers it at once, off its apply loop) is
// reported unavailable, to be retried after retryAfter: a dead replica's
// partitions move within ~15 s, a clean handover in under one.
const (
	ownerWait  = 3 * time.Second
	ownerAsk   = time.Second
	retryAfter = 5 * time.Second
)

// controlReply is every control answer.
type controlReply struct {
	NotOwner bool               `json:"not_owner,omitempty"`
	NotFound string             `json:"not_found,omitempty"` // the error text of a model.ErrNotFound
	Error    string             `json:"error,omitempty"`
	Replica  string             `json:"replica,omitempty"` // owner: the replica's control id
	Done     []int              `json:"done,omitempty"`    // backfill: the partitions it covered
	SQL      bool               `json:"sql,omitempty"`     // backfill: one SQL pass counted the contacts
	Backfill *segments.Backfill `json:"backfill,omitempty"`
	Rescored int64              `json:"rescored,omitempty"` // rescore: contacts rescored
	Changed  int64              `json:"changed,omitempty"`  // rescore: contacts whose scores changed
}

// backfillRequest asks a replica to back-fill a segment for some partitions.
type backfillRequest struct {
	Segment string `json:"segment"`
	Fire    bool   `json:"fire"`
	Parts   []int  `json:"parts"`
}

func replyErr(err error) controlReply {
	switch {
	case errors.Is(err, ErrNotOwner), errors.Is(err, ErrStopped), errors.Is(err, store.ErrFenced):
		// A stopping engine hands its partitions over, a fenced one has
		// lost them: ask the next owner.
		return controlReply{NotOwner: true}
	case errors.Is(err, model.ErrNotFound):
		return controlReply{NotFound: err.Error()}
	default:
		return controlReply{Error: err.Error()}
	}
}

// err turns an answer back into the owner's error.
func (r controlReply) err() error {
	switch {
	case r.NotOwner:
		return ErrNotOwner
	case r.NotFound != "":
		return fmt.Errorf("%s: %w", strings.TrimSuffix(r.NotFound, ": "+model.ErrNotFound.Error()), model.ErrNotFound)
	case r.Error != "":
		return errors.New(r.Error)
	}
	return nil
}

func partSubject(p int, op string) string {
	return controlPrefix + "p" + strconv.Itoa(p) + "." + op
}

func replicaSubject(controlID, op string) string { return controlPrefix + "r." + controlID + "." + op }

// controlID is the replica id as one subject token.
func (e *Engine) controlID() string { return hex.EncodeToString([]byte(e.replica)) }

// listenControl subscribes to the control subjects (Start).
func (e *Engine) listenControl() error {
	nc := e.js.Conn()
	if nc == nil {
		return nil
	}
	sub, err := nc.Subscribe(controlPrefix+">", func(m *nats.Msg) {
		if m.Reply == "" {
			return
		}
		// Off the subscription's goroutine: a back-fill takes long, and a
		// delete must not wait behind it.
		go e.control(m)
	})
	if err != nil {
		return fmt.Errorf("subscribe %s>: %w", controlPrefix, err)
	}
	e.ctlSub = sub
	return nil
}

// control answers one control request, when it is this engine's to answer.
func (e *Engine) control(m *nats.Msg) {
	tokens := strings.Split(strings.TrimPrefix(m.Subject, controlPrefix), ".")
	var reply controlReply
	switch {
	case len(tokens) == 2 && strings.HasPrefix(tokens[0], "p"):
		p, err := strconv.Atoi(tokens[0][1:])
		if err != nil || !e.ownsPartition(p) {
			return // not ours: the owner answers
		}
		switch tokens[1] {
		case "owner":
			reply.Replica = e.controlID()
		case "delete":
			if err := e.deleteLocal(context.Background(), string(m.Data)); err != nil {
				reply = replyErr(err)
			}
		default:
			return
		}
	case len(tokens) == 3 && tokens[0] == "r" && tokens[1] == e.controlID() && tokens[2] == "backfill":
		var req backfillRequest
		if err := json.Unmarshal(m.Data, &req); err != nil {
			reply = replyErr(fmt.Errorf("decode back-fill request: %w", err))
			break
		}
		res, done, sql, err := e.backfillParts(context.Background(), req.Segment, req.Fire, req.Parts)
		if err != nil {
			reply = replyErr(err)
			break
		}
		reply = controlReply{Done: done, SQL: sql, Backfill: &res}
	case len(tokens) == 3 && tokens[0] == "r" && tokens[1] == e.controlID() && tokens[2] == "rescore":
		var req rescoreRequest
		if err := json.Unmarshal(m.Data, &req); err != nil {
			reply = replyErr(fmt.Errorf("decode rescore request: %w", err))
			break
		}
		var err error
		if reply, err = e.rescoreParts(context.Background(), req); err != nil {
			reply = replyErr(err)
		}
	default:
		return
	}
	data, _ := json.Marshal(reply)
	if err := m.Respond(data); err != nil {
		e.log.Warn("control reply", "subject", m.Subject, "err", err)
	}
}

// ownsPartition reports whether this engine applies partition p now.
func (e *Engine) ownsPartition(p int) bool {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	return e.owned[p] != nil
}

// ownsAll reports whether this engine applies every partition.
func (e *Engine) ownsAll() bool {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	return len(e.owned) == e.parts
}

// ask sends one control request and decodes the answer; a timeout (no
// owner answered) is ErrNotOwner, worth retrying.
func (e *Engine) ask(ctx context.Context, subject string, data []byte, timeout time.Duration) (controlReply, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m, err := e.js.Conn().RequestWithContext(ctx, subject, data)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) {
			return controlReply{}, fmt.Errorf("%s: no answer: %w", subject, ErrNotOwner)
		}
		return controlReply{}, fmt.Errorf("%s: %w", subject, err)
	}
	var r controlReply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return r, fmt.Errorf("%s: decode answer: %w", subject, err)
	}
	return r, nil
}

// handingOver reports an error that asking again resolves: the work
// reached no owner, or one that has just lost the partition.
func handingOver(err error) bool {
	return errors.Is(err, ErrNotOwner) || errors.Is(err, store.ErrFenced)
}

// pause waits between tries, or returns the context's error.
func pause(ctx context.Context) error {
	select {
	case <-time.After(controlPause):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DeleteContact deletes a contact and everything recorded about it (events,
// ledger, entries, memberships, parked runs) on the replica that applies
// its partition: here through the apply loop, so it is ordered with the
// contact's events and leaves no stale cache entry; else by asking the
// owner, again across a handover, and answering with its result. A
// partition nobody applies for ownerWait (a dead replica's, until its
// leases lapse) is a model.UnavailableError: the caller answers 503 with
// Retry-After instead of holding the request for the whole handover.
func (e *Engine) DeleteContact(ctx context.Context, id string) error {
	p := e.PartitionOf(id)
	start := time.Now()
	var err error
	for deadline := start.Add(controlWait); time.Now().Before(deadline); {
		switch {
		case e.ownsPartition(p):
			err = e.deleteLocal(ctx, id)
		case e.hasOwner(ctx, p):
			// The owner answers once its apply loop deleted the contact,
			// which may queue behind a long batch: give it the whole wait.
			var r controlReply
			if r, err = e.ask(ctx, partSubject(p, "delete"), []byte(id), time.Until(deadline)); err == nil {
				err = r.err()
			}
		default:
			if time.Since(start) >= ownerWait {
				return model.NoPartitionOwner([]int{p}, retryAfter)
			}
			err = fmt.Errorf("partition %d: no owner answered: %w", p, ErrNotOwner)
		}
		if !handingOver(err) {
			return err
		}
		if err := pause(ctx); err != nil {
			return err
		}
	}
	return fmt.Errorf("delete contact %s: partition %d: %w", id, p, err)
}

// hasOwner reports whether some replica answers that it applies p now.
func (e *Engine) hasOwner(ctx context.Context, p int) bool {
	r, err := e.ask(ctx, partSubject(p, "owner"), nil, ownerAsk)
	return err == nil && r.Replica != ""
}

// BackfillSegment fills one segment's membership after it was created or
// changed (backfill). An engine that applies every partition does it alone;
// otherwise each partition's owner back-fills its own partitions' contacts,
// asked once per owning replica, and the moves are summed. A partition
// handed over meanwhile is asked again of its new owner: its contacts
// already moved are members by then, so they are not counted twice.
func (e *Engine) BackfillSegment(ctx context.Context, id string, fire bool) (segments.Backfill, error) {
	if e.ownsAll() {
		return e.backfill(ctx, id, fire)
	}
	start := time.Now()
	total := segments.Backfill{Fired: fire}
	answers, err := e.fanOut(ctx, "back-fill segment "+id, "backfill",
		func(parts []int) any { return backfillRequest{Segment: id, Fire: fire, Parts: parts} },
		func(parts []int) (r controlReply, err error) {
			var res segments.Backfill
			res, r.Done, r.SQL, err = e.backfillParts(ctx, id, fire, parts)
			r.Backfill = &res
			return r, err
		}, nil)
	if err != nil {
		return total, err
	}
	sql := false
	for _, a := range answers {
		if b := a.Backfill; b != nil {
			total.Entered += b.Entered
			total.Exited += b.Exited
			total.Contacts += b.Contacts
		}
		sql = sql || a.SQL
	}
	if sql {
		// The owners' SQL passes each looked at every contact.
		n, err := e.store.CountContacts(ctx)
		if err != nil {
			return total, err
		}
		total.Contacts = int(n)
	}
	total.Millis = time.Since(start).Milliseconds()
	return total, nil
}

// fanOut runs a piece of work on the owners of every partition, once per
// owning replica: this engine's share through local, another replica's by
// the request request(parts) on its op subject. It asks again for the
// partitions nobody covered (owners between a release and a take) until
// all are, and returns the answers that covered them; progress, when not
// nil, sees each of them as it arrives.
func (e *Engine) fanOut(ctx context.Context, what, op string, request func(parts []int) any,
	local func(parts []int) (controlReply, error), progress func(controlReply)) ([]controlReply, error) {
	remaining := map[int]bool{}
	for p := range e.parts {
		remaining[p] = true
	}
	var out []controlReply
	// The wait counts from the last progress: a long back-fill of some
	// partitions is no reason to give up on the others. Partitions nobody
	// claims for ownerWait end it at once, as unavailable.
	var ownerless time.Time
	for deadline := time.Now().Add(controlWait); len(remaining) > 0; {
		if time.Now().After(deadline) {
			return out, fmt.Errorf("%s: partitions %v: %w", what, slices.Sorted(maps.Keys(remaining)), ErrNotOwner)
		}
		owners, err := e.owners(ctx, remaining)
		if err != nil {
			return out, err
		}
		if missing := unowned(remaining, owners); len(missing) == 0 {
			ownerless = time.Time{}
		} else if ownerless.IsZero() {
			ownerless = time.Now()
		} else if time.Since(ownerless) >= ownerWait {
			return out, fmt.Errorf("%s: %w", what, model.NoPartitionOwner(missing, retryAfter))
		}
		type answer struct {
			r   controlReply
			err error
		}
		answers := make(chan answer, len(owners))
		for replica, parts := range owners {
			go func() {
				var a answer
				if replica == e.controlID() {
					a.r, a.err = local(parts)
				} else {
					data, _ := json.Marshal(request(parts))
					if a.r, a.err = e.ask(ctx, replicaSubject(replica, op), data, time.Hour); a.err == nil {
						a.err = a.r.err()
					}
				}
				answers <- a
			}()
		}
		var failed error
		for range owners {
			a := <-answers
			if a.err != nil {
				if !handingOver(a.err) && failed == nil {
					failed = a.err
				}
				continue
			}
			for _, p := range a.r.Done {
				delete(remaining, p)
			}
			deadline = time.Now().Add(controlWait)
			out = append(out, a.r)
			if progress != nil {
				progress(a.r)
			}
		}
		if failed != nil {
			return out, failed
		}
		if len(remaining) > 0 {
			if err := pause(ctx); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// CheckOwners returns a model.UnavailableError when some partition has had
// no owner for ownerWait: a caller about to start work every owner must
// do (a segment's back-fill) refuses it at once instead of saving what it
// could not finish. An engine that applies every partition has them all.
func (e *Engine) CheckOwners(ctx context.Context) error {
	all := map[int]bool{}
	for p := range e.parts {
		all[p] = true
	}
	for start := time.Now(); !e.ownsAll(); {
		owners, err := e.owners(ctx, all)
		if err != nil {
			return err
		}
		missing := unowned(all, owners)
		if len(missing) == 0 {
			return nil
		}
		if time.Since(start) >= ownerWait {
			return model.NoPartitionOwner(missing, retryAfter)
		}
		if err := pause(ctx); err != nil {
			return err
		}
	}
	return nil
}

// unowned lists, sorted, the partitions of parts no replica in owners applies.
func unowned(parts map[int]bool, owners map[string][]int) []int {
	left := maps.Clone(parts)
	for _, ps := range owners {
		for _, p := range ps {
			delete(left, p)
		}
	}
	return slices.Sorted(maps.Keys(left))
}

// owners asks who applies each of parts, grouped by replica; a partition
// nobody answered for (between owners) is left out.
func (e *Engine) owners(ctx context.Context, parts map[int]bool) (map[string][]int, error) {
	type found struct {
		p       int
		replica string
	}
	answers := make(chan found, len(parts))
	for p := range parts {
		go func() {
			if e.ownsPartition(p) {
				answers <- found{p, e.controlID()}
				return
			}
			r, err := e.ask(ctx, partSubject(p, "owner"), nil, ownerAsk)
			if err != nil {
				r.Replica = ""
			}
			answers <- found{p, r.Replica}
		}()
	}
	out := map[string][]int{}
	for range parts {
		f := <-answers
		if f.replica != "" {
			out[f.replica] = append(out[f.replica], f.p)
		}
	}
	return out, ctx.Err()
}

// ownedOf is those of parts this engine applies, with their epochs now,
// and the test of a contact being in one of them.
func (e *Engine) ownedOf(parts []int) (map[int]int64, func(contact string) bool) {
	epochs := e.epochs()
	take := make(map[int]int64, len(parts))
	for _, p := range parts {
		if ep, ok := epochs[p]; ok {
			take[p] = ep
		}
	}
	return take, func(c string) bool {
		_, ok := take[e.PartitionOf(c)]
		return ok
	}
}

// stillOwned is the partitions of take still applied under the same epoch:
// those a share of work covered from start to end.
func (e *Engine) stillOwned(take map[int]int64) []int {
	now := e.epochs()
	var out []int
	for p, ep := range take {
		if now[p] == ep {
			out = append(out, p)
		}
	}
	return out
}

// keptPages pages through the contact ids keep accepts, like
// ContactIDsAfter.
func keptPages(ctx context.Context, e *Engine, keep func(string) bool) func(after string) ([]string, error) {
	return func(after string) ([]string, error) {
		for {
			page, err := e.store.ContactIDsAfter(ctx, after, chunk)
			if err != nil || len(page) == 0 {
				return page, err
			}
			if own := kept(page, keep); len(own) > 0 {
				return own, nil
			}
			after = page[len(page)-1]
		}
	}
}
