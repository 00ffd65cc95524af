package broker

import (
	"context"
	"encoding/json"
	"fmt"

	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/model"
)

// Publisher puts events on the stream and returns once JetStream has
// stored every one of them.
type Publisher struct {
	js jetstream.JetStream
}

// NewPublisher wraps a JetStream context.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// Publish stores events under scoreflow.events.<source>, each with
// Nats-Msg-Id = its id. All are sent before any ack is awaited, so a batch
// costs one round trip, not one per event.
func (p *Publisher) Publish(ctx context.Context, source string, events []*model.Event) error {
	futures := make([]jetstream.PubAckFuture, 0, len(events))
	subject := SubjectPrefix + source
	for _, ev := range events {
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", ev.ID, err)
		}
		msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, ev.ID)
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			return fmt.Errorf("publish event %s: %w", ev.ID, err)
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publish event %s: %w", events[i].ID, err)
		case <-ctx.Done():
			return fmt.Errorf("publish events: %w", ctx.Err())
		}
	}
	return nil
}
