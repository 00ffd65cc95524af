package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/clustertest"
)

// Every partition is applied by exactly one replica, the counts even, on
// one NATS server and on a 3-node cluster with an R3 bucket.
func TestManagersShareEveryPartition(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d nodes", nodes), func(t *testing.T) {
			nc := clustertest.StartNATS(t, nodes)
			for _, n := range []int{1, 2, 3} {
				t.Run(fmt.Sprintf("%d replicas", n), func(t *testing.T) {
					r := newRecorder(t)
					var reps []*replica
					for i := range n {
						reps = append(reps, startReplica(t, r, nc.URLs(), fmt.Sprintf("r%d", i+1), nil))
					}
					took := waitBalanced(t, 10*time.Second, r, reps...)
					t.Logf("%d replicas balanced in %s", n, took.Round(time.Millisecond))
					for _, rep := range reps {
						rep.stop(t)
					}
					require.Empty(t, r.owner, "partitions still applied after every replica stopped")
					st, err := reps[0].m.bucket().Status(context.Background())
					require.NoError(t, err)
					require.Equal(t, nodes, st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas)
				})
			}
		})
	}
}

// A replica that stops cleanly hands its partitions over at once, well
// before its leases could lapse, and the leader's role moves with
// partition 0.
func TestStoppedReplicaHandsOverAtOnce(t *testing.T) {
	nc := clustertest.StartNATS(t, 3)
	r := newRecorder(t)
	var mu sync.Mutex
	became := map[string]int{}
	leader := func(name string) func(bool) {
		return func(on bool) {
			if on {
				mu.Lock()
				became[name]++
				mu.Unlock()
			}
		}
	}
	reps := []*replica{
		startReplica(t, r, nc.URLs(), "r1", leader("r1")),
		startReplica(t, r, nc.URLs(), "r2", leader("r2")),
		startReplica(t, r, nc.URLs(), "r3", leader("r3")),
	}
	waitBalanced(t, 10*time.Second, r, reps...)
	var gone *replica
	var rest []*replica
	for _, rep := range reps {
		if rep.m.IsLeader() && gone == nil {
			gone = rep
		} else {
			rest = append(rest, rep)
		}
	}
	mu.Lock()
	before := became[rest[0].e.name] + became[rest[1].e.name]
	mu.Unlock()
	start := time.Now()
	gone.stop(t)
	t.Logf("stop took %s", time.Since(start))
	require.Empty(t, gone.e.heldList())
	took := waitBalanced(t, testTTL, r, rest...)
	t.Logf("clean stop handed over in %s (TTL %s)", (time.Since(start)).Round(time.Millisecond), testTTL)
	require.Less(t, took, testTTL/2, "handover waited for the leases to lapse")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, before+1, became[rest[0].e.name]+became[rest[1].e.name], "the new leader was not told")
}

// A replica that dies (its NATS connection gone, nothing released) stops
// applying its partitions before its leases lapse, and the others take
// them within the TTL and a few rounds; the recorder fails the test on
// any overlap.
func TestKilledReplicaPartitionsMove(t *testing.T) {
	nc := clustertest.StartNATS(t, 3)
	r := newRecorder(t)
	reps := []*replica{
		startReplica(t, r, nc.URLs(), "r1", nil),
		startReplica(t, r, nc.URLs(), "r2", nil),
		startReplica(t, r, nc.URLs(), "r3", nil),
	}
	waitBalanced(t, 10*time.Second, r, reps...)
	killed := reps[1]
	had := killed.e.heldList()
	require.NotEmpty(t, had)
	start := time.Now()
	killed.nc.Close()
	require.Eventually(t, func() bool { return len(killed.e.heldList()) == 0 }, testTTL, 10*time.Millisecond,
		"the cut-off replica still applied partitions when its leases could lapse")
	t.Logf("the cut-off replica stopped applying its partitions after %s", time.Since(start).Round(time.Millisecond))
	took := waitBalanced(t, testTTL+3*time.Second, r, reps[0], reps[2])
	t.Logf("a killed replica's %d partitions moved in %s (TTL %s; %s after it stopped applying them)", len(had),
		time.Since(start).Round(time.Millisecond), testTTL, took.Round(time.Millisecond))
	require.Empty(t, killed.e.heldList(), "the cut-off replica still applies partitions")
	require.GreaterOrEqual(t, time.Since(start), testTTL*9/10, "partitions moved before the leases could lapse")
}

