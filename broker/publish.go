package broker

import (
	"context"
	"fmt"
	"sync"
	"time"

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
	futures := make([]jetstream.PubAckFuture, 0, len(events))
	for _, ev := range events {
		msg, err := EventMsg(ev, source, n)
		if err != nil {
			return err
		}
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			return fmt.Errorf("publish event %s: %w", ev.ID, err)
		}
		futures = append(futures, f)
	}
	return awaitAll(ctx, futures, func(i int) string { return events[i].ID })
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
