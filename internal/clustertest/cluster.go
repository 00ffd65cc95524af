// Package clustertest runs Scoreflow as a cluster for tests, with real
// servers only: a NATS cluster of in-process nats-servers (routes and
// JetStream on random ports, a store directory each), a private
// PostgreSQL from internal/pgtest, and N `scoreflow serve` replicas as
// subprocesses of a binary built once. A test can SIGKILL and restart a
// replica, stop and restart a NATS node, spread HTTP calls over every
// replica and wait until the stream is applied.
package clustertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/internal/replica"
)

// DefaultReplicas is how many scoreflow serve processes the cluster
// tests (TestChaos, TestBenchReplicas) run when SCOREFLOW_CLUSTER_REPLICAS
// does not say: three replicas share the 16 partitions unevenly (6/5/5),
// so a handover moves partitions between owners of different shares.
const DefaultReplicas = 3

// EnvReplicas overrides DefaultReplicas.
const EnvReplicas = "SCOREFLOW_CLUSTER_REPLICAS"

// Replicas is the replica count of a cluster test: DefaultReplicas
// unless SCOREFLOW_CLUSTER_REPLICAS names another.
func Replicas(t testing.TB) int {
	t.Helper()
	v := os.Getenv(EnvReplicas)
	if v == "" {
		return DefaultReplicas
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("clustertest: %s=%q is not a replica count", EnvReplicas, v)
	}
	return n
}

// Options shape a cluster.
type Options struct {
	Replicas  int      // scoreflow serve processes; default 1
	NATSNodes int      // default 3
	AdminKey  string   // default "chaos-admin-key"
	Args      []string // more serve flags for every replica
}

// Cluster is a running Scoreflow cluster.
type Cluster struct {
	t        testing.TB
	NATS     *NATS
	StoreURL string
	AdminKey string
	Replicas []*replica.Process
}

// Start starts the NATS nodes, creates an empty database and starts the
// replicas, replica 0 first (it creates the stream), then the others
// together; it returns once every /readyz answers 200. Everything stops
// when the test ends.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.NATSNodes == 0 {
		o.NATSNodes = 3
	}
	if o.AdminKey == "" {
		o.AdminKey = "chaos-admin-key"
	}
	began := time.Now()
	bin := Binary(t)
	built := time.Now()
	c := &Cluster{t: t, NATS: StartNATS(t, o.NATSNodes)}
	natsUp := time.Now()
	c.StoreURL, c.AdminKey = pgtest.URL(t), o.AdminKey
	pgUp := time.Now()
	natsReplicas := min(o.NATSNodes, 3)
	for i := 0; i < o.Replicas; i++ {
		addr, err := replica.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"serve", "--store", c.StoreURL, "--nats", c.NATS.URLs(),
			"--nats-replicas", strconv.Itoa(natsReplicas), "--http", addr, "--admin-key", o.AdminKey,
			"--data", filepath.Join(t.TempDir(), "data")}
		p := &replica.Process{Name: fmt.Sprintf("replica %d", i), Bin: bin, Args: append(args, o.Args...), Env: cleanEnv(), HTTP: addr}
		c.Replicas = append(c.Replicas, p)
	}
	t.Cleanup(func() {
		for _, p := range c.Replicas {
			if p.Running() {
				_ = p.Kill()
			}
			if t.Failed() {
				t.Logf("%s output:\n%s", p.Name, lastLines(p.Output(), 60))
			}
		}
	})
	c.startReady(c.Replicas[:1], false)
	c.startReady(c.Replicas[1:], false)
	t.Logf("clustertest: binary %s, %d NATS nodes %s, PostgreSQL %s, %d replicas %s",
		built.Sub(began).Round(time.Millisecond), o.NATSNodes, natsUp.Sub(built).Round(time.Millisecond),
		pgUp.Sub(natsUp).Round(time.Millisecond), o.Replicas, time.Since(pgUp).Round(time.Millisecond))
	return c
}

// startReady starts the processes together and waits for all of them.
// A first start fails at once when a replica exits (a refusal names its
// reason); a restart retries while the engine lease of the killed process
// it replaces has not lapsed yet.
func (c *Cluster) startReady(ps []*replica.Process, retry bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errs := make(chan error, len(ps))
	for _, p := range ps {
		go func() {
			if retry {
				errs <- p.StartReady(ctx)
				return
			}
			if err := p.Start(); err != nil {
				errs <- err
				return
			}
			errs <- p.WaitReady(ctx)
		}()
	}
	for range ps {
		if err := <-errs; err != nil {
			c.t.Fatalf("clustertest: %v", err)
		}
	}
}

// Kill SIGKILLs replica i.
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	if err := c.Replicas[i].Kill(); err != nil {
		c.t.Fatalf("clustertest: %v", err)
	}
}

// Stop stops replica i with SIGTERM, as an operator does (it drains and
// hands its partitions over); it must exit 0 within 30 s.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	if err := c.Replicas[i].Stop(30 * time.Second); err != nil {
		c.t.Fatalf("clustertest: %v", err)
	}
}

// Restart starts replica i again with its flags and data directory and
// waits for its /readyz. Today a restart after SIGKILL is refused until
// the dead process's engine lease lapses (15 s); StartReady retries.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.startReady(c.Replicas[i:i+1], true)
}

// Addrs is every replica's HTTP address.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, p := range c.Replicas {
		out = append(out, p.HTTP)
	}
	return out
}

// Client spreads calls over every replica.
func (c *Cluster) Client() *Client {
	return NewClient(c.Addrs(), c.AdminKey)
}

// WaitApplied waits until every consumer of the event stream has nothing
// pending and nothing unacknowledged (the engine acks a batch once it is
// committed), seen twice in a row 200 ms apart so a consumer being
// recreated on handover does not pass for a drained one.
func (c *Cluster) WaitApplied(within time.Duration) {
	c.t.Helper()
	nc, err := nats.Connect(c.NATS.URLs(), nats.MaxReconnects(-1))
	if err != nil {
		c.t.Fatalf("clustertest: connect to nats: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatalf("clustertest: jetstream: %v", err)
	}
	deadline := time.Now().Add(within)
	calm, last := 0, ""
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		lag, err := replica.StreamLag(ctx, js)
		cancel()
		if err == nil && lag.Drained() {
			if calm++; calm >= 2 {
				return
			}
		} else {
			calm = 0
		}
		last = fmt.Sprintf("%v %v", lag, err)
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatalf("clustertest: the stream was not applied within %s: %s", within, last)
}

// cleanEnv is the environment without SCOREFLOW_ settings, so a
// developer's shell cannot change what the replicas do.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SCOREFLOW_") {
			env = append(env, kv)
		}
	}
	return env
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
