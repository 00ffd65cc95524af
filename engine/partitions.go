package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/model"
)

// A partition this engine applies: the epoch it claimed in the store
// (every batch that writes one of its contacts is fenced with it) and the
// consumption of its consumer.
type ownedPart struct {
	epoch int64
	cc    jetstream.ConsumeContext
	quit  chan struct{} // closed when p is given up: unblocks its delivery
}

// ErrNotOwner is returned for work on contacts of a partition this engine
// does not apply (another replica owns it).
var ErrNotOwner = errors.New("the contact's partition is applied by another replica")

// Partitions is the stream's partition count (known after Start).
func (e *Engine) Partitions() int { return e.parts }

// PartitionOf is the partition of a contact id.
func (e *Engine) PartitionOf(contactID string) int { return broker.PartitionOf(contactID, e.parts) }

// Owned lists the partitions this engine applies, in order.
func (e *Engine) Owned() []int {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	out := make([]int, 0, len(e.owned))
	for p := 0; p < e.parts; p++ {
		if e.owned[p] != nil {
			out = append(out, p)
		}
	}
	return out
}

// epochs snapshots the owned partitions' epochs; a batch works with one
// snapshot from start to commit.
func (e *Engine) epochs() map[int]int64 {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	out := make(map[int]int64, len(e.owned))
	for p, op := range e.owned {
		out[p] = op.epoch
	}
	return out
}

// AcquireAll applies every partition: a process alone on its store (SQLite
// always; PostgreSQL without a cluster manager) does what one engine did
// before partitions. Every partition is claimed before any is consumed, so
// no early event finds a contact of a partition not yet owned (it would be
// forwarded, or its merge refused).
func (e *Engine) AcquireAll(ctx context.Context) error {
	e.pmu.Lock()
	alone := len(e.owned) == 0
	e.pmu.Unlock()
	if alone {
		return e.acquireWhole(ctx)
	}
	all := make([]int, e.parts)
	for p := range all {
		all[p] = p
	}
	return e.acquire(ctx, all)
}

// AcquireMany starts applying several partitions in one step (the cluster
// manager's share): all are claimed before any is consumed. An engine that
// owns nothing and is handed every partition reads them as one, exactly as
// AcquireAll.
func (e *Engine) AcquireMany(ctx context.Context, ps []int) error {
	e.pmu.Lock()
	alone := len(e.owned) == 0
	e.pmu.Unlock()
	if alone && len(ps) == e.parts {
		seen := make(map[int]bool, len(ps))
		for _, p := range ps {
			seen[p] = p >= 0 && p < e.parts
		}
		all := len(seen) == e.parts
		for _, ok := range seen {
			all = all && ok
		}
		if all {
			return e.acquireWhole(ctx)
		}
	}
	return e.acquire(ctx, ps)
}

// Acquire starts applying partition p: it claims p's next epoch in the
// store (from then on a previous owner's batches for p are fenced), resets
// p's consumer to its ack floor, so what the previous owner had in flight
// comes first and in order, and consumes it. Owning partition 0 also runs
// the router of raw publishes.
func (e *Engine) Acquire(ctx context.Context, p int) error { return e.acquire(ctx, []int{p}) }

// claimed is a partition owned but not consumed yet.
type claimed struct {
	p    int
	op   *ownedPart
	cons jetstream.Consumer
}

