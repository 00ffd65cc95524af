package broker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/model"
)

// Publisher puts events on the stream and returns once JetStream has
// stored every one of them.
type Publisher struct {
	js jetstream.JetStream

	mu         sync.Mutex
	partitions int // read from the stream once it exists
}

// NewPublisher wraps a JetStream context.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// Partitions is the stream's partition count, read once.
func (p *Publisher) Partitions(ctx context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.partitions > 0 {
		return p.partitions, nil
	}
	n, err := StreamPartitions(ctx, p.js)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("publish events: stream %s does not exist yet", StreamName)
	}
	p.partitions = n
	return n, nil
}

// Publish stores each event on its contact's partition subject with
// Nats-Msg-Id = its id and the source in the Scoreflow-Source header. All
// are sent before any ack is awaited, so a batch costs one round trip, not
// one per event; a contact's events keep their order on its subject.
func (p *Publisher) Publish(ctx context.Context, source string, events []*model.Event) error {
	n, err := p.Partitions(ctx)
	if err != nil {
		return err
	}
	msgs := make([]*nats.Msg, 0, len(events))
	for _, ev := range events {
		msg, err := EventMsg(ev, source, n)
		if err != nil {
			return err
		}
		msgs = append(msgs, msg)
	}
	return PublishMsgs(ctx, p.js, msgs)
}

// PublishMsgs sends every message before awaiting any ack, and returns
// once JetStream stored each: one round trip for the lot. Errors name the
// message by its Nats-Msg-Id.
func PublishMsgs(ctx context.Context, js jetstream.JetStream, msgs []*nats.Msg) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, msg := range msgs {
		f, err := js.PublishMsgAsync(msg, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			return fmt.Errorf("publish event %s: %w", msg.Header.Get(jetstream.MsgIDHeader), err)
		}
		futures = append(futures, f)
	}
	return awaitAll(ctx, futures, func(i int) string { return msgs[i].Header.Get(jetstream.MsgIDHeader) })
}

// awaitAll waits for every publish to be stored.
func awaitAll(ctx context.Context, futures []jetstream.PubAckFuture, name func(i int) string) error {
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publish event %s: %w", name(i), err)
		case <-ctx.Done():
			return fmt.Errorf("publish events: %w", ctx.Err())
		}
	}
	return nil
}
