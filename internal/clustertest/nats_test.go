package clustertest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/clustertest"
)

// TestNATSNodeStopRestart: an R3 stream keeps taking messages with a
// node down, and the node comes back at its address with its replica of
// the stream caught up.
func TestNATSNodeStopRestart(t *testing.T) {
	c := clustertest.StartNATS(t, 3)
	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // elections are slow under -race on a loaded machine
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3})
	require.NoError(t, err)
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			for {
				// Each attempt has its own deadline: a publish whose ack was
				// lost with the stopped node would otherwise wait out the
				// test's, and the loop could never retry. The message id
				// makes a retry of a stored message a duplicate.
				attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
				_, err := js.Publish(attempt, "t.x", []byte(fmt.Sprint(i)), jetstream.WithMsgID(fmt.Sprint(i)))
				cancelAttempt()
				if err == nil {
					break
				}
				require.NoError(t, ctx.Err(), "publish %d: %v", i, err)
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	publish(0, 50)
	c.Stop(0)
	publish(50, 100)
	c.Restart(0)

	// The restarted node answers at its old address on its own.
	first, _, _ := strings.Cut(c.URLs(), ",")
	direct, err := nats.Connect(first)
	require.NoError(t, err)
	direct.Close()
	require.Eventually(t, func() bool {
		info, err := s.Info(ctx)
		if err != nil || info.State.Msgs != 100 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			return false
		}
		for _, r := range info.Cluster.Replicas {
			if !r.Current || r.Offline {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "the stream has its 100 messages on three current replicas")
	info, err := s.Info(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 100, info.State.Msgs)
}
