package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/model"
)

// router moves plain NATS publishes on scoreflow.events.> (CONTRACT §2) to
// their partition's subject. The owner of partition 0 runs it. Each
// message is re-published with Nats-Msg-Id route/<stream seq> and acked
// once JetStream stored the copy, in order; a copy made twice (a handover
// past the duplicate window) carries the same event id, which the store's
// applied-id record skips.
type router struct {
	cc      jetstream.ConsumeContext
	routed  chan routedMsg
	done    chan struct{}
	stopped sync.Once
}

type routedMsg struct {
	orig jetstream.Msg
	fut  jetstream.PubAckFuture
}

// routeKey is what the router reads of a raw body: the partition key and
// whether id and timestamp are given.
type routeKey struct {
	ID          string    `json:"id"`
	ContactID   string    `json:"contact_id"`
	Email       string    `json:"email"`
	AnonymousID string    `json:"anonymous_id"`
	Timestamp   time.Time `json:"timestamp"`
}

func (e *Engine) startRouter(ctx context.Context) error {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	if e.router != nil {
		return nil
	}
	cons, err := broker.ResetRouter(ctx, e.stream, e.maxAckPending())
	if err != nil {
		return err
	}
	r := &router{routed: make(chan routedMsg, 4*e.batchSize), done: make(chan struct{})}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		out, err := e.routeMsg(m)
		if err != nil {
			e.log.Warn("route raw event", "err", err)
			_ = m.Nak()
			return
		}
		fut, err := e.js.PublishMsgAsync(out, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			e.log.Warn("route raw event", "subject", m.Subject(), "err", err)
			_ = m.Nak()
			return
		}
		select {
		case r.routed <- routedMsg{orig: m, fut: fut}:
		case <-r.done:
		}
	}, jetstream.PullMaxMessages(e.pullSize()), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		e.log.Warn("router consumer", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", broker.RouterName, err)
	}
	r.cc = cc
	go r.ackRouted(e)
	e.router = r
	return nil
}

// ackRouted acks each raw message once its copy is stored.
func (r *router) ackRouted(e *Engine) {
	for {
		select {
		case rm := <-r.routed:
			select {
			case <-rm.fut.Ok():
				_ = rm.orig.Ack()
			case err := <-rm.fut.Err():
				// Redelivered after AckWait; its copy's id makes a repeat harmless.
				e.log.Warn("route raw event", "subject", rm.orig.Subject(), "err", err)
				_ = rm.orig.Nak()
			case <-r.done:
				return
			}
		case <-r.done:
			return
		}
	}
}

func (e *Engine) stopRouter() {
	e.rmu.Lock()
	r := e.router
	e.router = nil
	e.rmu.Unlock()
	if r == nil {
		return
	}
	r.stopped.Do(func() {
		close(r.done)
		r.cc.Stop()
		select {
		case <-r.cc.Closed():
		case <-time.After(5 * time.Second):
			e.log.Warn("router consumer did not stop within 5s")
		}
	})
}

// routeMsg is the copy of a raw message on its partition's subject: the
// body unchanged, the id and timestamp the engine derives for a raw publish
// (CONTRACT §2) made explicit in headers when the body has none, the old
// subject's tokens after scoreflow.events. as the source.
func (e *Engine) routeMsg(m jetstream.Msg) (*nats.Msg, error) {
	md, err := m.Metadata()
	if err != nil {
		return nil, fmt.Errorf("message metadata: %w", err)
	}
	out := &nats.Msg{Data: m.Data(), Header: nats.Header{}}
	out.Header.Set(jetstream.MsgIDHeader, "route/"+strconv.FormatUint(md.Sequence.Stream, 10))
	// The whole subject after scoreflow.events., so a dead event names the
	// subject it was published to (scoreflow.events.shop.orders too).
	out.Header.Set(broker.SourceHeader, strings.TrimPrefix(m.Subject(), broker.SubjectPrefix))
	var k routeKey
	if err := gojson.Unmarshal(m.Data(), &k); err != nil {
		// Not an event: partition 0's owner records it as dead.
		out.Subject = broker.PartitionSubject(0)
		return out, nil
	}
	out.Subject = broker.PartitionSubject(broker.PartitionOf(broker.PartitionKey(&model.Event{
		ContactID: k.ContactID, Email: k.Email, AnonymousID: k.AnonymousID}), e.parts))
	if k.ID == "" {
		id := m.Headers().Get(jetstream.MsgIDHeader)
		if id == "" {
			id = e.rawID(md.Sequence.Stream)
		}
		out.Header.Set(broker.EventIDHeader, id)
	}
	if k.Timestamp.IsZero() {
		out.Header.Set(broker.EventTimeHeader, md.Timestamp.UTC().Format(time.RFC3339Nano))
	}
	return out, nil
}
