package app

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/cluster"
	"github.com/scoreflow/scoreflow/store/stores"
)

// startCluster joins this process to the replicas on its NATS (CONTRACT
// §7, PostgreSQL): the manager takes this replica's share of the stream's
// partitions and drives parts (the engine) to apply them; onLeader (may be
// nil) is told when this replica starts or stops applying partition 0,
// where the router and the cluster-wide scheduled jobs run. The stream
// must exist. Config.LeaseTTL is the cluster bucket's TTL when this
// process creates it (0 = 15s). Once the API listens, call SetHTTP on the
// manager with a.HTTPAddr(); stop it (Manager.Stop) before the engine.
func (a *App) startCluster(ctx context.Context, parts cluster.Partitions, onLeader func(leader bool)) (*cluster.Manager, error) {
	target, err := stores.Resolve(a.Config.Store, a.Config.DataDir)
	if err != nil {
		return nil, err
	}
	s, err := a.JS.Stream(ctx, broker.StreamName)
	if err != nil {
		return nil, fmt.Errorf("cluster: stream %s: %w", broker.StreamName, err)
	}
	partitions, err := broker.StreamPartitions(ctx, a.JS)
	if err != nil {
		return nil, err
	}
	http := a.HTTPAddr()
	if http == "" {
		http = a.Config.HTTPAddr
	}
	m, err := cluster.New(a.JS, cluster.Options{
		ReplicaID: a.ReplicaID, HTTP: http, Partitions: partitions, Store: target.String(),
		TTL: a.Config.LeaseTTL, Replicas: s.CachedInfo().Config.Replicas, Logger: a.log, OnLeader: onLeader,
	})
	if err != nil {
		return nil, err
	}
	if err := m.Start(ctx, parts); err != nil {
		return nil, err
	}
	return m, nil
}

// newClusterReader picks what answers GET /api/v1/cluster: the cluster
// bucket where replicas share the partitions, else the engine lease of
// the one engine that applies them all (SQLite).
func newClusterReader(js jetstream.JetStream, partitioned bool) api.ClusterReader {
	if partitioned {
		return cluster.NewReader(js)
	}
	return clusterReader{js}
}

// refuseOtherKind keeps the two ways of applying a stream apart: a SQLite
// engine applies it alone (the engine lease), PostgreSQL replicas share it
// (the cluster bucket). A process of one kind refuses to start while a
// process of the other applies the stream, naming it, before it has
// touched the store or the stream.
func (a *App) refuseOtherKind(ctx context.Context, partitioned bool) error {
	if partitioned {
		h, ok, err := broker.ReadLease(ctx, a.JS)
		if err != nil || !ok {
			return err
		}
		return fmt.Errorf("scoreflow replica %s (store %s, http %s) applies the events of stream %s alone on this NATS: "+
			"a SQLite store has one engine; stop it (or copy its store here with `scoreflow store copy`) before starting PostgreSQL replicas",
			h.ID, h.Store, h.HTTP, broker.StreamName)
	}
	cl, err := cluster.NewReader(a.JS).Cluster(ctx)
	if err != nil || len(cl.Replicas) == 0 {
		return err
	}
	ids := make([]string, 0, len(cl.Replicas))
	for _, r := range cl.Replicas {
		ids = append(ids, r.ID+" ("+r.HTTP+")")
	}
	return fmt.Errorf("PostgreSQL replicas %v share the events of stream %s on this NATS: a SQLite engine cannot join them; "+
		"start this process with --store postgres://… (their store) or on another NATS", ids, broker.StreamName)
}