// A NATS node stopped and started again (on one server: the in-memory
// bucket is lost with it) leaves one replica per partition, and the
// replicas settle again.
func TestNATSNodeRestart(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d nodes", nodes), func(t *testing.T) {
			nc := clustertest.StartNATS(t, nodes)
			r := newRecorder(t)
			var reps []*replica
			for i := range 3 {
				// Each replica first on a different node, so one of them
				// loses its own.
				all := strings.Split(nc.URLs(), ",")
				urls := append(append([]string{}, all[i%nodes:]...), all[:i%nodes]...)
				reps = append(reps, startReplica(t, r, strings.Join(urls, ","), fmt.Sprintf("r%d", i+1), nil))
			}
			waitBalanced(t, 10*time.Second, r, reps...)
			nc.Stop(0)
			// Longer than a lease lives unrewritten: replicas cut off
			// give their partitions up.
			time.Sleep(testTTL)
			nc.Restart(0)
			took := waitBalanced(t, 3*testTTL+5*time.Second, r, reps...)
			_, js := connect(t, nc.URLs())
			waitLeasesMatch(t, js, 3*testTTL, reps...)
			t.Logf("settled %s after the node came back", took.Round(time.Millisecond))
		})
	}
}

// A partition the engine reports fenced loses its lease, and the replicas
// balance again: it is acquired afresh.
func TestLostPartitionIsDroppedAndRebalanced(t *testing.T) {
	nc := clustertest.StartNATS(t, 1)
	r := newRecorder(t)
	a := startReplica(t, r, nc.URLs(), "r1", nil)
	b := startReplica(t, r, nc.URLs(), "r2", nil)
	waitBalanced(t, 10*time.Second, r, a, b)
	p := a.e.heldList()[0]
	before := r.acquired(p)
	_, js := connect(t, nc.URLs())
	kv, err := js.KeyValue(context.Background(), Bucket)
	require.NoError(t, err)
	w, err := kv.Watch(context.Background(), partitionKey(p), jetstream.UpdatesOnly())
	require.NoError(t, err)
	defer func() { _ = w.Stop() }()
	a.e.fence(p)
	deleted := make(chan struct{})
	go func() {
		for e := range w.Updates() {
			if e != nil && e.Operation() == jetstream.KeyValueDelete {
				close(deleted)
				return
			}
		}
	}()
	select {
	case <-deleted:
	case <-time.After(5 * time.Second):
		t.Fatal("the fenced partition's lease was not given up")
	}
	require.Eventually(t, func() bool { return r.acquired(p) > before }, 5*time.Second, 10*time.Millisecond)
	waitBalanced(t, 5*time.Second, r, a, b)
}

// An Acquire the engine refuses leaves no lease: the partition is tried
// again (each try a fresh lease, which needs the last one gone) and taken
// once the engine accepts.
func TestFailedAcquireLeavesNoLease(t *testing.T) {
	nc := clustertest.StartNATS(t, 1)
	r := newRecorder(t)
	a := startReplica(t, r, nc.URLs(), "r1", nil)
	waitBalanced(t, 10*time.Second, r, a)
	require.NoError(t, a.m.Stop(context.Background()))
	var refusing atomic.Bool
	refusing.Store(true)
	e := r.engine("r2")
	e.fail = func(p int) error {
		if p == 3 && refusing.Load() {
			return errRefused
		}
		return nil
	}
	_, js := connect(t, nc.URLs())
	m, err := New(js, Options{ReplicaID: "r2", Partitions: testPartitions, TTL: testTTL, Interval: testInterval})
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background(), e))
	defer func() { require.NoError(t, m.Stop(context.Background())) }()
	require.Eventually(t, func() bool { return r.acquired(3) >= 3 }, 5*time.Second, 10*time.Millisecond)
	require.NotContains(t, m.Owned(), 3)
	require.Len(t, m.Owned(), testPartitions-1)
	kv, err := js.KeyValue(context.Background(), Bucket)
	require.NoError(t, err)
	refusing.Store(false)
	require.Eventually(t, func() bool { return len(m.Owned()) == testPartitions }, 5*time.Second, 10*time.Millisecond)
	e3, err := kv.Get(context.Background(), partitionKey(3))
	require.NoError(t, err)
	require.Contains(t, string(e3.Value()), `"replica":"r2"`)
}

