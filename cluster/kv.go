package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The cluster bucket: one heartbeat key per live replica and one lease key
// per owned partition. Keys are rewritten every Interval; the bucket's TTL
// drops those of a replica that died, so its partitions become free
// without anyone releasing them. It lives in memory (replicated on a NATS
// cluster): leases are worth nothing once the processes holding them are
// gone.
const (
	Bucket     = "SCOREFLOW_CLUSTER"
	DefaultTTL = 15 * time.Second

	replicaPrefix   = "replica."
	partitionPrefix = "partition."
)

// Heartbeat is the value of replica.<id>.
type Heartbeat struct {
	ID         string    `json:"id"`
	HTTP       string    `json:"http"`
	Store      string    `json:"store"`
	Partitions int       `json:"partitions"`
	StartedAt  time.Time `json:"started_at"`
}

// leaseValue is the value of partition.<n>. Token tells this process's
// leases from those of an earlier process that had the same replica id.
type leaseValue struct {
	Replica string `json:"replica"`
	Token   string `json:"token"`
}

func replicaKey(id string) string { return replicaPrefix + id }
func partitionKey(p int) string   { return partitionPrefix + strconv.Itoa(p) }

// ConsumerName is the durable consumer that applies partition p.
func ConsumerName(p int) string { return "scoreflow-p" + strconv.Itoa(p) }

// openBucket returns the cluster bucket, creating it when missing; created
// tells when the bucket's stream was made, so a bucket lost with a NATS
// server that restarted (and made anew) is noticed.
func openBucket(ctx context.Context, js jetstream.JetStream, ttl time.Duration, replicas int) (kv jetstream.KeyValue, created time.Time, err error) {
	kv, err = js.KeyValue(ctx, Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      Bucket,
			Description: "Scoreflow: live replicas and the partitions each applies",
			History:     1,
			TTL:         ttl,
			Storage:     jetstream.MemoryStorage,
			Replicas:    max(replicas, 1),
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // created meanwhile by another replica
			kv, err = js.KeyValue(ctx, Bucket)
		}
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cluster bucket %s: %w", Bucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cluster bucket %s status: %w", Bucket, err)
	}
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		created = bs.StreamInfo().Created
	}
	return kv, created, nil
}

// snapshot is the bucket's content at one moment.
type snapshot struct {
	replicas map[string]replicaEntry
	leases   map[int]leaseEntry
}

type replicaEntry struct {
	beat   Heartbeat
	seenAt time.Time // server time of the last heartbeat
}

type leaseEntry struct {
	value leaseValue
	rev   uint64
}

// readSnapshot reads every key of the bucket with one watcher that stops
// after the current values.
func readSnapshot(ctx context.Context, kv jetstream.KeyValue) (snapshot, error) {
	s := snapshot{replicas: map[string]replicaEntry{}, leases: map[int]leaseEntry{}}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return s, fmt.Errorf("read cluster bucket: %w", err)
	}
	// Stop deletes the watcher's consumer and waits for JetStream's own
	// timeout (5 s) when NATS does not answer: it must not hold up a round.
	defer stopWatcher(w)
	for {
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("read cluster bucket: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return s, errors.New("read cluster bucket: watcher closed")
			}
			if e == nil { // the current values are all in
				return s, nil
			}
			s.add(e)
		}
	}
}

func (s snapshot) add(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	switch k := e.Key(); {
	case strings.HasPrefix(k, replicaPrefix):
		var b Heartbeat
		if json.Unmarshal(e.Value(), &b) == nil && b.ID != "" {
			s.replicas[b.ID] = replicaEntry{beat: b, seenAt: e.Created()}
		}
	case strings.HasPrefix(k, partitionPrefix):
		p, err := strconv.Atoi(strings.TrimPrefix(k, partitionPrefix))
		var v leaseValue
		if err == nil && json.Unmarshal(e.Value(), &v) == nil {
			s.leases[p] = leaseEntry{value: v, rev: e.Revision()}
		}
	}
}

// liveIDs are the replicas with a heartbeat, sorted.
func (s snapshot) liveIDs() []string {
	ids := make([]string, 0, len(s.replicas))
	for id := range s.replicas {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// casConflict reports a compare-and-set refused by JetStream: the key was
// written (or removed) by someone else since the revision we hold.
func casConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// stopWatcher stops w in the background; the goroutine ends when NATS
// answers or JetStream's request timeout passes.
func stopWatcher(w jetstream.KeyWatcher) {
	go func() { _ = w.Stop() }()
}
