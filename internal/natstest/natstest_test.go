package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// An R3 stream keeps taking messages with a node down, and the node comes
// back on its URL and catches up.
func TestClusterSurvivesANodeRestart(t *testing.T) {
	c := Start3(t)
	require.Len(t, c.URLs, 3)
	nc, err := nats.Connect(c.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3})
	require.NoError(t, err)
	_, err = js.Publish(ctx, "t.a", []byte("1"))
	require.NoError(t, err)

	c.Shutdown(0)
	require.Nil(t, c.Server(0))
	require.Eventually(t, func() bool {
		_, err := js.Publish(ctx, "t.a", []byte("2"))
		return err == nil
	}, 20*time.Second, 100*time.Millisecond, "the stream took nothing with one node of three down")
	c.Restart(0)

	// The restarted node answers on its old URL with both messages.
	nc0, err := nats.Connect(c.URLs[0])
	require.NoError(t, err)
	defer nc0.Close()
	require.Eventually(t, func() bool {
		info, err := s.Info(ctx)
		if err != nil || info.State.Msgs < 2 {
			return false
		}
		for _, r := range info.Cluster.Replicas {
			if !r.Current {
				return false
			}
		}
		return len(info.Cluster.Replicas) == 2
	}, 20*time.Second, 100*time.Millisecond)
}
