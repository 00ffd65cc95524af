// Package cluster shares the partitions of the event stream among the
// Scoreflow replicas on one NATS with JetStream's own tools: a key-value
// bucket holds each live replica's heartbeat and each partition's lease,
// taken and kept by compare-and-set on the key's revision; the bucket's
// TTL drops a dead replica's keys. No consensus of our own: JetStream
// orders the writes. The Manager decides which partitions this replica
// applies and tells the engine through Partitions; the Reader answers
// GET /api/v1/cluster from the bucket in any process.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Partitions is the engine as the manager drives it.
type Partitions interface {
	// Acquire starts applying p (claiming its epoch in the store first).
	Acquire(ctx context.Context, p int) error
	// Release stops applying p; it returns once no batch of p is in flight.
	Release(ctx context.Context, p int) error
	// Lost reports partitions the engine found fenced (another replica
	// claimed them): it already stopped applying them.
	Lost() <-chan int
}

// ManyAcquirer is an engine that can start applying several partitions in
// one step: it claims them all before it consumes any, so no early event
// finds a contact of a partition it is about to own still unowned (a lone
// replica takes all sixteen at once and reads them as one).
type ManyAcquirer interface {
	AcquireMany(ctx context.Context, ps []int) error
}

// DefaultInterval is how often heartbeats and leases are rewritten and the
// partitions re-balanced.
const DefaultInterval = 2 * time.Second

// Options configure a Manager.
type Options struct {
	ReplicaID  string
	HTTP       string // the API's address, shown in GET /api/v1/cluster
	Partitions int    // of the stream (broker.StreamPartitions)
	Store      string // the store, without secrets (stores.Target.String)
	// TTL of the bucket when this replica creates it (0 = DefaultTTL); an
	// existing bucket keeps its own, and the manager goes by that one.
	TTL time.Duration
	// Interval between rounds (0 = DefaultInterval; at most a fifth of the TTL).
	Interval time.Duration
	// Replicas of the bucket when this replica creates it (the stream's).
	Replicas int
	Logger   *slog.Logger
	// OnLeader is called when this replica becomes the leader (it applies
	// partition 0: the router and the cluster-wide scheduled jobs run
	// there) and when it stops being it. It runs on the manager's
	// goroutine: start or stop work, don't wait on it.
	OnLeader func(leader bool)
}

// Manager holds this replica's heartbeat and partition leases and keeps the
// partitions balanced over the live replicas.
type Manager struct {
	js    jetstream.JetStream
	opts  Options
	log   *slog.Logger
	token string

	mu      sync.Mutex // guards beat, kv, bucketCreated
	beat    Heartbeat
	kv      jetstream.KeyValue
	created time.Time

	// Rounds run on one goroutine (run, then Stop): the fields below are
	// its own.
	parts        Partitions
	ttl          time.Duration
	interval     time.Duration
	releaseAfter time.Duration
	held         map[int]*lease
	cooldown     map[int]time.Time
	noTakeUntil  time.Time

	owned  atomic.Pointer[[]int]
	leader atomic.Bool

	trigger chan struct{}
	stop    chan struct{}
	done    chan struct{}
	settled chan struct{} // closed after the first round: this replica took its first share
	// life ends when Stop is called: the watch and any NATS call of a
	// round in flight end with it.
	life       context.Context
	cancelLife context.CancelFunc
	watchDone  chan struct{}
	stopOnce   sync.Once
}

// lease is a partition key this replica wrote. okAt is when the last
// write that succeeded was sent: the key lives at least TTL after it.
type lease struct {
	rev  uint64
	okAt time.Time
}

// validID is what a JetStream key may hold (replica.<id>), without a
// leading or trailing dot.
var validID = regexp.MustCompile(`^[-/_=a-zA-Z0-9]([-/_=.a-zA-Z0-9]*[-/_=a-zA-Z0-9])?$`)

