package clustertest

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATS is a cluster of in-process nats-servers with JetStream, each with
// its own store directory, client port and route port. Ports are chosen
// once, so a node that is stopped and started again comes back at the
// same address with the same stream data, and clients holding the
// cluster's URLs reconnect to it.
type NATS struct {
	t     testing.TB
	mu    sync.Mutex
	opts  []*server.Options
	nodes []*server.Server // nil while stopped
}

// StartNATS starts n clustered nodes (n >= 3 gives JetStream a quorum
// that survives one node; n = 1 is one server without a cluster) and
// waits until JetStream has a meta leader that sees every peer. The
// nodes are shut down when the test ends.
func StartNATS(t testing.TB, n int) *NATS {
	t.Helper()
	c := &NATS{t: t}
	clientPorts, routePorts := freePorts(t, n), freePorts(t, n)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	base := t.TempDir()
	for i := 0; i < n; i++ {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   filepath.Join(base, fmt.Sprintf("n%d", i+1)),
			NoSigs:     true,
			NoLog:      true,
			// Scoreflow's HTTP batches travel as one message of up to a few MiB.
			MaxPayload: 8 << 20,
		}
		if n > 1 { // n = 1: a single server, as one NATS outside a cluster
			o.Cluster = server.ClusterOpts{Name: "scoreflow-test", Host: "127.0.0.1", Port: routePorts[i]}
			o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		}
		c.opts = append(c.opts, o)
		c.nodes = append(c.nodes, nil)
	}
	t.Cleanup(c.shutdown)
	for i := range c.opts {
		c.start(i)
	}
	c.WaitJetStream(30 * time.Second)
	return c
}

// freePorts finds n distinct free loopback ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("clustertest: free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func (c *NATS) start(i int) {
	c.t.Helper()
	opts := *c.opts[i] // a server keeps and changes its options
	s, err := server.NewServer(&opts)
	if err != nil {
		c.t.Fatalf("clustertest: nats node %d: %v", i+1, err)
	}
	go s.Start()
	if !s.ReadyForConnections(15 * time.Second) {
		s.Shutdown()
		c.t.Fatalf("clustertest: nats node %d not ready within 15s", i+1)
	}
	c.mu.Lock()
	c.nodes[i] = s
	c.mu.Unlock()
}

// URLs is every node's client URL, comma-separated, as --nats takes them.
func (c *NATS) URLs() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, "nats://127.0.0.1:"+strconv.Itoa(o.Port))
	}
	return strings.Join(urls, ",")
}

// Len is the number of nodes, running or not.
func (c *NATS) Len() int { return len(c.opts) }

// Stop shuts node i down (its clients move to the other nodes).
func (c *NATS) Stop(i int) {
	c.mu.Lock()
	s := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Restart starts a stopped node i again on its ports and store directory,
// and waits until JetStream sees every peer again.
func (c *NATS) Restart(i int) {
	c.t.Helper()
	c.start(i)
	c.WaitJetStream(30 * time.Second)
}

// WaitJetStream waits for a JetStream meta leader that counts every
// running node as a peer.
func (c *NATS) WaitJetStream(within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		running := 0
		var leader *server.Server
		for _, s := range c.nodes {
			if s == nil {
				continue
			}
			running++
			if len(c.opts) == 1 && s.JetStreamEnabled() {
				leader = s // a single server has no meta group
			}
			if s.JetStreamIsLeader() {
				leader = s
			}
		}
		c.mu.Unlock()
		if leader != nil && (len(c.opts) == 1 || len(leader.JetStreamClusterPeers()) == running) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("clustertest: JetStream of the nats cluster not formed within %s", within)
}

func (c *NATS) shutdown() {
	for i := range c.opts {
		c.Stop(i)
	}
}