func (e *Engine) acquire(ctx context.Context, parts []int) error {
	select {
	case <-e.stopping:
		return ErrStopped
	default:
	}
	var todo []claimed
	for _, p := range parts {
		if p < 0 || p >= e.parts {
			return fmt.Errorf("acquire partition %d: the stream has partitions 0..%d", p, e.parts-1)
		}
		e.pmu.Lock()
		held := e.owned[p] != nil
		e.pmu.Unlock()
		if held {
			continue
		}
		epoch, err := e.store.ClaimPartition(ctx, p, e.replica)
		if err != nil {
			return err
		}
		cons, err := broker.ResetPartitionConsumer(ctx, e.stream, p, e.maxAckPending())
		if err != nil {
			return err
		}
		// Nothing of p may be cached from an earlier ownership.
		e.dropPartition(p)
		op := &ownedPart{epoch: epoch, quit: make(chan struct{})}
		e.pmu.Lock()
		e.owned[p] = op // before the first message can reach the loop
		e.pmu.Unlock()
		todo = append(todo, claimed{p: p, op: op, cons: cons})
	}
	for _, c := range todo {
		if err := e.consume(c); err != nil {
			for _, c := range todo {
				e.unown(c.p)
			}
			return err
		}
		e.log.Info("partition acquired", "partition", c.p, "epoch", c.op.epoch, "replica", e.replica)
		if c.p == 0 {
			if err := e.startRouter(ctx); err != nil {
				for _, c := range todo {
					_ = e.Release(ctx, c.p)
				}
				return err
			}
		}
	}
	e.dropStaleWhole(ctx, len(todo) > 0)
	return nil
}

// dropStaleWhole deletes the all-partitions consumer an engine that owned
// every partition left behind when it died: once every partition has a
// consumer of its own (each started from that one's ack floor), nothing
// reads its floor any more, and its backlog would grow for ever in the
// lag. An engine that reads the whole itself keeps it.
func (e *Engine) dropStaleWhole(ctx context.Context, acquired bool) {
	e.pmu.Lock()
	whole := e.whole != nil
	e.pmu.Unlock()
	if !acquired || whole {
		return
	}
	if _, err := e.stream.Consumer(ctx, broker.AllConsumer); err != nil {
		return // none (the usual case), or NATS did not answer: the next acquire tries again
	}
	for p := 0; p < e.parts; p++ {
		if _, err := e.stream.Consumer(ctx, broker.PartitionConsumer(p)); err != nil {
			return
		}
	}
	if err := broker.DeleteConsumer(ctx, e.stream, broker.AllConsumer); err != nil {
		e.log.Warn("stale all-partitions consumer not deleted", "err", err)
		return
	}
	e.log.Info("stale all-partitions consumer deleted: every partition has its own")
}

// consume starts delivering a claimed partition's messages to the loop.
func (e *Engine) consume(c claimed) error {
	p, op := c.p, c.op
	cc, err := c.cons.Consume(func(m jetstream.Msg) {
		ev, err := e.decode(m)
		select {
		case e.msgs <- pending{msg: m, ev: ev, err: err, part: p, epoch: op.epoch}:
		case <-op.quit:
		case <-e.stopping:
		}
	}, jetstream.PullMaxMessages(e.pullSize()), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		e.log.Warn("partition consumer", "partition", p, "err", err)
	}))
	if err != nil {
		return fmt.Errorf("consume partition %d: %w", p, err)
	}
	e.pmu.Lock()
	still := e.owned[p] == op
	if still {
		op.cc = cc
	}
	e.pmu.Unlock()
	if !still { // lost or released while starting
		cc.Stop()
	}
	return nil
}

// Release stops applying partition p. It returns once no batch holding
// messages of p is in flight; p's contacts are dropped from the caches,
// and its messages not yet applied stay unacked for the next owner.
func (e *Engine) Release(ctx context.Context, p int) error {
	select {
	case <-e.stopping:
		// A stopped engine applies nothing and keeps its consumers as
		// they are: the next owner resets them from their ack floors.
		return nil
	default:
	}
	if err := e.leaveWhole(ctx); err != nil {
		return err
	}
	op := e.unown(p)
	if op == nil {
		return nil
	}
	if p == 0 {
		e.stopRouter()
	}
	// A barrier on the apply loop: once it runs, the batch that may have
	// held p's messages has committed (or rolled back) and been acked.
	err := e.onLoop(ctx, func() { e.dropPartition(p) })
	if errors.Is(err, ErrStopped) {
		err = nil // the loop ended: nothing is in flight
	}
	e.log.Info("partition released", "partition", p, "replica", e.replica)
	return err
}

// Lost reports partitions this engine found fenced (another replica
// claimed them): the engine has already stopped applying them.
func (e *Engine) Lost() <-chan int { return e.lost }