// New prepares a manager; Start joins the cluster.
func New(js jetstream.JetStream, opts Options) (*Manager, error) {
	if !validID.MatchString(opts.ReplicaID) {
		return nil, fmt.Errorf("cluster: replica id %q: letters, digits and - _ . = / only (it names a key of the %s bucket)", opts.ReplicaID, Bucket)
	}
	if opts.Partitions < 1 {
		return nil, fmt.Errorf("cluster: %d partitions", opts.Partitions)
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	m := &Manager{js: js, opts: opts, log: opts.Logger.With("replica", opts.ReplicaID), token: hex.EncodeToString(b),
		beat:     Heartbeat{ID: opts.ReplicaID, HTTP: opts.HTTP, Store: opts.Store, Partitions: opts.Partitions, StartedAt: time.Now().UTC()},
		held:     map[int]*lease{},
		cooldown: map[int]time.Time{},
		trigger:  make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), settled: make(chan struct{}), watchDone: make(chan struct{}),
	}
	m.owned.Store(&[]int{})
	return m, nil
}

// Start opens (or creates) the bucket, writes the heartbeat and starts
// taking partitions in the background.
func (m *Manager) Start(ctx context.Context, parts Partitions) error {
	kv, created, err := openBucket(ctx, m.js, m.opts.TTL, m.opts.Replicas)
	if err != nil {
		return err
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return fmt.Errorf("cluster bucket %s status: %w", Bucket, err)
	}
	m.ttl = st.TTL()
	if m.ttl <= 0 {
		return fmt.Errorf("cluster bucket %s has no TTL: a dead replica's leases would never lapse; delete the bucket (nats kv del %s)", Bucket, Bucket)
	}
	m.interval = min(m.opts.Interval, m.ttl/5)
	// A lease not rewritten for this long is given up: the engine stops
	// applying it before the key can lapse and another replica take it.
	m.releaseAfter = m.ttl - max(m.ttl/3, 2*m.interval)
	m.mu.Lock()
	m.kv, m.created = kv, created
	m.mu.Unlock()
	if err := m.heartbeat(ctx); err != nil {
		return err
	}
	m.parts = parts
	m.life, m.cancelLife = context.WithCancel(context.Background())
	go m.watch(m.life)
	go m.run()
	return nil
}

// Settled is closed once the first round ended: a replica alone owns
// every partition then, one joining others whatever was free.
func (m *Manager) Settled() <-chan struct{} { return m.settled }

// SetHTTP records the address the API listens on (known once it listens)
// and rewrites the heartbeat at once.
func (m *Manager) SetHTTP(ctx context.Context, addr string) {
	m.mu.Lock()
	m.beat.HTTP = addr
	started := m.kv != nil
	m.mu.Unlock()
	if started {
		if err := m.heartbeat(ctx); err != nil {
			m.log.Warn("cluster heartbeat not written", "err", err)
		}
	}
}

// IsLeader reports whether this replica applies partition 0.
func (m *Manager) IsLeader() bool { return m.leader.Load() }

// Owned lists the partitions this replica applies, in order.
func (m *Manager) Owned() []int { return slices.Clone(*m.owned.Load()) }

// ReplicaID names this replica.
func (m *Manager) ReplicaID() string { return m.opts.ReplicaID }

// Stop removes the heartbeat, then releases every partition (the engine
// first, then the lease, so another replica takes it at once), partition 0
// last. A partition the engine fails to release keeps its lease until
// the bucket's TTL drops it.
func (m *Manager) Stop(ctx context.Context) error {
	var errs []error
	m.stopOnce.Do(func() {
		close(m.stop)
		if m.parts == nil { // never started
			return
		}
		m.cancelLife()
		<-m.done
		<-m.watchDone
		m.mu.Lock()
		kv := m.kv
		m.mu.Unlock()
		// The heartbeat goes first: the others count this replica out at
		// once and take each partition as soon as it is released. When
		// NATS does not answer, the engine still lets go of every partition
		// at once, and the leases lapse with the TTL.
		hctx, cancel := context.WithTimeout(ctx, max(m.interval, minStep))
		err := kv.Delete(hctx, replicaKey(m.opts.ReplicaID))
		cancel()
		reachable := err == nil
		if err != nil {
			errs = append(errs, fmt.Errorf("cluster: remove heartbeat: %w", err))
		}
		mine := m.heldList()
		sort.Sort(sort.Reverse(sort.IntSlice(mine)))
		for _, p := range mine {
			if err := m.release(ctx, p, reachable); err != nil {
				errs = append(errs, err)
				delete(m.held, p) // the lease lapses with the TTL
				m.publish()
			}
		}
		if reachable {
			m.dropStrays(ctx, kv)
		}
	})
	return errors.Join(errs...)
}

