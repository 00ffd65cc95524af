package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/postgres"
)

// replica is one engine with its own store pool and NATS connection, as a
// separate process would have.
type replica struct {
	name string
	eng  *engine.Engine
	st   store.Store
	js   jetstream.JetStream
	nc   *nats.Conn
}

// pointsOf is what the test flows give each event type.
var pointsOf = map[string]int64{"Tick": 1, "Big": 7}

// sharedCluster starts one embedded nats-server and one PostgreSQL
// database with two scoring flows.
func sharedCluster(t *testing.T) (*broker.Embedded, string) {
	t.Helper()
	ns, err := broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	require.NoError(t, err)
	t.Cleanup(ns.Shutdown)
	url := pgtest.URL(t)
	st, err := postgres.Open(context.Background(), url)
	require.NoError(t, err)
	defer st.Close()
	for typ, pts := range pointsOf {
		id := "score-" + typ
		doc := fmt.Sprintf(`{"id":%q,"name":%q,"enabled":true,"entry":{"mode":"every_time"},"nodes":[
			{"id":"t","type":"trigger.event","config":{"name":%q}},
			{"id":"a","type":"action.adjust_score","config":{"score":"engagement","points":%d}}],
			"edges":[{"from":"t","to":"a"}]}`, id, id, typ, pts)
		_, err := st.CreateFlow(context.Background(), store.FlowRecord{ID: id, Name: id, Enabled: true, Doc: []byte(doc)})
		require.NoError(t, err)
	}
	return ns, url
}

func startReplica(t *testing.T, name string, ns *broker.Embedded, url string, hold func()) *replica {
	t.Helper()
	return startReplicaWith(t, name, ns, url, func(o *engine.Options) { o.HoldCommit = hold })
}

// startReplicaWith is startReplica with options set by opt; its hooks may
// use the replica's fields (set before Start).
func startReplicaWith(t *testing.T, name string, ns *broker.Embedded, url string, opt func(*engine.Options)) *replica {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	nc, js, err := broker.Connect(ns.ClientURL(), nil, name)
	require.NoError(t, err)
	r := &replica{name: name, st: st, js: js, nc: nc}
	opts := engine.Options{Store: st, JS: js, Replica: name, BatchSize: 200,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	opt(&opts)
	r.eng = engine.New(opts)
	require.NoError(t, r.eng.Start(ctx))
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, r.eng.Stop(stop))
		nc.Close()
		st.Close()
	})
	return r
}

func (r *replica) acquire(t *testing.T, parts ...int) {
	t.Helper()
	for _, p := range parts {
		require.NoError(t, r.eng.Acquire(context.Background(), p), "%s acquires %d", r.name, p)
	}
}

func (r *replica) release(t *testing.T, parts ...int) {
	t.Helper()
	for _, p := range parts {
		require.NoError(t, r.eng.Release(context.Background(), p), "%s releases %d", r.name, p)
	}
}

func span(from, to int) []int {
	var out []int
	for p := from; p < to; p++ {
		out = append(out, p)
	}
	return out
}

// checkScores waits until every contact's score is the one its events
// give, then requires each history to sum to it with one row per event:
// nothing lost, nothing applied twice.
func checkScores(t *testing.T, st store.Store, want map[string]int64, events map[string]int) {
	t.Helper()
	ctx := context.Background()
	apptest.CheckFor(t, 90*time.Second, 50*time.Millisecond, func() error {
		var off []string
		for id, w := range want {
			c, err := st.GetContact(ctx, id)
			if err != nil {
				return fmt.Errorf("contact %s: %w", id, err)
			}
			if c.Score != w {
				off = append(off, fmt.Sprintf("%s (partition %d): score %d, want %d", id, broker.PartitionOf(id, broker.DefaultPartitions), c.Score, w))
			}
		}
		if len(off) > 0 {
			sort.Strings(off)
			return fmt.Errorf("%d contacts off: %v", len(off), off[:min(len(off), 20)])
		}
		return nil
	})
	for id, w := range want {
		h, err := st.History(ctx, id, 100000)
		require.NoError(t, err)
		var sum int64
		for _, e := range h {
			sum += e.Delta
		}
		assert.Equal(t, w, sum, "contact %s: history sums to its score", id)
		assert.Len(t, h, events[id], "contact %s: one ledger row per event", id)
	}
}

