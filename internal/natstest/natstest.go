// Package natstest starts real nats-servers with JetStream inside a test
// binary: one server, or several clustered over routes on loopback, so
// tests can stop and restart a node under a running client. Each node
// keeps its client port, cluster port and store directory across Restart,
// as a node of a real cluster does, so the URLs handed out stay valid.
package natstest

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a set of nats-servers started for one test. It is shut down
// when the test ends.
type Cluster struct {
	t       testing.TB
	mu      sync.Mutex
	opts    []*server.Options
	servers []*server.Server // nil while a node is shut down
	// URLs are the client URLs of the nodes, in node order.
	URLs []string
}

// Start3 starts a cluster of three JetStream nodes and waits until it has
// a JetStream meta leader.
func Start3(t testing.TB) *Cluster { return Start(t, 3) }

// Start starts n nodes (n = 1: a single server, no cluster) and waits
// until JetStream is ready on them.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	clientPorts, routePorts := freePorts(t, n), freePorts(t, n)
	routes := make([]string, n)
	for i := range routes {
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", routePorts[i])
	}
	c := &Cluster{t: t, opts: make([]*server.Options, n), servers: make([]*server.Server, n), URLs: make([]string, n)}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoSigs:     true,
			NoLog:      true,
			MaxPayload: 8 << 20,
		}
		if n > 1 {
			o.Cluster = server.ClusterOpts{Name: "scoreflow-test", Host: "127.0.0.1", Port: routePorts[i]}
			o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		}
		c.opts[i] = o
		c.URLs[i] = fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i])
	}
	t.Cleanup(c.shutdownAll)
	// Started together: a node of a cluster waits for its peers before
	// JetStream is ready.
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { c.start(i) })
	}
	wg.Wait()
	c.waitReady()
	return c
}

// URL is every node's client URL, comma-separated, as nats.Connect takes it.
func (c *Cluster) URL() string { return strings.Join(c.URLs, ",") }

// Server returns node i (nil while it is shut down).
func (c *Cluster) Server(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[i]
}

// Shutdown stops node i and waits for it.
func (c *Cluster) Shutdown(i int) {
	c.mu.Lock()
	s := c.servers[i]
	c.servers[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Restart starts node i again (after Shutdown) on its ports and store, and
// waits until the cluster has a JetStream meta leader again.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Shutdown(i)
	c.start(i)
	c.waitReady()
}

func (c *Cluster) start(i int) {
	o := *c.opts[i] // a server keeps and changes the options it was given
	s, err := server.NewServer(&o)
	if err != nil {
		c.t.Errorf("natstest: node %d: %v", i, err)
		return
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		s.Shutdown()
		c.t.Errorf("natstest: node %d not ready within 20s", i)
		return
	}
	c.mu.Lock()
	c.servers[i] = s
	c.mu.Unlock()
}

// waitReady waits until every running node is routed to every other and
// one of them leads the JetStream meta group.
func (c *Cluster) waitReady() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		var up []*server.Server
		for _, s := range c.servers {
			if s != nil {
				up = append(up, s)
			}
		}
		c.mu.Unlock()
		if c.ready(up) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	c.t.Fatalf("natstest: cluster not ready within 30s")
}

func (c *Cluster) ready(up []*server.Server) bool {
	if len(c.servers) == 1 {
		return len(up) == 1 && up[0].JetStreamEnabled()
	}
	leader := false
	for _, s := range up {
		if s.NumRoutes() < len(up)-1 || !s.JetStreamEnabled() {
			return false
		}
		leader = leader || s.JetStreamIsLeader()
	}
	if !leader {
		return false
	}
	for _, s := range up {
		if !s.JetStreamIsCurrent() {
			return false
		}
	}
	return true
}

func (c *Cluster) shutdownAll() {
	for i := range c.servers {
		c.Shutdown(i)
	}
}

// freePorts finds n free loopback ports. They are fixed before the nodes
// start, as each node's routes name every node's cluster port and a
// restarted node must come back on the ports its clients know.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	ls := make([]net.Listener, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: free port: %v", err)
		}
		ls[i] = l
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}
