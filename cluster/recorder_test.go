package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// recorder stands for the engines of all the replicas of a test: it knows
// which replica applies each partition and fails the test the moment two
// apply one.
type recorder struct {
	t        testing.TB
	mu       sync.Mutex
	owner    map[int]string
	acquires map[int]int
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, owner: map[int]string{}, acquires: map[int]int{}}
}

// engine is one replica's engine as the manager drives it.
type engine struct {
	r    *recorder
	name string
	lost chan int
	held map[int]bool
	// fail, when set, refuses Acquire of the partitions it returns an error for.
	fail func(p int) error
}

func (r *recorder) engine(name string) *engine {
	return &engine{r: r, name: name, lost: make(chan int, 16), held: map[int]bool{}}
}

func (e *engine) Acquire(_ context.Context, p int) error {
	e.r.mu.Lock()
	defer e.r.mu.Unlock()
	if e.fail != nil {
		if err := e.fail(p); err != nil {
			e.r.acquires[p]++
			return err
		}
	}
	if o, ok := e.r.owner[p]; ok && o != e.name {
		e.r.t.Errorf("partition %d acquired by %s while %s applies it", p, e.name, o)
	}
	if e.held[p] {
		e.r.t.Errorf("partition %d acquired twice by %s", p, e.name)
	}
	e.r.owner[p] = e.name
	e.r.acquires[p]++
	e.held[p] = true
	return nil
}

func (e *engine) Release(_ context.Context, p int) error {
	e.r.mu.Lock()
	defer e.r.mu.Unlock()
	if !e.held[p] {
		e.r.t.Errorf("partition %d released by %s, which does not apply it", p, e.name)
	}
	delete(e.held, p)
	if e.r.owner[p] == e.name {
		delete(e.r.owner, p)
	}
	return nil
}

func (e *engine) Lost() <-chan int { return e.lost }

// fence is the engine finding p fenced: it stops applying p and says so.
func (e *engine) fence(p int) {
	e.r.mu.Lock()
	delete(e.held, p)
	if e.r.owner[p] == e.name {
		delete(e.r.owner, p)
	}
	e.r.mu.Unlock()
	e.lost <- p
}

func (e *engine) setFail(f func(p int) error) {
	e.r.mu.Lock()
	e.fail = f
	e.r.mu.Unlock()
}

func (e *engine) heldList() []int {
	e.r.mu.Lock()
	defer e.r.mu.Unlock()
	var ps []int
	for p := range e.held {
		ps = append(ps, p)
	}
	sort.Ints(ps)
	return ps
}

func (r *recorder) acquired(p int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acquires[p]
}

// replica is one manager of a test with its engine and connection.
type replica struct {
	m  *Manager
	e  *engine
	nc *nats.Conn
}

const testPartitions = 16

// The tests run with short leases; SCOREFLOW_CLUSTER_TTL=15s runs them with
// that TTL and the default interval, to measure handovers as deployed.
var (
	testTTL      = 3 * time.Second
	testInterval = 200 * time.Millisecond
)

func TestMain(m *testing.M) {
	if v := os.Getenv("SCOREFLOW_CLUSTER_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, "SCOREFLOW_CLUSTER_TTL:", err)
			os.Exit(2)
		}
		testTTL, testInterval = d, DefaultInterval
	}
	os.Exit(m.Run())
}

func connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return nc, js
}

func startReplica(t testing.TB, r *recorder, url, name string, onLeader func(bool)) *replica {
	t.Helper()
	nc, js := connect(t, url)
	m, err := New(js, Options{ReplicaID: name, HTTP: "127.0.0.1:80" + name[len(name)-1:], Partitions: testPartitions,
		Store: "postgres test", TTL: testTTL, Interval: testInterval, Replicas: len(nc.Servers()), OnLeader: onLeader,
		Logger: testLogger(t)})
	require.NoError(t, err)
	e := r.engine(name)
	require.NoError(t, m.Start(context.Background(), e))
	rep := &replica{m: m, e: e, nc: nc}
	t.Cleanup(func() { rep.stop(t) })
	return rep
}

func (rep *replica) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := rep.m.Stop(ctx)
	if rep.nc.IsConnected() {
		require.NoError(t, err)
	}
}

// balanced reports whether every partition is applied by exactly one of
// reps, counts differ by at most one, and each manager's view matches its
// engine's.
func balanced(r *recorder, reps ...*replica) error {
	seen := map[int]string{}
	lo, hi := testPartitions, 0
	for _, rep := range reps {
		held := rep.e.heldList()
		if fmt.Sprint(held) != fmt.Sprint(rep.m.Owned()) {
			return fmt.Errorf("%s: engine applies %v, manager owns %v", rep.e.name, held, rep.m.Owned())
		}
		for _, p := range held {
			if o, ok := seen[p]; ok {
				return fmt.Errorf("partition %d applied by %s and %s", p, o, rep.e.name)
			}
			seen[p] = rep.e.name
		}
		lo, hi = min(lo, len(held)), max(hi, len(held))
	}
	if len(seen) != testPartitions {
		return fmt.Errorf("%d of %d partitions applied", len(seen), testPartitions)
	}
	if hi-lo > 1 {
		return fmt.Errorf("unbalanced: %d to %d partitions per replica", lo, hi)
	}
	leaders := 0
	for _, rep := range reps {
		if rep.m.IsLeader() {
			leaders++
			if seen[0] != rep.e.name {
				return fmt.Errorf("%s leads without partition 0", rep.e.name)
			}
		}
	}
	if leaders != 1 {
		return fmt.Errorf("%d leaders", leaders)
	}
	return nil
}

// waitBalanced waits until balanced holds and returns how long it took.
func waitBalanced(t testing.TB, within time.Duration, r *recorder, reps ...*replica) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < within {
		if err = balanced(r, reps...); err == nil {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not balanced within %s: %v", within, err)
	return 0
}

var errRefused = errors.New("store refused the epoch")

// testLogger writes the managers' logs to the test's log (shown when it
// fails or with -v).
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