// TestTwoEnginesHandOverPartitionsUnderLoad: two engines on one PostgreSQL
// and one NATS split the partitions, hand some over both ways (partition 0,
// with the router, among them) while events for many contacts stream in
// through the publisher, email-only events and raw NATS publishes; every
// score ends exact, each event applied once.
func TestTwoEnginesHandOverPartitionsUnderLoad(t *testing.T) {
	ns, url := sharedCluster(t)
	a := startReplica(t, "a", ns, url, nil)
	b := startReplica(t, "b", ns, url, nil)
	require.Equal(t, broker.DefaultPartitions, a.eng.Partitions())
	a.acquire(t, span(0, 8)...)
	b.acquire(t, span(8, 16)...)
	assert.Equal(t, span(0, 8), a.eng.Owned())

	ctx := context.Background()
	pub := broker.NewPublisher(a.js)
	const contacts = 200
	want := map[string]int64{}
	events := map[string]int{}
	// Phase 1: every contact identified with an email (whose partition is
	// mostly not the contact's), so email-only events must be forwarded.
	var identify []*model.Event
	for i := 0; i < contacts; i++ {
		id := fmt.Sprintf("c-%03d", i)
		identify = append(identify, &model.Event{ID: "id-" + id, Type: model.EventIdentify, ContactID: id,
			Email: id + "@example.com", Timestamp: time.Now().UTC()})
		want[id] = 0
	}
	require.NoError(t, pub.Publish(ctx, "test", identify))
	checkScores(t, a.st, want, events)

	// Phase 2: the load, with two handovers while it runs.
	var mu sync.Mutex
	raw, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	defer raw.Close()
	const rounds = 30
	done := make(chan error, 1)
	var progress atomic.Int32
	go func() {
		done <- func() error {
			for r := 0; r < rounds; r++ {
				var batch []*model.Event
				for i := 0; i < contacts; i++ {
					id := fmt.Sprintf("c-%03d", i)
					typ := "Tick"
					if (i+r)%5 == 0 {
						typ = "Big"
					}
					ev := &model.Event{ID: fmt.Sprintf("e-%d-%s", r, id), Type: typ, ContactID: id, Timestamp: time.Now().UTC()}
					switch {
					case i%7 == 3: // email only: resolved to the contact, forwarded when owned elsewhere
						ev.ContactID, ev.Email = "", id+"@Example.com"
					case i%11 == 5: // a raw publish through the router, without an id
						body, _ := json.Marshal(map[string]any{"type": typ, "contact_id": id})
						msg := &nats.Msg{Subject: "scoreflow.events.x", Data: body}
						if _, err := raw.RequestMsg(msg, 5*time.Second); err != nil {
							return err
						}
						ev = nil
					}
					if ev != nil {
						batch = append(batch, ev)
					}
					mu.Lock()
					want[id] += pointsOf[typ]
					events[id]++
					mu.Unlock()
				}
				if err := pub.Publish(ctx, "test", batch); err != nil {
					return err
				}
				progress.Store(int32(r + 1))
			}
			return nil
		}()
	}()
	waitRound := func(n int32) {
		apptest.CheckFor(t, 60*time.Second, 5*time.Millisecond, func() error {
			if progress.Load() < n {
				return errors.New("load not there yet")
			}
			return nil
		})
	}
	waitRound(rounds / 3)
	b.release(t, 12, 13, 14, 15)
	a.acquire(t, 12, 13, 14, 15)
	waitRound(2 * rounds / 3)
	a.release(t, 0, 1, 2, 3) // the router moves with partition 0
	b.acquire(t, 0, 1, 2, 3)
	require.NoError(t, <-done)
	assert.Equal(t, []int{4, 5, 6, 7, 12, 13, 14, 15}, a.eng.Owned())
	assert.Equal(t, []int{0, 1, 2, 3, 8, 9, 10, 11}, b.eng.Owned())

	checkScores(t, a.st, want, events)
	apptest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		p, u, err := broker.Backlog(ctx, a.js)
		if err == nil && (p > 0 || u > 0) {
			err = fmt.Errorf("%d pending, %d unacked", p, u)
		}
		return err
	})
	// The two claims per handed-over partition are recorded.
	epochs, err := a.st.PartitionEpochs(ctx)
	require.NoError(t, err)
	require.Len(t, epochs, 16)
	assert.Equal(t, "b", epochs[0].Owner)
	assert.Equal(t, int64(2), epochs[0].Epoch)
	assert.Equal(t, "a", epochs[12].Owner)
	assert.Equal(t, int64(1), epochs[5].Epoch)
	assert.Equal(t, uint64(0), a.eng.Stats().Dead+b.eng.Stats().Dead)
}

