package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/model"
)

// The engine lease: one entry per event stream in a JetStream key-value
// bucket, held by the one process whose engine applies that stream. Its
// holder rewrites it every third of the bucket's TTL; a holder that dies
// stops rewriting it and JetStream drops it when the TTL lapses, so a
// restart takes it again without anyone releasing it. The bucket lives in
// memory: an embedded NATS that died with its process holds no stale lease
// when it starts again.
const (
	LeaseBucket     = "SCOREFLOW_ENGINE_LEASE"
	DefaultLeaseTTL = 15 * time.Second
)

// Holder describes the process that holds the engine lease of a stream.
type Holder struct {
	ID         string    `json:"id"`
	HTTP       string    `json:"http"`
	Store      string    `json:"store"`
	Partitions int       `json:"partitions"`
	Since      time.Time `json:"since"`
	// SeenAt is when the holder last rewrote the lease (the entry's time
	// on the NATS server, so no clock of another machine is involved).
	SeenAt time.Time `json:"-"`
}

// HeldError is the refusal to start a second engine on a stream.
type HeldError struct {
	Stream string
	Holder Holder
}

func (e *HeldError) Error() string {
	h := e.Holder
	http := h.HTTP
	if http == "" {
		http = "no listener"
	}
	return fmt.Sprintf("another scoreflow (replica %s, store %s, http %s, since %s, seen %s ago) already applies the events of stream %s on this NATS; "+
		"stop it first: on SQLite one engine applies a stream (replicas that share one need --store postgres://…)",
		h.ID, h.Store, http, h.Since.UTC().Format(time.RFC3339), time.Since(h.SeenAt).Round(time.Second), e.Stream)
}

// Lease is a held engine lease. It is rewritten in the background until
// Release.
type Lease struct {
	js       jetstream.JetStream
	ttl      time.Duration
	replicas int
	kv       jetstream.KeyValue
	key      string
	every    time.Duration
	log      *slog.Logger
	onLost   func(Holder)

	mu     sync.Mutex
	holder Holder
	rev    uint64

	stop chan struct{}
	done chan struct{}
}

// LeaseOptions configure AcquireLease.
type LeaseOptions struct {
	// TTL of the bucket when this process creates it (0 = DefaultLeaseTTL);
	// an existing bucket keeps its own.
	TTL      time.Duration
	Replicas int
	Logger   *slog.Logger
	// OnLost is called once if another process took the lease while this
	// one could not rewrite it (NATS unreachable for longer than the TTL).
	OnLost func(other Holder)
}

// AcquireLease takes the engine lease of the event stream for holder, or
// returns a *HeldError naming the process that holds it. Nothing else on
// NATS changes when it is refused.
func AcquireLease(ctx context.Context, js jetstream.JetStream, holder Holder, opts LeaseOptions) (*Lease, error) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultLeaseTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	kv, err := leaseBucket(ctx, js, opts.TTL, opts.Replicas)
	if err != nil {
		return nil, err
	}
	status, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease bucket %s status: %w", LeaseBucket, err)
	}
	l := &Lease{js: js, ttl: opts.TTL, replicas: opts.Replicas, kv: kv, key: StreamName, every: max(status.TTL()/3, 10*time.Millisecond), log: opts.Logger,
		onLost: opts.OnLost, holder: holder, stop: make(chan struct{}), done: make(chan struct{})}
	if err := l.create(ctx); err != nil {
		return nil, err
	}
	go l.run()
	return l, nil
}

// ReadLease returns the holder of the event stream's engine lease; ok is
// false when no process holds it.
func ReadLease(ctx context.Context, js jetstream.JetStream) (h Holder, ok bool, err error) {
	kv, err := js.KeyValue(ctx, LeaseBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("lease bucket %s: %w", LeaseBucket, err)
	}
	return readHolder(ctx, kv, StreamName)
}

func readHolder(ctx context.Context, kv jetstream.KeyValue, key string) (Holder, bool, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("read engine lease: %w", err)
	}
	var h Holder
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return Holder{}, false, fmt.Errorf("engine lease %s: %w", key, err)
	}
	h.SeenAt = e.Created()
	return h, true, nil
}

func leaseBucket(ctx context.Context, js jetstream.JetStream, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, LeaseBucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("lease bucket %s: %w", LeaseBucket, err)
	}
	kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      LeaseBucket,
		Description: "Scoreflow: which process applies each event stream",
		History:     1,
		TTL:         ttl,
		Storage:     jetstream.MemoryStorage,
		Replicas:    max(replicas, 1),
	})
	if errors.Is(err, jetstream.ErrBucketExists) { // created meanwhile by another process
		return js.KeyValue(ctx, LeaseBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("create lease bucket %s: %w", LeaseBucket, err)
	}
	return kv, nil
}

