package app

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// partitionSet is an engine that only records what it was told to apply.
type partitionSet struct {
	mu   sync.Mutex
	held map[int]bool
	lost chan int
}

func (s *partitionSet) Acquire(_ context.Context, p int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[p] = true
	return nil
}

func (s *partitionSet) Release(_ context.Context, p int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.held, p)
	return nil
}

func (s *partitionSet) Lost() <-chan int { return s.lost }

func (s *partitionSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}

// startCluster builds the manager from the process's configuration: its
// replica id, the stream's partitions and the listener's address, as the
// partitioned reader then shows them.
func TestStartClusterJoinsWithTheProcessConfig(t *testing.T) {
	ctx := context.Background()
	a, err := Start(ctx, Config{DataDir: t.TempDir(), NATSListen: "off", HTTPAddr: "127.0.0.1:0", ReplicaID: "core-1",
		Partitions: 4, LeaseTTL: 2 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Shutdown(ctx)) }()

	parts := &partitionSet{held: map[int]bool{}, lost: make(chan int)}
	leader := make(chan bool, 1)
	m, err := a.startCluster(ctx, parts, func(on bool) { leader <- on })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return parts.count() == 4 }, 5*time.Second, 10*time.Millisecond)
	require.True(t, <-leader)

	cl, err := newClusterReader(a.JS, true).Cluster(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, cl.Partitions)
	require.Len(t, cl.Replicas, 1)
	require.Equal(t, "core-1", cl.Replicas[0].ID)
	require.Equal(t, a.HTTPAddr(), cl.Replicas[0].HTTP)
	require.Equal(t, []int{0, 1, 2, 3}, cl.Replicas[0].Partitions)
	require.Len(t, cl.Lag, 4)

	require.NoError(t, m.Stop(ctx))
	require.Zero(t, parts.count())
	require.False(t, <-leader)
	cl, err = newClusterReader(a.JS, true).Cluster(ctx)
	require.NoError(t, err)
	require.Empty(t, cl.Replicas)
	for _, l := range cl.Lag {
		require.Empty(t, l.Owner, "partition %d still leased after the manager stopped", l.Partition)
	}

	// SQLite's one engine: the engine lease answers, every partition its own.
	single, err := newClusterReader(a.JS, false).Cluster(ctx)
	require.NoError(t, err)
	require.Len(t, single.Replicas, 1)
	require.Equal(t, []int{0, 1, 2, 3}, single.Replicas[0].Partitions)
	require.Nil(t, single.Lag)
}