// unown removes p from the owned partitions and stops its consumption,
// waiting until it fully stopped: a pull request this process sent after
// the next owner recreated p's consumer would take messages from it that
// nobody here applies (redelivered only after AckWait).
func (e *Engine) unown(p int) *ownedPart {
	e.pmu.Lock()
	op := e.owned[p]
	delete(e.owned, p)
	var cc jetstream.ConsumeContext
	if op != nil {
		cc = op.cc
	}
	e.pmu.Unlock()
	if op == nil {
		return nil
	}
	close(op.quit)
	if cc != nil {
		cc.Stop()
		select {
		case <-cc.Closed():
		case <-time.After(5 * time.Second):
			e.log.Warn("partition consumer did not stop within 5s", "partition", p)
		}
	}
	return op
}

// lose gives up partitions a batch found fenced. It runs on the apply
// loop, so no batch is in flight.
func (e *Engine) lose(parts []int) {
	defer func() {
		// The others keep being applied, each through its own consumer.
		if err := e.leaveWhole(context.Background()); err != nil {
			e.log.Error("switch to one consumer per partition", "err", err)
		}
	}()
	for _, p := range parts {
		e.fenced[p] = true
		if e.unown(p) == nil {
			continue
		}
		if p == 0 {
			e.stopRouter()
		}
		e.dropPartition(p)
		e.log.Warn("partition lost: another replica claimed it", "partition", p, "replica", e.replica)
		select {
		case e.lost <- p:
		default:
			e.log.Error("lost partition not reported: nobody reads Lost", "partition", p)
		}
	}
}

// dropPartition drops p's contacts from the cache, and the caches that
// may name them (aliases; accounts span partitions).
func (e *Engine) dropPartition(p int) {
	for _, id := range e.contacts.Keys() {
		if e.PartitionOf(id) == p {
			e.contacts.Remove(id)
		}
	}
	e.aliases.Purge()
	e.purgeAccounts()
}

// onLoop runs fn on the apply loop between two batches and waits for it.
func (e *Engine) onLoop(ctx context.Context, fn func()) error {
	return e.submit(ctx, job{local: fn, done: make(chan error, 1)})
}

// held keeps the messages of partitions still owned under the epoch they
// were delivered for; the others (released, lost, or from an earlier
// ownership) are left unacked: their owner gets them from its ack floor.
func held(msgs []pending, epochs map[int]int64) []pending {
	out := msgs[:0:0]
	for _, m := range msgs {
		if ep, ok := epochs[m.part]; ok && ep == m.epoch {
			out = append(out, m)
		}
	}
	if len(out) == len(msgs) {
		return msgs
	}
	return out
}

// keepHeld is held, and it hands the messages it drops back at once (Nak):
// a message of a partition this engine lost can only have reached it from
// the partition's consumer as its new owner recreated it (a pull sent
// before this engine learnt of the loss), and left unacked it would wait
// out AckWait while the new owner applies the later ones.
func (e *Engine) keepHeld(msgs []pending, epochs map[int]int64) []pending {
	kept := held(msgs, epochs)
	if len(kept) == len(msgs) {
		return kept
	}
	for _, m := range msgs {
		if ep, ok := epochs[m.part]; !ok || ep != m.epoch {
			if err := m.msg.Nak(); err != nil {
				e.log.Debug("nak a message of a partition not held", "partition", m.part, "err", err)
			}
		}
	}
	return kept
}

// fence checks, in the unit's transaction, that the engine still holds the
// partitions of every contact the unit wrote. A unit that wrote a contact
// of a partition not owned here fails with ErrNotOwner; one whose
// partition was claimed by another replica fails with store.ErrFenced.
func (u *unit) fence() error {
	touched := make(map[int]int64, 4)
	if u.purge {
		// A pass over every contact (a back-fill's schedule) writes all partitions.
		if len(u.epochs) < u.eng.parts {
			return fmt.Errorf("a pass over every contact: %w", ErrNotOwner)
		}
		return u.tx.FencePartitions(u.epochs)
	}
	add := func(id string) error {
		p := u.eng.PartitionOf(id)
		ep, ok := u.epochs[p]
		if !ok {
			return fmt.Errorf("contact %s (partition %d): %w", id, p, ErrNotOwner)
		}
		touched[p] = ep
		return nil
	}
	for id := range u.contacts {
		if err := add(id); err != nil {
			return err
		}
	}
	for _, id := range u.forget {
		if err := add(id); err != nil {
			return err
		}
	}
	for _, cs := range u.departed {
		if err := add(cs.c.ID); err != nil {
			return err
		}
	}
	return u.tx.FencePartitions(touched)
}