// TestStaleOwnerIsFenced: an owner whose commit is held while another
// replica claims the partition fails with ErrFenced when it goes on,
// commits nothing, reports the partition on Lost and stops applying it;
// the new owner applies the event once.
func TestStaleOwnerIsFenced(t *testing.T) {
	ns, url := sharedCluster(t)
	var armed atomic.Bool
	held, resume := make(chan struct{}), make(chan struct{})
	a := startReplica(t, "a", ns, url, func() {
		if armed.CompareAndSwap(true, false) {
			close(held)
			<-resume
		}
	})
	b := startReplica(t, "b", ns, url, nil)
	require.NoError(t, a.eng.AcquireAll(context.Background()))

	const contact = "stale-1"
	p := a.eng.PartitionOf(contact)
	armed.Store(true)
	pub := broker.NewPublisher(a.js)
	require.NoError(t, pub.Publish(context.Background(), "test",
		[]*model.Event{{ID: "stale-ev", Type: "Big", ContactID: contact, Timestamp: time.Now().UTC()}}))
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("a's batch never reached its commit")
	}
	b.acquire(t, p) // claims the next epoch; a's batch is now stale
	checkScores(t, b.st, map[string]int64{contact: 7}, map[string]int{contact: 1})
	close(resume)
	select {
	case lost := <-a.eng.Lost():
		assert.Equal(t, p, lost)
	case <-time.After(20 * time.Second):
		t.Fatal("a did not report the fenced partition")
	}
	assert.NotContains(t, a.eng.Owned(), p)
	assert.Len(t, a.eng.Owned(), 15)
	// a's rolled-back batch changed nothing: still one ledger row.
	checkScores(t, b.st, map[string]int64{contact: 7}, map[string]int{contact: 1})

	// b keeps applying p; a no longer does.
	require.NoError(t, pub.Publish(context.Background(), "test",
		[]*model.Event{{ID: "stale-ev-2", Type: "Tick", ContactID: contact, Timestamp: time.Now().UTC()}}))
	checkScores(t, b.st, map[string]int64{contact: 8}, map[string]int{contact: 2})

	// The store refuses the old epoch outright.
	tx, err := a.st.Begin(context.Background())
	require.NoError(t, err)
	defer tx.Rollback()
	require.ErrorIs(t, tx.FencePartitions(map[int]int64{p: 1}), store.ErrFenced)
}

// ticker publishes rounds of one Tick per contact and counts what each
// contact should score.
type ticker struct {
	t        *testing.T
	pub      *broker.Publisher
	prefix   string
	contacts int
	want     map[string]int64
	events   map[string]int
}

func newTicker(t *testing.T, r *replica, prefix string, contacts int) *ticker {
	return &ticker{t: t, pub: broker.NewPublisher(r.js), prefix: prefix, contacts: contacts,
		want: map[string]int64{}, events: map[string]int{}}
}

func (k *ticker) publish(round int) {
	k.t.Helper()
	var batch []*model.Event
	for i := 0; i < k.contacts; i++ {
		id := fmt.Sprintf("%s-%03d", k.prefix, i)
		batch = append(batch, &model.Event{ID: fmt.Sprintf("%s-%d-%s", k.prefix, round, id), Type: "Tick", ContactID: id, Timestamp: time.Now().UTC()})
		k.want[id]++
		k.events[id]++
	}
	require.NoError(k.t, k.pub.Publish(context.Background(), "test", batch))
}

// TestAloneThenShared: an engine that took every partition alone (one
// consumer for all) gives half of them to a second engine mid-load; both
// switch to per-partition consumers from the right place: every event is
// applied once.
func TestAloneThenShared(t *testing.T) {
	ns, url := sharedCluster(t)
	a := startReplica(t, "a", ns, url, nil)
	b := startReplica(t, "b", ns, url, nil)
	ctx := context.Background()
	require.NoError(t, a.eng.AcquireAll(ctx))
	k := newTicker(t, a, "s", 100)
	publish, want, events := k.publish, k.want, k.events
	for r := 0; r < 10; r++ {
		publish(r)
	}
	a.release(t, span(8, 16)...)
	b.acquire(t, span(8, 16)...)
	for r := 10; r < 20; r++ {
		publish(r)
	}
	checkScores(t, a.st, want, events)
	assert.Equal(t, span(0, 8), a.eng.Owned())
	assert.Equal(t, span(8, 16), b.eng.Owned())
}

// TestDeadWholeReaderHandsOver: an engine that read every partition as
// one dies (stops without releasing anything); another takes the
// partitions one by one, each from the dead one's ack floor, applies every
// event once, and deletes the all-partitions consumer once every partition
// has its own, so no stale backlog stays in the lag.
func TestDeadWholeReaderHandsOver(t *testing.T) {
	ns, url := sharedCluster(t)
	a := startReplica(t, "a", ns, url, nil)
	b := startReplica(t, "b", ns, url, nil)
	ctx := context.Background()
	require.NoError(t, a.eng.AcquireAll(ctx))
	k := newTicker(t, a, "w", 50)
	publish, want, events := k.publish, k.want, k.events
	for r := 0; r < 4; r++ {
		publish(r)
	}
	checkScores(t, a.st, want, events)
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	require.NoError(t, a.eng.Stop(stop)) // dies as far as the stream is concerned: nothing released
	cancel()
	for r := 4; r < 8; r++ {
		publish(r)
	}
	s, err := b.js.Stream(ctx, broker.StreamName)
	require.NoError(t, err)
	b.acquire(t, span(0, 15)...)
	_, err = s.Consumer(ctx, broker.AllConsumer)
	require.NoError(t, err, "the all-partitions consumer went while partition 15 still needed its floor")
	b.acquire(t, 15)
	checkScores(t, b.st, want, events)
	_, err = s.Consumer(ctx, broker.AllConsumer)
	assert.ErrorIs(t, err, jetstream.ErrConsumerNotFound, "the dead engine's all-partitions consumer stayed")
	pending, unacked, err := broker.Backlog(ctx, b.js)
	require.NoError(t, err)
	assert.Zero(t, pending+unacked)
}
