package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/model"
)

// Reader answers GET /api/v1/cluster from the cluster bucket and the
// partition consumers, so any process connected to the NATS can answer,
// whether or not it applies a partition.
type Reader struct{ js jetstream.JetStream }

// NewReader reads the cluster through js.
func NewReader(js jetstream.JetStream) *Reader { return &Reader{js: js} }

// Cluster lists the live replicas with the partitions each holds, and each
// partition's owner and backlog.
func (r *Reader) Cluster(ctx context.Context) (model.Cluster, error) {
	partitions, err := broker.StreamPartitions(ctx, r.js)
	if err != nil {
		return model.Cluster{}, err
	}
	snap := snapshot{replicas: map[string]replicaEntry{}, leases: map[int]leaseEntry{}}
	kv, err := r.js.KeyValue(ctx, Bucket)
	switch {
	case err == nil:
		if snap, err = readSnapshot(ctx, kv); err != nil {
			return model.Cluster{}, err
		}
	case !errors.Is(err, jetstream.ErrBucketNotFound): // no bucket: no replica joined yet
		return model.Cluster{}, fmt.Errorf("cluster bucket %s: %w", Bucket, err)
	}
	if partitions == 0 { // no stream yet: as the replicas were told
		for _, rep := range snap.replicas {
			partitions = max(partitions, rep.beat.Partitions)
		}
	}
	out := model.Cluster{Partitions: partitions, Replicas: []model.Replica{}, Lag: make([]model.PartitionLag, 0, partitions)}
	byID := map[string]*model.Replica{}
	for _, id := range snap.liveIDs() {
		e := snap.replicas[id]
		out.Replicas = append(out.Replicas, model.Replica{ID: id, HTTP: e.beat.HTTP, Partitions: []int{}, SeenAt: e.seenAt.UTC()})
	}
	for i := range out.Replicas {
		byID[out.Replicas[i].ID] = &out.Replicas[i]
	}
	for p := range partitions {
		owner := snap.leases[p].value.Replica
		if rep := byID[owner]; rep != nil {
			rep.Partitions = append(rep.Partitions, p)
		}
		pending, err := r.pending(ctx, p)
		if err != nil {
			return model.Cluster{}, err
		}
		out.Lag = append(out.Lag, model.PartitionLag{Partition: p, Owner: owner, Pending: pending})
	}
	for i := range out.Replicas {
		sort.Ints(out.Replicas[i].Partitions)
	}
	return out, nil
}

// pending is partition p's backlog on its consumer (0 before the consumer
// exists).
func (r *Reader) pending(ctx context.Context, p int) (uint64, error) {
	cons, err := r.js.Consumer(ctx, broker.StreamName, ConsumerName(p))
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("consumer %s: %w", ConsumerName(p), err)
	}
	info := cons.CachedInfo()
	return info.NumPending + uint64(info.NumAckPending), nil
}
