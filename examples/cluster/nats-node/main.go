// Command nats-node runs one node of a NATS cluster with JetStream, for
// trying a Scoreflow cluster on machines without nats-server installed:
// it is the nats-server library Scoreflow already embeds, started with
// routes to the other nodes. Three of them, each told the others' route
// addresses, make the 3-node cluster an R3 event stream needs:
//
//	go run ./examples/cluster/nats-node --name n1 --port 4222 --cluster-port 6222 \
//	    --routes nats-route://127.0.0.1:6222,nats-route://127.0.0.1:6223,nats-route://127.0.0.1:6224 \
//	    --store-dir ./cluster-data/n1
//
// In production run the real nats-server (same flags: -n, -p, -cluster,
// -routes, -js -sd) under your service manager; this is a convenience.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	name := flag.String("name", "", "server name, unique in the cluster (required)")
	host := flag.String("host", "127.0.0.1", "address to listen on, for clients and routes")
	port := flag.Int("port", 4222, "client port")
	clusterPort := flag.Int("cluster-port", 0, "route port for the other nodes (default: client port + 2000)")
	clusterName := flag.String("cluster", "scoreflow", "cluster name, the same on every node")
	routes := flag.String("routes", "", "comma-separated route URLs of the nodes (nats-route://host:port); this node's own is ignored")
	storeDir := flag.String("store-dir", "", "JetStream file store directory (required)")
	monitorPort := flag.Int("monitor-port", 0, "HTTP monitoring port, GET /healthz is 200 once JetStream is usable (default: client port + 4000; -1 = off)")
	flag.Parse()
	if *name == "" || *storeDir == "" {
		fmt.Fprintln(os.Stderr, "nats-node: --name and --store-dir are required")
		flag.Usage()
		os.Exit(2)
	}
	if *clusterPort == 0 {
		*clusterPort = *port + 2000
	}
	if *monitorPort == 0 {
		*monitorPort = *port + 4000
	}
	opts := &server.Options{
		ServerName: *name,
		Host:       *host,
		Port:       *port,
		JetStream:  true,
		StoreDir:   *storeDir,
		Cluster:    server.ClusterOpts{Name: *clusterName, Host: *host, Port: *clusterPort},
		Routes:     server.RoutesFromStr(*routes),
		HTTPHost:   *host,
		HTTPPort:   max(*monitorPort, 0),
		NoSigs:     true, // the signals are handled below: a clean shutdown on SIGINT/SIGTERM
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats-node:", err)
		os.Exit(1)
	}
	ns.ConfigureLogger()
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		fmt.Fprintf(os.Stderr, "nats-node: %s did not start listening on %s:%d\n", *name, *host, *port)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		ns.Shutdown()
	}()
	ns.WaitForShutdown()
}