// dropStrays reads the bucket and deletes the strays (see deleteStrays).
func (m *Manager) dropStrays(ctx context.Context, kv jetstream.KeyValue) {
	sctx, cancel := context.WithTimeout(ctx, max(m.interval, minStep))
	defer cancel()
	if snap, err := readSnapshot(sctx, kv); err == nil {
		m.deleteStrays(sctx, snap)
	}
}

// deleteStrays deletes the leases of this process it does not hold: a
// take whose write went through after its call timed out or was cut short
// by Stop. Left, they would keep their partitions from the others for a
// TTL.
func (m *Manager) deleteStrays(ctx context.Context, snap snapshot) {
	for p, e := range snap.leases {
		if e.value.Token == m.token && m.held[p] == nil {
			m.deleteLease(ctx, p, e.rev)
		}
	}
}

func (m *Manager) run() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	m.round(true)
	close(m.settled)
	var lost <-chan int
	if m.parts != nil {
		lost = m.parts.Lost()
	}
	for {
		select {
		case <-m.stop:
			return
		case p := <-lost:
			m.lost(p)
			m.round(false)
		case <-m.trigger:
			m.round(false)
		case <-t.C:
			m.round(true)
		}
	}
}

// round rewrites the heartbeat and the leases (on the ticker), gives up
// leases that could not be rewritten in time, and re-balances. Every NATS
// call ends by the time the first lease must be given up, and the leases
// are checked after each step, so a NATS that does not answer cannot
// delay giving one up.
func (m *Manager) round(rewrite bool) {
	start := time.Now()
	if rewrite {
		ctx, cancel := m.stepContext()
		failed := m.heartbeat(ctx) != nil
		failed = !m.refresh(ctx) || failed
		cancel()
		m.expire()
		if failed {
			m.reopen()
			m.expire()
		}
	}
	m.expire()
	ctx, cancel := m.stepContext()
	defer cancel()
	m.balance(ctx, start)
	m.expire()
}

// minStep is the least time a step of a round waits for NATS, however short
// the Interval (tests): a replicated bucket on a busy machine can take
// hundreds of milliseconds to answer.
const minStep = time.Second

// stepContext bounds one step of a round: an Interval (at least minStep),
// and no later than the moment the oldest lease must be given up.
func (m *Manager) stepContext() (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(max(m.interval, minStep))
	for _, l := range m.held {
		deadline = minTime(deadline, l.okAt.Add(m.releaseAfter))
	}
	return context.WithDeadline(m.life, deadline)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (m *Manager) bucket() jetstream.KeyValue {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kv
}

func (m *Manager) heartbeat(ctx context.Context) error {
	m.mu.Lock()
	value, err := json.Marshal(m.beat)
	kv := m.kv
	m.mu.Unlock()
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, replicaKey(m.opts.ReplicaID), value); err != nil {
		return fmt.Errorf("cluster heartbeat: %w", err)
	}
	return nil
}

func (m *Manager) leaseValue() []byte {
	b, _ := json.Marshal(leaseValue{Replica: m.opts.ReplicaID, Token: m.token})
	return b
}