// owns reports whether this engine applies the contact id's partition. A
// unit without a snapshot (the lab's sandbox) owns every contact.
func (u *unit) owns(id string) bool {
	if u.epochs == nil {
		return true
	}
	_, ok := u.epochs[u.eng.PartitionOf(id)]
	return ok
}

// forwardTo is the outcome of resolving an event to a contact of a
// partition owned elsewhere.
type forwardTo struct{ contact string }

func (f *forwardTo) Error() string { return "contact " + f.contact + " is in another partition" }

// forward queues an event for the partition of the contact it resolved
// to; the batch publishes it once committed (forwardMsgs) and acks it
// without applying it here. Its id is unchanged, so the owner applies it
// once however often it is forwarded. It names that contact: resolved
// again from its own contact_id there (an alias of a contact merged away,
// whose partition is this one), it would come back.
func (u *unit) forward(ev *model.Event, contact string) {
	ev.ContactID = contact
	u.forwards = append(u.forwards, forwarded{ev: ev, part: u.eng.PartitionOf(contact)})
}

type forwarded struct {
	ev   *model.Event
	part int
}

// forwardMsgs are the messages of the unit's forwards, published after
// its commit and before its messages are acked (a crash in between
// redelivers them, to be forwarded again). Each keeps the source of the
// message it came in (items), so wherever it ends, a dead event names the
// subject it was published to.
func (u *unit) forwardMsgs(items []pending) ([]*nats.Msg, error) {
	if len(u.forwards) == 0 {
		return nil, nil
	}
	sources := make(map[*model.Event]string, len(u.forwards))
	for _, it := range items {
		sources[it.ev] = it.msg.Headers().Get(broker.SourceHeader)
	}
	msgs := make([]*nats.Msg, 0, len(u.forwards))
	for _, f := range u.forwards {
		msg, err := broker.EventMsg(f.ev, sources[f.ev], u.eng.parts)
		if err != nil {
			return nil, fmt.Errorf("forward: %w", err)
		}
		msg.Subject = broker.PartitionSubject(f.part)
		// The target in the id: a forward onward from there (the contact
		// moved again) is another message, not a duplicate of this one.
		msg.Header.Set(jetstream.MsgIDHeader, "fwd/"+strconv.Itoa(f.part)+"/"+f.ev.ID)
		msgs = append(msgs, msg)
	}
	u.result.forwarded = len(u.forwards)
	return msgs, nil
}

// ownedOnly keeps the items of a scheduled pass whose contact this engine
// applies: each replica passes over its own partitions.
func ownedOnly[T any](e *Engine, items []T, contact func(T) string) []T {
	if len(e.epochs()) == e.parts {
		return items
	}
	epochs := e.epochs()
	out := items[:0:0]
	for _, it := range items {
		if _, ok := epochs[e.PartitionOf(contact(it))]; ok {
			out = append(out, it)
		}
	}
	return out
}

// pullSize is each partition consumer's pull batch: together they buffer
// about what the single consumer did.
func (e *Engine) pullSize() int { return max(2*e.batchSize/max(e.parts, 1), 64) }

// maxAckPending leaves each consumer room for its pull buffer, the decoded
// channel and the batch in flight, so delivery never waits on acks of a
// batch still committing.
func (e *Engine) maxAckPending() int { return 10 * e.batchSize }

// rawID is the id a raw publish gets when its body has none.
func (e *Engine) rawID(seq uint64) string {
	return "nats-" + strconv.FormatInt(e.streamEpoch, 10) + "-" + strconv.FormatUint(seq, 10)
}