// The reader lists the live replicas with their partitions and each
// partition's owner and backlog on its consumer.
func TestReaderListsReplicasAndLag(t *testing.T) {
	nc := clustertest.StartNATS(t, 1)
	_, js := connect(t, nc.URLs())
	ctx := context.Background()
	reader := NewReader(js)
	empty, err := reader.Cluster(ctx)
	require.NoError(t, err)
	require.Empty(t, empty.Replicas)
	require.Zero(t, empty.Partitions)

	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SCOREFLOW_EVENTS", Subjects: []string{"scoreflow.>"},
		Metadata: map[string]string{"scoreflow_partitions": fmt.Sprint(testPartitions)}})
	require.NoError(t, err)
	_, err = s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: ConsumerName(5), FilterSubject: "scoreflow.partition.5", AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err)
	for i := range 4 {
		_, err := js.Publish(ctx, "scoreflow.partition.5", fmt.Appendf(nil, `{"n":%d}`, i))
		require.NoError(t, err)
	}
	r := newRecorder(t)
	a := startReplica(t, r, nc.URLs(), "r1", nil)
	b := startReplica(t, r, nc.URLs(), "r2", nil)
	waitBalanced(t, 10*time.Second, r, a, b)

	cl, err := reader.Cluster(ctx)
	require.NoError(t, err)
	require.Equal(t, testPartitions, cl.Partitions)
	require.Len(t, cl.Replicas, 2)
	for i, rep := range []*replica{a, b} {
		require.Equal(t, rep.m.ReplicaID(), cl.Replicas[i].ID)
		require.Equal(t, rep.m.Owned(), cl.Replicas[i].Partitions)
		require.Equal(t, fmt.Sprintf("127.0.0.1:80%d", i+1), cl.Replicas[i].HTTP)
		require.WithinDuration(t, time.Now(), cl.Replicas[i].SeenAt, 2*time.Second)
	}
	require.Len(t, cl.Lag, testPartitions)
	for p, l := range cl.Lag {
		require.Equal(t, p, l.Partition)
		want := "r1"
		if !contains(a.m.Owned(), p) {
			want = "r2"
		}
		require.Equal(t, want, l.Owner, "partition %d", p)
		if p == 5 {
			require.EqualValues(t, 4, l.Pending)
		} else {
			require.Zero(t, l.Pending)
		}
	}

	a.m.SetHTTP(ctx, "127.0.0.1:9999")
	cl, err = reader.Cluster(ctx)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", cl.Replicas[0].HTTP)
}

func contains(ps []int, p int) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// waitLeasesMatch waits until the bucket's lease of every partition names
// the replica whose engine applies it.
func waitLeasesMatch(t *testing.T, js jetstream.JetStream, within time.Duration, reps ...*replica) {
	t.Helper()
	reader := NewReader(js)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		cl, err := reader.Cluster(context.Background())
		require.NoError(c, err)
		require.Len(c, cl.Lag, testPartitions)
		for _, rep := range reps {
			for _, p := range rep.e.heldList() {
				require.Equal(c, rep.e.name, cl.Lag[p].Owner, "partition %d", p)
			}
		}
	}, within, 50*time.Millisecond)
}

// Stopping while NATS does not answer still lets the engine go of every
// partition at once (the leases lapse with the TTL).
func TestStopWithoutNATSReleasesTheEngine(t *testing.T) {
	nc := clustertest.StartNATS(t, 1)
	r := newRecorder(t)
	a := startReplica(t, r, nc.URLs(), "r1", nil)
	waitBalanced(t, 10*time.Second, r, a)
	nc.Stop(0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	require.Error(t, a.m.Stop(ctx), "the heartbeat could not be removed: Stop says so")
	require.Less(t, time.Since(start), 3*minStep, "Stop waited on NATS for each partition")
	require.Empty(t, a.e.heldList())
	require.False(t, a.m.IsLeader())
}