// balance reads the bucket and releases this replica's extras or takes
// free partitions up to its share.
func (m *Manager) balance(ctx context.Context, start time.Time) {
	kv := m.bucket()
	snap, err := readSnapshot(ctx, kv)
	if err != nil {
		return
	}
	m.deleteStrays(ctx, snap)
	want := share(m.opts.Partitions, snap.liveIDs(), m.opts.ReplicaID)
	heldSet := make(map[int]bool, len(m.held))
	for p := range m.held {
		heldSet[p] = true
	}
	now := time.Now()
	release, take := plan(m.opts.Partitions, want, heldSet, snap.leases, func(p int) bool { return now.Before(m.cooldown[p]) })
	for _, p := range release {
		if err := m.release(ctx, p, true); err != nil {
			m.log.Error("partition not released; retried on the next round", "partition", p, "err", err)
		}
	}
	if len(take) > 0 && now.Before(m.noTakeUntil) {
		return
	}
	if many, ok := m.parts.(ManyAcquirer); ok && len(take) > 1 {
		m.takeMany(ctx, kv, take, many)
		return
	}
	for _, p := range take {
		// Leases taken in this round are rewritten in the next: a round
		// that took long ends early.
		if time.Since(start) > m.interval {
			m.poke()
			return
		}
		m.take(ctx, kv, p)
	}
}

// takeMany leases every partition of take it can, then starts the engine
// on all of them in one call; when the engine cannot, the leases go again
// and the partitions are retried later.
func (m *Manager) takeMany(ctx context.Context, kv jetstream.KeyValue, take []int, many ManyAcquirer) {
	m.takeLeases(ctx, kv, take, many.AcquireMany)
}

// take leases p, then starts the engine on it (as takeMany, one partition).
func (m *Manager) take(ctx context.Context, kv jetstream.KeyValue, p int) {
	m.takeLeases(ctx, kv, []int{p}, func(ctx context.Context, ps []int) error { return m.parts.Acquire(ctx, ps[0]) })
}

func (m *Manager) takeLeases(ctx context.Context, kv jetstream.KeyValue, take []int, acquire func(context.Context, []int) error) {
	var got []int
	for _, p := range take {
		sent := time.Now()
		rev, err := kv.Create(ctx, partitionKey(p), m.leaseValue())
		if err != nil {
			if !casConflict(err) {
				m.log.Warn("partition lease not taken", "partition", p, "err", err)
			}
			continue
		}
		m.held[p] = &lease{rev: rev, okAt: sent}
		got = append(got, p)
	}
	if len(got) == 0 {
		return
	}
	actx, cancel := context.WithTimeout(context.Background(), m.releaseAfter)
	err := acquire(actx, got)
	cancel()
	if err != nil {
		m.log.Error("engine did not acquire the partitions; their leases are given up and retried later", "partitions", got, "err", err)
		for _, p := range got {
			rev := m.held[p].rev
			delete(m.held, p)
			m.cooldown[p] = time.Now().Add(2 * m.interval)
			dctx, dcancel := context.WithTimeout(context.Background(), max(m.interval, minStep))
			m.deleteLease(dctx, p, rev)
			dcancel()
		}
		return
	}
	m.log.Info("partitions acquired", "partitions", got)
	m.publish()
	if slices.Contains(got, 0) {
		m.setLeader(true)
	}
}

// release stops the engine on p, then deletes its lease (unless
// deleteLease is false). When the engine fails, the lease stays (another
// replica must not apply p meanwhile).
func (m *Manager) release(ctx context.Context, p int, deleteLease bool) error {
	l := m.held[p]
	if p == 0 {
		m.setLeader(false)
	}
	if err := m.parts.Release(ctx, p); err != nil {
		if p == 0 {
			m.setLeader(true)
		}
		return fmt.Errorf("cluster: engine release of partition %d: %w", p, err)
	}
	delete(m.held, p)
	m.publish()
	if deleteLease {
		dctx, cancel := context.WithTimeout(ctx, max(m.interval, minStep))
		m.deleteLease(dctx, p, l.rev)
		cancel()
	}
	m.log.Info("partition released", "partition", p)
	return nil
}

func (m *Manager) heldList() []int {
	ps := make([]int, 0, len(m.held))
	for p := range m.held {
		ps = append(ps, p)
	}
	sort.Ints(ps)
	return ps
}

func (m *Manager) publish() {
	ps := m.heldList()
	m.owned.Store(&ps)
}

func (m *Manager) setLeader(leader bool) {
	if m.leader.Swap(leader) != leader && m.opts.OnLeader != nil {
		m.opts.OnLeader(leader)
	}
}

func (m *Manager) poke() {
	select {
	case m.trigger <- struct{}{}:
	default:
	}
}
