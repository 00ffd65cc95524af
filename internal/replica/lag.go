package replica

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
)

// Lag is what the event stream's consumers still have to do, whichever
// consumers the engine runs (one today; a router and one per partition
// with the partitioned engine): the engine acks a batch once it is
// committed, so nothing pending and nothing unacknowledged means every
// published event is applied.
type Lag struct {
	Messages  uint64 // in the stream
	Consumers []string
	Pending   int // not delivered yet
	Unacked   int // delivered, not acknowledged
	// Busy names the consumers with work left and what (for a failure).
	Busy []string
}

// Drained says the stream has consumers and none has work left.
func (l Lag) Drained() bool { return len(l.Consumers) > 0 && l.Pending == 0 && l.Unacked == 0 }

func (l Lag) String() string {
	return fmt.Sprintf("%d messages, %d consumers (%s): %d pending, %d unacknowledged [%s]",
		l.Messages, len(l.Consumers), strings.Join(l.Consumers, ","), l.Pending, l.Unacked, strings.Join(l.Busy, "; "))
}

// StreamLag reads the lag of stream SCOREFLOW_EVENTS.
func StreamLag(ctx context.Context, js jetstream.JetStream) (Lag, error) {
	s, err := js.Stream(ctx, broker.StreamName)
	if err != nil {
		return Lag{}, fmt.Errorf("look up stream %s: %w", broker.StreamName, err)
	}
	l := Lag{Messages: s.CachedInfo().State.Msgs}
	infos := s.ListConsumers(ctx)
	for ci := range infos.Info() {
		l.Consumers = append(l.Consumers, ci.Name)
		l.Pending += int(ci.NumPending)
		l.Unacked += ci.NumAckPending
		if ci.NumPending > 0 || ci.NumAckPending > 0 {
			l.Busy = append(l.Busy, fmt.Sprintf("%s: %d pending, %d unacked, ack floor %d, delivered %d, %d waiting pulls",
				ci.Name, ci.NumPending, ci.NumAckPending, ci.AckFloor.Stream, ci.Delivered.Stream, ci.NumWaiting))
		}
	}
	if err := infos.Err(); err != nil {
		return l, fmt.Errorf("list consumers of %s: %w", broker.StreamName, err)
	}
	return l, nil
}
