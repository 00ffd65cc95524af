// Package engine applies events to contacts exactly once in effect. It
// consumes the JetStream event stream in stream order, groups messages into
// batches, applies each batch in ONE store transaction (dedupe record,
// contacts, timeline, ledger, entries, outbox), and acks only after commit:
// a crash before commit redelivers the batch, and the stored event ids make
// the redelivery a no-op.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Options configure an Engine.
type Options struct {
	Store  store.Store
	JS     jetstream.JetStream
	Logger *slog.Logger
	// Now is the clock (tests drive it); default time.Now.
	Now func() time.Time
	// BatchSize caps the messages applied in one transaction; default 1000.
	BatchSize int
	// MaxCascadeDepth caps chains of internal events; default 8.
	MaxCascadeDepth int
	// OnCommit is called after each committed batch (benchmarks, tests).
	OnCommit func(CommitInfo)
	// OnWebhooks is called after a commit that queued webhooks.
	OnWebhooks func()
	// OnRun is called after a commit for each run that ended in it, with
	// outcome "completed" or "failed" (metrics).
	OnRun func(flowID, outcome string)
	// RetryBackoff is the first wait before retrying a failed event; default 100ms.
	RetryBackoff time.Duration
	// ContactCache is how many committed contacts stay decoded in memory;
	// default 50,000. The engine is the only writer of contacts, so the
	// cache is exact; it is dropped whenever settings or flows change.
	ContactCache int
	// Stream is how the event stream is declared when the engine creates
	// it (replicas, partitions; CONTRACT §7).
	Stream broker.StreamOptions
	// Replica names this process as a partition's owner in the store.
	Replica string
	// HoldCommit, when set, runs in each unit of work just before its
	// fence and commit (tests hold a stale owner's commit with it).
	HoldCommit func()
}

// CommitInfo describes one committed batch.
type CommitInfo struct {
	EventIDs   []string // applied (duplicates excluded)
	MergeSteps []string // ids of the steps of merges across partitions applied
	Messages   int
	Duplicates int
	Duration   time.Duration
	At         time.Time
}

// Stats are running totals since start.
type Stats struct {
	Batches, Applied, Duplicates, Dead, Runs, FailedRuns uint64
	// MergeSteps counts the steps of merges across partitions applied
	// here (not in Applied: no one sent them).
	MergeSteps uint64
}

// Engine consumes events and runs flows.
type Engine struct {
	store     store.Store
	js        jetstream.JetStream
	log       *slog.Logger
	now       func() time.Time
	batchSize int
	maxDepth  int
	onCommit  func(CommitInfo)
	onHooks   func()
	onRun     func(flowID, outcome string)
	backoff   time.Duration
	hold      func()

	flows       atomic.Pointer[flowSet]
	contacts    *lru.Cache[string, *store.ContactRecord]
	versions    *lru.Cache[string, *flows.Compiled] // flow versions parked runs resume on
	aliases     *lru.Cache[string, string]          // anonymous id → the contact it was merged into (merge.go)
	accounts    *lru.Cache[string, *model.Account]  // nil unless the store is exclusive (accounts.go)
	forceReload atomic.Bool
	streamEpoch int64
	streamOpts  broker.StreamOptions
	stream      jetstream.Stream
	parts       int
	replica     string

	// The partitions this engine applies (partitions.go); the apply loop
	// takes a snapshot of their epochs per unit of work.
	pmu    sync.Mutex
	owned  map[int]*ownedPart
	lost   chan int
	rmu    sync.Mutex
	router *router            // while partition 0 is owned (router.go)
	whole  *wholeConsumer     // while every partition is read by one consumer (whole.go)
	modeMu sync.Mutex         // serialises switching between whole and per partition
	fenced map[int]bool       // partitions lost in the batch being handled (apply loop only)
	ctlSub *nats.Subscription // control requests for owned partitions (control.go)

	msgs     chan pending
	jobs     chan job
	stopping chan struct{}
	done     chan struct{}
	started  bool
	ready    atomic.Bool
	stopOnce sync.Once

	batches, applied, duplicates, dead, runs, failedRuns atomic.Uint64
	mergeSteps                                           atomic.Uint64
}