// create takes the lease if nobody holds it.
func (l *Lease) create(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	value, err := json.Marshal(l.holder)
	if err != nil {
		return err
	}
	rev, err := l.kv.Create(ctx, l.key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		other, ok, rerr := readHolder(ctx, l.kv, l.key)
		if rerr != nil {
			return rerr
		}
		if !ok { // lapsed between the two calls
			return fmt.Errorf("engine lease of %s changed while taking it; start again", l.key)
		}
		return &HeldError{Stream: l.key, Holder: other}
	}
	if err != nil {
		return fmt.Errorf("take engine lease of %s: %w", l.key, err)
	}
	l.rev = rev
	return nil
}

// SetHTTP records the address the API really listens on (known once it
// listens, after the lease is taken) and rewrites the lease at once.
func (l *Lease) SetHTTP(ctx context.Context, addr string) {
	l.mu.Lock()
	l.holder.HTTP = addr
	l.mu.Unlock()
	l.refresh(ctx)
}

// Holder is what this process wrote in the lease.
func (l *Lease) Holder() Holder {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder
}

func (l *Lease) run() {
	defer close(l.done)
	t := time.NewTicker(l.every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if lost := l.refresh(context.Background()); lost {
				return
			}
		}
	}
}

// refresh rewrites the lease; it reports true once another process holds
// it. A lease that lapsed while NATS was unreachable is taken again if
// nobody else took it.
func (l *Lease) refresh(parent context.Context) (lost bool) {
	// Each call has its own deadline: one that timed out while NATS was
	// away must not fail the next at once.
	step := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(parent, max(l.every, time.Second))
	}
	ctx, cancel := step()
	defer cancel()
	l.mu.Lock()
	value, err := json.Marshal(l.holder)
	if err == nil {
		var rev uint64
		if rev, err = l.kv.Update(ctx, l.key, value, l.rev); err == nil {
			l.rev = rev
		}
	}
	l.mu.Unlock()
	if err == nil {
		return false
	}
	// A NATS server restarted loses the in-memory bucket with the lease:
	// declare it again, or a new process would take a lease this one
	// could no longer see.
	ctx2, cancel2 := step()
	defer cancel2()
	cerr := l.redeclare(ctx2)
	if cerr == nil {
		ctx3, cancel3 := step()
		defer cancel3()
		cerr = l.create(ctx3)
	}
	var held *HeldError
	switch {
	case cerr == nil:
		l.log.Warn("engine lease lapsed and was taken again", "stream", l.key, "err", err)
		return false
	case errors.As(cerr, &held):
		l.log.Error("engine lease lost to another process; this engine stops", "stream", l.key, "other", held.Holder.ID, "other_store", held.Holder.Store)
		if l.onLost != nil {
			l.onLost(held.Holder)
		}
		return true
	default:
		l.log.Warn("engine lease not rewritten", "stream", l.key, "err", err, "retake", cerr)
		return false
	}
}

func (l *Lease) redeclare(ctx context.Context) error {
	kv, err := leaseBucket(ctx, l.js, l.ttl, l.replicas)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.kv = kv
	l.mu.Unlock()
	return nil
}

// Release stops rewriting the lease and deletes it, so another process
// can start at once. A lease this process no longer holds is left alone.
func (l *Lease) Release(ctx context.Context) error {
	select {
	case <-l.stop:
		return nil
	default:
	}
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.kv.Delete(ctx, l.key, jetstream.LastRevision(l.rev))
	if errors.Is(err, jetstream.ErrKeyExists) { // rewritten since by another holder
		return nil
	}
	if err != nil {
		return fmt.Errorf("release engine lease of %s: %w", l.key, err)
	}
	return nil
}

// Cluster reads who applies the event stream, from the lease, so any
// process connected to the NATS can answer. Until the partitioned engine
// exists the lease's holder owns every partition.
func Cluster(ctx context.Context, js jetstream.JetStream) (model.Cluster, error) {
	h, held, err := ReadLease(ctx, js)
	if err != nil {
		return model.Cluster{}, err
	}
	out := model.Cluster{Partitions: h.Partitions, Replicas: []model.Replica{}}
	if !held {
		if out.Partitions, err = StreamPartitions(ctx, js); err != nil {
			return model.Cluster{}, err
		}
		return out, nil
	}
	owned := make([]int, h.Partitions)
	for i := range owned {
		owned[i] = i
	}
	out.Replicas = append(out.Replicas, model.Replica{ID: h.ID, HTTP: h.HTTP, Partitions: owned, SeenAt: h.SeenAt.UTC()})
	return out, nil
}
