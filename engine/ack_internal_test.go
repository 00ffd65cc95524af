package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/broker"
)

// TestAckGoesOnAfterAFailedAck: a committed batch's acks are independent;
// one that fails (here: the message was acked already) must not leave the
// rest unacked, to come again only after AckWait.
func TestAckGoesOnAfterAFailedAck(t *testing.T) {
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: t.TempDir(), Listen: "off"})
	require.NoError(t, err)
	defer srv.Shutdown()
	nc, js, err := broker.Connect("", srv, "ack-test")
	require.NoError(t, err)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ACKS", Subjects: []string{"acks.>"}})
	require.NoError(t, err)
	for _, s := range []string{"a", "b", "c"} {
		_, err := js.Publish(ctx, "acks."+s, []byte(s))
		require.NoError(t, err)
	}
	cons, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "c", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute})
	require.NoError(t, err)
	batch, err := cons.Fetch(3, jetstream.FetchMaxWait(5*time.Second))
	require.NoError(t, err)
	var msgs []pending
	for m := range batch.Messages() {
		msgs = append(msgs, pending{msg: m})
	}
	require.Len(t, msgs, 3)
	require.NoError(t, msgs[0].msg.Ack()) // its second ack fails

	e := &Engine{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e.ack(msgs)
	require.NoError(t, nc.Flush())
	assert.Eventually(t, func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.NumAckPending == 0 && info.AckFloor.Stream == 3
	}, 5*time.Second, 20*time.Millisecond, "the messages after the failed ack are acked too")
}