// New builds an engine; Start runs it.
func New(opts Options) *Engine {
	e := &Engine{
		store: opts.Store, js: opts.JS, log: opts.Logger, now: opts.Now,
		batchSize: opts.BatchSize, maxDepth: opts.MaxCascadeDepth,
		onCommit: opts.OnCommit, onHooks: opts.OnWebhooks, onRun: opts.OnRun, backoff: opts.RetryBackoff,
		stopping: make(chan struct{}), done: make(chan struct{}), streamOpts: opts.Stream,
		replica: opts.Replica, hold: opts.HoldCommit, owned: map[int]*ownedPart{}, fenced: map[int]bool{},
	}
	if e.replica == "" {
		e.replica = "scoreflow"
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.batchSize <= 0 {
		e.batchSize = 1000
	}
	if e.maxDepth <= 0 {
		e.maxDepth = 8
	}
	if e.backoff <= 0 {
		e.backoff = 100 * time.Millisecond
	}
	if opts.ContactCache <= 0 {
		opts.ContactCache = 50000
	}
	e.contacts, _ = lru.New[string, *store.ContactRecord](opts.ContactCache) // errs only on size <= 0
	e.versions, _ = lru.New[string, *flows.Compiled](1024)
	e.aliases, _ = lru.New[string, string](opts.ContactCache)
	e.accounts = newAccountCache(opts.Store)
	e.msgs = make(chan pending, 2*e.batchSize)
	e.jobs = make(chan job)
	return e
}

// Start declares the stream, loads flows and starts the apply loop. It
// applies no partition yet: Acquire or AcquireAll start consuming.
func (e *Engine) Start(ctx context.Context) error {
	stream, err := broker.EnsureStream(ctx, e.js, e.streamOpts)
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	e.stream = stream
	e.streamEpoch = info.Created.Unix()
	if e.parts, err = broker.StreamPartitions(ctx, e.js); err != nil {
		return err
	}
	e.lost = make(chan int, e.parts)
	if err := e.reloadFlows(ctx); err != nil {
		return err
	}
	if err := e.listenControl(); err != nil {
		return err
	}
	e.started = true
	go e.loop()
	e.ready.Store(true)
	e.log.Info("engine started", "stream", broker.StreamName, "partitions", e.parts, "batch", e.batchSize)
	return nil
}

// Ready reports whether the engine consumes events.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Reload makes the engine reload flows and settings before its next batch.
// The engine also notices changes by itself through the store's generation.
func (e *Engine) Reload() { e.forceReload.Store(true) }

// Stats returns running totals.
func (e *Engine) Stats() Stats {
	return Stats{Batches: e.batches.Load(), Applied: e.applied.Load(), Duplicates: e.duplicates.Load(),
		Dead: e.dead.Load(), Runs: e.runs.Load(), FailedRuns: e.failedRuns.Load(), MergeSteps: e.mergeSteps.Load()}
}

// Stop drains: the batch being applied commits and is acked; messages
// received but not applied are left unacked for redelivery.
func (e *Engine) Stop(ctx context.Context) error {
	e.stopOnce.Do(func() {
		e.ready.Store(false)
		close(e.stopping)
		if e.ctlSub != nil {
			_ = e.ctlSub.Unsubscribe()
		}
		for p := 0; p < e.parts; p++ {
			e.unown(p)
		}
		e.pmu.Lock()
		w := e.whole
		e.whole = nil
		e.pmu.Unlock()
		if w != nil {
			stopWhole(e, w)
		}
		e.stopRouter()
	})
	if !e.started {
		return nil
	}
	select {
	case <-e.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("engine stop: %w", ctx.Err())
	}
}

func (e *Engine) loop() {
	defer close(e.done)
	batch := make([]pending, 0, e.batchSize)
	for {
		select {
		case m := <-e.msgs:
			batch = append(batch[:0], m)
		case j := <-e.jobs:
			if j.local != nil {
				j.local()
				j.done <- nil
				continue
			}
			_, err := e.transact(j.fn)
			j.done <- err
			continue
		case <-e.stopping:
			return
		}
		// Group commit: take what has queued up while the last batch
		// committed. When messages are streaming in (more than one was
		// waiting), linger up to batchLinger for a fuller batch: fewer,
		// larger commits. A lone message is applied at once.
		batch = e.fill(batch, 0)
		if len(batch) > 1 && len(batch) < e.batchSize {
			batch = e.fill(batch, batchLinger)
		}
		if !e.handle(batch) {
			return
		}
	}
}

// job is work other than an event batch (a scheduled pass, a back-fill, a
// contact deletion) that must run on the apply loop: the loop is the one
// writer of contacts, which keeps the contact cache exact and a contact's
// changes in order.
type job struct {
	fn    func(u *unit) error
	local func() // instead of fn: runs between batches, without a transaction
	done  chan error
}

// ErrStopped is returned for work submitted to an engine that stopped.
var ErrStopped = errors.New("engine stopped")

// do runs fn in its own unit of work on the apply loop and waits for it.
func (e *Engine) do(ctx context.Context, fn func(u *unit) error) error {
	return e.submit(ctx, job{fn: fn, done: make(chan error, 1)})
}

// submit hands a job to the apply loop and waits for it.
func (e *Engine) submit(ctx context.Context, j job) error {
	select {
	case e.jobs <- j:
	case <-e.stopping:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		// The job still runs to its end (it cannot be half-applied); only
		// the caller stops waiting.
		return ctx.Err()
	}
}

// deleteLocal deletes a contact of a partition this engine applies
// (DeleteContact, control.go) through the apply loop.
func (e *Engine) deleteLocal(ctx context.Context, id string) error {
	return e.do(ctx, func(u *unit) error {
		if !u.owns(id) {
			return fmt.Errorf("delete contact %s: %w", id, ErrNotOwner)
		}
		// The contact leaves its account first (flushAccounts takes its
		// scores off); it is not written back, having been deleted.
		if cs, err := u.existing(id); err != nil {
			return err
		} else if cs != nil {
			cs.leaveAccount()
		}
		found, err := u.tx.DeleteContact(id)
		if err != nil {
			return err
		}
		if !found {
			return model.NotFound("contact", id)
		}
		if err := u.tx.ForgetContact(id); err != nil {
			return err
		}
		u.eng.aliases.Purge() // settled ids may name it
		u.forget = append(u.forget, id)
		return nil
	})
}

// batchLinger is the most a streaming batch waits to fill up.
const batchLinger = 2 * time.Millisecond

// fill adds queued messages to batch until it is full; with wait > 0 it
// waits up to that long for more.
func (e *Engine) fill(batch []pending, wait time.Duration) []pending {
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < e.batchSize {
		if deadline == nil {
			select {
			case m := <-e.msgs:
				batch = append(batch, m)
			default:
				return batch
			}
			continue
		}
		select {
		case m := <-e.msgs:
			batch = append(batch, m)
		case <-deadline:
			return batch
		case <-e.stopping:
			return batch
		}
	}
	return batch
}

// pending is a message and its decoded event (or why it is not one).
type pending struct {
	msg jetstream.Msg
	ev  *model.Event
	err error
	// part and epoch: the partition it was delivered for, under which claim.
	part  int
	epoch int64
}

// handle applies a batch and acks it; false means the engine is stopping
// and the batch was left unacked. Messages of partitions the engine no
// longer holds are left unacked for their owner; a batch fenced by another
// owner's claim gives those partitions up (lose) and is applied again
// without their messages.
func (e *Engine) handle(msgs []pending) bool {
	clear(e.fenced)
	// One snapshot of the owned partitions for the whole batch: the
	// messages kept and the unit's fence and forwards agree on it.
	epochs := e.epochs()
	msgs = e.keepHeld(msgs, epochs)
	items := make([]pending, 0, len(msgs))
	var dead []store.DeadEvent
	var deadMsgs []pending
	for _, p := range msgs {
		if p.err != nil {
			dead = append(dead, e.deadEvent(p.msg, "", p.err))
			deadMsgs = append(deadMsgs, p)
			continue
		}
		items = append(items, p)
	}
	if len(items) > 0 {
		err := e.applyBatch(items, epochs)
		for fe := (*store.FencedError)(nil); errors.As(err, &fe); {
			e.lose(fe.Partitions)
			epochs = e.epochs()
			if items = e.keepHeld(items, epochs); len(items) == 0 {
				err = nil
				break
			}
			err = e.applyBatch(items, epochs)
		}
		if errors.Is(err, ErrStopped) {
			return false // committed, but its merge relays not published: redelivered
		}
		if err != nil {
			e.log.Warn("batch failed; applying its events one by one", "events", len(items), "err", err)
			for _, it := range items {
				d, ok := e.applyAlone(it, epochs)
				if !ok {
					return false
				}
				if d != nil {
					dead = append(dead, *d)
					deadMsgs = append(deadMsgs, it)
				}
			}
		}
	}
	// Dead events and acks only for partitions not fenced meanwhile: a lost
	// one's messages are the new owner's. (A partition released during the
	// batch still has its committed messages acked.)
	for i, d := range dead {
		if e.fenced[deadMsgs[i].part] {
			continue
		}
		if err := e.store.RecordDeadEvent(context.Background(), d); err != nil {
			e.log.Error("record dead event", "seq", d.StreamSeq, "err", err)
		}
		e.dead.Add(1)
		e.log.Warn("event not applied", "seq", d.StreamSeq, "event", d.EventID, "err", d.Error)
	}
	if len(e.fenced) > 0 {
		kept := msgs[:0:0]
		for _, m := range msgs {
			if !e.fenced[m.part] {
				kept = append(kept, m)
			}
		}
		msgs = kept
	}
	e.ack(msgs)
	return true
}

// applyAlone retries one event in its own transaction. An event that keeps
// failing while the store itself is healthy is set aside as dead, so one bad
// event cannot block the stream; while the store is unhealthy the engine
// waits and retries instead, so no good event is set aside.
func (e *Engine) applyAlone(it pending, epochs map[int]int64) (*store.DeadEvent, bool) {
	wait := e.backoff
	for attempt := 1; ; attempt++ {
		err := e.applyBatch([]pending{it}, epochs)
		if err == nil {
			return nil, true
		}
		if errors.Is(err, ErrStopped) {
			return nil, false
		}
		if fe := (*store.FencedError)(nil); errors.As(err, &fe) {
			e.lose(fe.Partitions)
			return nil, true // not applied here: the new owner's
		}
		if attempt >= 3 && e.storeHealthy() {
			d := e.deadEvent(it.msg, it.ev.ID, err)
			return &d, true
		}
		e.log.Warn("event failed; retrying", "event", it.ev.ID, "attempt", attempt, "err", err)
		select {
		case <-time.After(wait):
		case <-e.stopping:
			return nil, false
		}
		wait = min(wait*2, 10*time.Second)
	}
}

func (e *Engine) storeHealthy() bool {
	tx, err := e.store.Begin(context.Background())
	if err != nil {
		return false
	}
	return tx.Commit() == nil
}

func (e *Engine) deadEvent(m jetstream.Msg, id string, err error) store.DeadEvent {
	d := store.DeadEvent{Subject: m.Subject(), EventID: id, Payload: m.Data(), Error: err.Error(), At: e.now()}
	if src := m.Headers().Get(broker.SourceHeader); src != "" {
		d.Subject = broker.SubjectPrefix + src // the subject it was published to before partitions
	}
	if md, mdErr := m.Metadata(); mdErr == nil {
		d.StreamSeq = md.Sequence.Stream
	}
	return d
}

// ack acks every message of a committed batch. Acks are buffered
// publishes, so this costs no round trip; a lost ack only means a
// redelivery, which the store's record skips.
func (e *Engine) ack(msgs []pending) {
	// Each ack is its own message: one that fails says nothing of the
	// next, and a message left unacked waits AckWait (30 s) to come again.
	var failed int
	var first error
	for _, p := range msgs {
		if err := p.msg.Ack(); err != nil {
			if failed == 0 {
				first = err
			}
			failed++
		}
	}
	if failed > 0 {
		e.log.Warn("ack events", "failed", failed, "of", len(msgs), "err", first)
	}
}

// decode turns a stream message into an event. Ids and timestamps missing
// from a raw NATS publish are derived from the message itself, so a
// redelivery gets the same ones.
func (e *Engine) decode(m jetstream.Msg) (*model.Event, error) {
	ev, err := decodeBody(m.Data())
	if err != nil {
		return nil, err
	}
	md, err := m.Metadata()
	if err != nil {
		return nil, fmt.Errorf("message metadata: %w", err)
	}
	h := m.Headers()
	if ev.ID == "" {
		ev.ID = h.Get(broker.EventIDHeader) // a raw publish's, set by the router
	}
	if ev.ID == "" && !strings.HasPrefix(m.Subject(), broker.PartitionPrefix) {
		ev.ID = h.Get(jetstream.MsgIDHeader)
	}
	if ev.ID == "" {
		ev.ID = e.rawID(md.Sequence.Stream)
	}
	if ev.Timestamp.IsZero() {
		if t, err := time.Parse(time.RFC3339Nano, h.Get(broker.EventTimeHeader)); err == nil {
			ev.Timestamp = t
		} else {
			ev.Timestamp = md.Timestamp
		}
	}
	if errs := ev.Validate(); len(errs) > 0 {
		return nil, model.Invalid("invalid_event", "invalid event", errs...)
	}
	return ev, nil
}

func (e *Engine) reloadFlows(ctx context.Context) error {
	fs, err := loadFlowSet(ctx, e.store, e.log)
	if err != nil {
		return fmt.Errorf("load flows: %w", err)
	}
	e.flows.Store(fs)
	// Settings changes regrade contacts in the store: cached copies are stale.
	e.contacts.Purge()
	e.purgeAccounts()
	return nil
}

// currentFlows reloads flows when they changed since the last batch.
func (e *Engine) currentFlows(ctx context.Context) (*flowSet, error) {
	fs := e.flows.Load()
	gen, err := e.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	if gen != fs.generation || e.forceReload.Swap(false) {
		if err := e.reloadFlows(ctx); err != nil {
			return nil, err
		}
		fs = e.flows.Load()
	}
	return fs, nil
}

// applyBatch applies events in one transaction and commits.
func (e *Engine) applyBatch(items []pending, epochs map[int]int64) error {
	start := time.Now()
	u, err := e.transactAs(epochs, func(u *unit) error { return e.applyAll(u, items) })
	if err != nil {
		return err
	}
	e.batches.Add(1)
	e.applied.Add(uint64(len(u.result.applied)))
	e.mergeSteps.Add(uint64(len(u.result.mergeSteps)))
	e.duplicates.Add(uint64(u.result.duplicates))
	if e.onCommit != nil {
		e.onCommit(CommitInfo{EventIDs: u.result.applied, MergeSteps: u.result.mergeSteps, Messages: len(items), Duplicates: u.result.duplicates,
			Duration: time.Since(start), At: time.Now()})
	}
	// Merge steps and forwards go out after the commit and before any ack
	// (merge_cross.go, partitions.go), in that order: an event of a merged
	// id forwarded in the batch that merged it reaches the survivor after
	// the merge-in.
	forwards, err := u.forwardMsgs(items)
	if err != nil {
		return err
	}
	return e.publishAfterCommit(u.relays, forwards)
}

// transact runs fn in a unit of work: one transaction, committed when fn
// and the unit's flush succeed, rolled back otherwise. After commit the
// unit's contacts enter the cache and its hooks fire.
func (e *Engine) transact(fn func(u *unit) error) (*unit, error) {
	return e.transactAs(e.epochs(), fn)
}

// transactAs is transact under a given snapshot of the owned partitions.
func (e *Engine) transactAs(epochs map[int]int64, fn func(u *unit) error) (*unit, error) {
	ctx := context.Background()
	fs, err := e.currentFlows(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := e.store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	u := &unit{
		eng: e, tx: tx, now: e.now().UTC().Truncate(time.Millisecond), flows: fs, settings: &fs.settings,
		contacts: map[string]*contactState{}, stats: map[statKey]*store.NodeStats{}, hookKeys: map[string]int{},
		seen: map[string]bool{}, aliases: map[string]string{}, epochs: epochs,
	}
	err = fn(u)
	if err == nil {
		err = u.flush()
	}
	if err == nil && e.hold != nil {
		e.hold()
	}
	if err == nil {
		err = u.fence()
	}
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		// A commit whose answer was lost (the server went away mid-COMMIT)
		// may still have committed: the cache is dropped, so the retry reads
		// contacts from the store as they really are instead of applying the
		// next events on top of the state before. Commits rarely fail.
		e.contacts.Purge()
		e.purgeAccounts()
		return nil, err
	}
	for id, cs := range u.contacts {
		e.contacts.Add(id, cs.rec)
	}
	u.cacheAccounts()
	for _, id := range u.forget {
		e.contacts.Remove(id)
	}
	for id, into := range u.aliases {
		e.aliases.Add(id, into)
	}
	for _, a := range u.settled {
		e.aliases.Add(a[0], a[1])
	}
	if u.purge {
		e.contacts.Purge()
	}
	e.runs.Add(uint64(u.result.runs))
	e.failedRuns.Add(uint64(u.result.failedRuns))
	if e.onRun != nil {
		for _, r := range u.ended {
			e.onRun(r.flow, r.outcome)
		}
	}
	if u.webhooks > 0 && e.onHooks != nil {
		e.onHooks()
	}
	return u, nil
}

// prefetch names to the store, in one call, the contacts the batch will
// load: those of its new events that the cache does not hold (a store with
// costly round trips reads them all at once).
func (u *unit) prefetch(items []pending) error {
	var ids []string
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		id := it.ev.ContactID
		if id == "" || seen[id] || u.seen[it.ev.ID] || u.eng.contacts.Contains(id) {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	return u.tx.PrefetchContacts(ids)
}

func (e *Engine) applyAll(u *unit, items []pending) error {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ev.ID
	}
	seen, err := u.tx.SeenEvents(ids)
	if err != nil {
		return err
	}
	// apply marks every id seen and tracks each contact: sized once here,
	// the maps do not grow (and rehash) a step at a time.
	u.seen = make(map[string]bool, len(items))
	for id := range seen {
		u.seen[id] = true
	}
	if len(u.contacts) == 0 {
		u.contacts = make(map[string]*contactState, len(items))
	}
	if err := u.relayAgain(items); err != nil {
		return err
	}
	if err := u.prefetch(items); err != nil {
		return err
	}
	for _, it := range items {
		if err := u.apply(it.ev); err != nil {
			return err
		}
	}
	return nil
}
