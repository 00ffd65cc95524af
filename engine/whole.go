package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
)

// wholeConsumer is the one consumer of an engine that applies every
// partition (AcquireAll in a process alone): the stream's partitions in
// stream order, as the single consumer before partitions read them. Sixteen
// consumers instead cost a third more CPU per event: their batches
// interleave partitions at different stream positions, so the store's
// inserts lose their locality, and JetStream keeps sixteen states.
type wholeConsumer struct {
	cc   jetstream.ConsumeContext
	quit chan struct{}
}

// acquireWhole claims every partition and consumes them through
// broker.AllConsumer, from the point below which everything was applied.
func (e *Engine) acquireWhole(ctx context.Context) error {
	e.modeMu.Lock()
	defer e.modeMu.Unlock()
	after, err := e.resumePoint(ctx)
	if err != nil {
		return err
	}
	epochs := make(map[int]int64, e.parts)
	for p := 0; p < e.parts; p++ {
		if epochs[p], err = e.store.ClaimPartition(ctx, p, e.replica); err != nil {
			return err
		}
	}
	for p := 0; p < e.parts; p++ {
		if err := broker.DeleteConsumer(ctx, e.stream, broker.PartitionConsumer(p)); err != nil {
			return err
		}
	}
	cons, err := broker.RecreateConsumer(ctx, e.stream, broker.AllConsumer, after, e.maxAckPending())
	if err != nil {
		return err
	}
	w := &wholeConsumer{quit: make(chan struct{})}
	e.pmu.Lock()
	for p, ep := range epochs {
		e.owned[p] = &ownedPart{epoch: ep, quit: make(chan struct{})}
	}
	e.whole = w
	e.pmu.Unlock()
	cc, err := cons.Consume(func(m jetstream.Msg) {
		p, _ := broker.PartitionOfSubject(m.Subject())
		ev, err := e.decode(m)
		select {
		case e.msgs <- pending{msg: m, ev: ev, err: err, part: p, epoch: epochs[p]}:
		case <-w.quit:
		case <-e.stopping:
		}
	}, jetstream.PullMaxMessages(2*e.batchSize), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		e.log.Warn("event consumer", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", broker.AllConsumer, err)
	}
	e.pmu.Lock()
	w.cc = cc
	e.pmu.Unlock()
	e.log.Info("every partition acquired", "partitions", e.parts, "replica", e.replica, "from", after+1)
	return e.startRouter(ctx)
}

// resumePoint is the stream sequence up to which every partition message
// was applied, combining the consumers the last engine left: the
// all-partitions one's ack floor, or the lowest ack floor of a partition
// consumer with messages still pending (one fully caught up constrains
// nothing beyond what it delivered).
func (e *Engine) resumePoint(ctx context.Context) (uint64, error) {
	whole, err := broker.AckFloor(ctx, e.stream, broker.AllConsumer)
	if err != nil {
		return 0, err
	}
	low, caughtUp, any := uint64(math.MaxUint64), uint64(0), false
	for p := 0; p < e.parts; p++ {
		c, err := e.stream.Consumer(ctx, broker.PartitionConsumer(p))
		if err != nil {
			continue // none: never consumed, or replaced by the all-partitions consumer
		}
		info, err := c.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("consumer %s info: %w", broker.PartitionConsumer(p), err)
		}
		any = true
		if info.NumPending == 0 && info.NumAckPending == 0 {
			caughtUp = max(caughtUp, info.Delivered.Stream)
			continue
		}
		low = min(low, info.AckFloor.Stream)
	}
	if !any {
		return whole, nil
	}
	fromParts := min(low, caughtUp)
	if low == math.MaxUint64 {
		fromParts = caughtUp
	}
	return max(whole, fromParts), nil
}

// leaveWhole replaces the all-partitions consumer with one consumer per
// owned partition, each from its ack floor (every message up to it is
// applied): a partition is being released or was lost.
func (e *Engine) leaveWhole(ctx context.Context) error {
	e.modeMu.Lock()
	defer e.modeMu.Unlock()
	e.pmu.Lock()
	w := e.whole
	e.whole = nil
	e.pmu.Unlock()
	if w == nil {
		return nil
	}
	stopWhole(e, w)
	after, err := broker.AckFloor(ctx, e.stream, broker.AllConsumer)
	if err != nil {
		return err
	}
	e.pmu.Lock()
	var todo []claimed
	for p, op := range e.owned {
		todo = append(todo, claimed{p: p, op: op})
	}
	e.pmu.Unlock()
	for _, c := range todo {
		cons, err := broker.RecreateConsumer(ctx, e.stream, broker.PartitionConsumer(c.p), after, e.maxAckPending())
		if err != nil {
			return err
		}
		c.cons = cons
		if err := e.consume(c); err != nil {
			return err
		}
	}
	return broker.DeleteConsumer(ctx, e.stream, broker.AllConsumer)
}

func stopWhole(e *Engine, w *wholeConsumer) {
	close(w.quit)
	if w.cc == nil {
		return
	}
	w.cc.Stop()
	select {
	case <-w.cc.Closed():
	case <-time.After(5 * time.Second):
		e.log.Warn("event consumer did not stop within 5s")
	}
}
