package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// halves starts two replicas on one NATS and PostgreSQL, a applying
// partitions 0-7 and b 8-15; optA and optB (when not nil) set their options.
func halves(t *testing.T, optA, optB func(*engine.Options)) (ns *broker.Embedded, url string, a, b *replica) {
	t.Helper()
	ns, url = sharedCluster(t)
	orNone := func(opt func(*engine.Options)) func(*engine.Options) {
		if opt == nil {
			return func(*engine.Options) {}
		}
		return opt
	}
	a = startReplicaWith(t, "a", ns, url, orNone(optA))
	b = startReplicaWith(t, "b", ns, url, orNone(optB))
	a.acquire(t, span(0, 8)...)
	b.acquire(t, span(8, 16)...)
	return ns, url, a, b
}

// idIn is the first id prefix-N whose partition is in [from, to).
func idIn(prefix string, from, to int) string {
	for i := 0; ; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		if p := broker.PartitionOf(id, broker.DefaultPartitions); p >= from && p < to {
			return id
		}
	}
}

// crashAfter closes the replica's NATS connection right after it commits
// a batch that applied an event whose id starts with prefix, once: the
// commit stands, but nothing after it (relays, acks) reaches NATS, as when
// the process dies between its commit and its acks.
func crashAfter(prefix string, crashed *atomic.Bool) func(*engine.Options) {
	return func(o *engine.Options) {
		nc := o.JS.Conn()
		o.OnCommit = func(ci engine.CommitInfo) {
			for _, id := range append(ci.EventIDs, ci.MergeSteps...) {
				if strings.HasPrefix(id, prefix) && crashed.CompareAndSwap(false, true) {
					nc.Close()
				}
			}
		}
	}
}

// clientPublisher publishes over a connection of its own, as an
// ingesting replica would, unaffected by a replica that dies.
func clientPublisher(t *testing.T, ns *broker.Embedded) *broker.Publisher {
	t.Helper()
	nc, js, err := broker.Connect(ns.ClientURL(), nil, "client")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return broker.NewPublisher(js)
}

// waitDrained waits until no consumer of the stream has anything pending
// or unacknowledged.
func waitDrained(t *testing.T, ns *broker.Embedded) {
	t.Helper()
	nc, js, err := broker.Connect(ns.ClientURL(), nil, "drain")
	require.NoError(t, err)
	defer nc.Close()
	apptest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		p, u, err := broker.Backlog(context.Background(), js)
		if err == nil && (p > 0 || u > 0) {
			err = fmt.Errorf("%d pending, %d unacked", p, u)
		}
		return err
	})
}

// mergedEntries counts the "merged" entries of a contact's timeline.
func mergedEntries(t *testing.T, st store.Store, id string) int {
	t.Helper()
	tl, err := st.Timeline(context.Background(), id, 1000)
	require.NoError(t, err)
	n := 0
	for _, ev := range tl {
		if ev.Type == model.EventMerged {
			n++
		}
	}
	return n
}

// rawRepublish publishes bodies again through the router under message
// ids of their own, so only the store's record of applied ids stops them.
func rawRepublish(t *testing.T, ns *broker.Embedded, tag string, bodies [][]byte) {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	for i, b := range bodies {
		msg := &nats.Msg{Subject: "scoreflow.events.again", Data: b, Header: nats.Header{}}
		msg.Header.Set("Nats-Msg-Id", fmt.Sprintf("%s-%d", tag, i))
		_, err := nc.RequestMsg(msg, 5*time.Second)
		require.NoError(t, err)
	}
}

// TestMergeAcrossPartitions: anonymous events applied in one replica's
// partition, then an identify naming both ids in another replica's: the
// known contact ends with the anonymous points, its history sums to its
// score, the old id resolves to it, a later event on the old id lands on
// it, and redelivering everything (the merge's steps too) changes
// nothing. The variants kill a writer between a step's commit and its
// acks: its successor's redelivery publishes the step's relay again.
func TestMergeAcrossPartitions(t *testing.T) {
	for _, tc := range []struct{ name, crash, after string }{
		{name: "straight"},
		{name: "survivor's writer dies after the identify commits", crash: "b", after: "identify-"},
		{name: "merged id's writer dies after the merge-out commits", crash: "a", after: "merge-out/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var crashed atomic.Bool
			opts := map[string]func(*engine.Options){}
			if tc.crash != "" {
				opts[tc.crash] = crashAfter(tc.after, &crashed)
			}
			ns, url, a, b := halves(t, opts["a"], opts["b"])
			ctx := context.Background()
			anon, known := idIn("anon", 0, 8), idIn("known", 8, 16)
			pub := clientPublisher(t, ns)

			var events []*model.Event
			for i := range 5 {
				events = append(events, &model.Event{ID: fmt.Sprintf("anon-hit-%d", i), Type: "Tick", ContactID: anon, AnonymousID: anon, Timestamp: time.Now().UTC()})
			}
			events = append(events, &model.Event{ID: "known-big-0", Type: "Big", ContactID: known, Timestamp: time.Now().UTC()})
			require.NoError(t, pub.Publish(ctx, "test", events))
			checkScores(t, a.st, map[string]int64{anon: 5, known: 7}, map[string]int{anon: 5, known: 1})

			identify := &model.Event{ID: "identify-1", Type: model.EventIdentify, ContactID: known, AnonymousID: anon, Timestamp: time.Now().UTC()}
			big := &model.Event{ID: "known-big-1", Type: "Big", ContactID: known, Timestamp: time.Now().UTC()}
			require.NoError(t, pub.Publish(ctx, "test", []*model.Event{identify, big}))
			events = append(events, identify, big)
			if tc.crash != "" {
				apptest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
					if !crashed.Load() {
						return fmt.Errorf("%s has not committed %s yet", tc.crash, tc.after)
					}
					return nil
				})
				dead, parts := a, span(0, 8)
				if tc.crash == "b" {
					dead, parts = b, span(8, 16)
				}
				stop, cancel := context.WithTimeout(ctx, 20*time.Second)
				require.NoError(t, dead.eng.Stop(stop))
				cancel()
				next := startReplica(t, tc.crash+"2", ns, url, nil)
				next.acquire(t, parts...)
			}
			// One history row per event, and the merge's row per dimension
			// the merged contact had (what the caps took: nothing here).
			want := map[string]int64{known: 5 + 14}
			counts := map[string]int{known: 7 + 1}
			checkScores(t, a.st, want, counts)
			_, err := a.st.GetContact(ctx, anon)
			require.ErrorIs(t, err, model.ErrNotFound, "the merged contact is gone")
			into, err := a.st.ResolveContact(ctx, anon)
			require.NoError(t, err)
			assert.Equal(t, known, into)
			from, err := a.st.MergedFrom(ctx, known)
			require.NoError(t, err)
			assert.Equal(t, []string{anon}, from)
			assert.Equal(t, 1, mergedEntries(t, a.st, known))

			// A later event on the old id, in the old id's partition,
			// reaches the survivor.
			late := &model.Event{ID: "anon-late", Type: "Tick", ContactID: anon, Timestamp: time.Now().UTC()}
			require.NoError(t, pub.Publish(ctx, "test", []*model.Event{late}))
			want[known]++
			counts[known]++
			checkScores(t, a.st, want, counts)

			// Everything again, the merge's steps included: applied once.
			var bodies [][]byte
			for _, ev := range append(events, late) {
				body, err := json.Marshal(ev)
				require.NoError(t, err)
				bodies = append(bodies, body)
			}
			tx, err := a.st.Begin(ctx)
			require.NoError(t, err)
			relays, err := tx.(store.MergeRelayTx).MergeRelays([]string{"identify-1", model.MergeOutID(anon, known)})
			require.NoError(t, tx.Rollback())
			require.NoError(t, err)
			require.Len(t, relays, 2, "the merge-out and the merge-in")
			for _, r := range relays {
				bodies = append(bodies, r.Event)
			}
			rawRepublish(t, ns, "again", bodies)
			waitDrained(t, ns)
			checkScores(t, a.st, want, counts)
			assert.Equal(t, 1, mergedEntries(t, a.st, known))
			_, err = a.st.GetContact(ctx, anon)
			require.ErrorIs(t, err, model.ErrNotFound, "the redelivered anonymous events made the merged contact again")
		})
	}
}

// TestMergeChainAcrossPartitions: X merged into Y and Y into Z, each
// across partitions and published together, so the steps of the two
// merges interleave: Z ends with every point once, both old ids resolve
// to Z, and later events of either reach Z.
func TestMergeChainAcrossPartitions(t *testing.T) {
	ns, _, a, b := halves(t, nil, nil)
	ctx := context.Background()
	x, y, z := idIn("x", 0, 8), idIn("y", 8, 16), idIn("z", 0, 8)
	pub := broker.NewPublisher(a.js)
	now := time.Now().UTC()
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "x-1", Type: "Tick", ContactID: x, AnonymousID: x, Timestamp: now},
		{ID: "x-2", Type: "Tick", ContactID: x, AnonymousID: x, Timestamp: now},
		{ID: "y-1", Type: "Big", ContactID: y, Timestamp: now},
		{ID: "z-1", Type: "Big", ContactID: z, Timestamp: now},
	}))
	checkScores(t, a.st, map[string]int64{x: 2, y: 7, z: 7}, map[string]int{x: 2, y: 1, z: 1})
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "x-into-y", Type: model.EventIdentify, ContactID: y, AnonymousID: x, Timestamp: now},
		{ID: "y-into-z", Type: model.EventMerged, ContactID: z, Timestamp: now, Properties: map[string]any{"from": []string{y}}},
	}))
	want, counts := map[string]int64{z: 16}, map[string]int{z: 4 + 2} // and a merge row per merge
	checkScores(t, a.st, want, counts)
	for _, old := range []string{x, y} {
		into, err := a.st.ResolveContact(ctx, old)
		require.NoError(t, err)
		assert.Equal(t, z, into, old)
		_, err = a.st.GetContact(ctx, old)
		assert.ErrorIs(t, err, model.ErrNotFound, old)
	}
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "x-late", Type: "Tick", ContactID: x, Timestamp: now},
		{ID: "y-late", Type: "Tick", ContactID: y, Timestamp: now},
	}))
	want[z] += 2
	counts[z] += 2
	checkScores(t, a.st, want, counts)
	waitDrained(t, ns)
	sa, sb := a.eng.Stats(), b.eng.Stats()
	assert.Zero(t, sa.Dead+sb.Dead)
	// The 8 events sent count as applied once each, on whichever writer
	// applied them; the merges' steps (two per merge across the halves:
	// one or both, by which identify came first) are counted apart.
	assert.Equal(t, uint64(8), sa.Applied+sb.Applied)
	steps := sa.MergeSteps + sb.MergeSteps
	assert.True(t, steps == 2 || steps == 4, "merge steps %d", steps)
}

// TestMergeByEmailAcrossPartitions: a contact created from an email alone
// (its id is the email, in one replica's partition) merges into the
// contact whose identify names that email, in the other's.
func TestMergeByEmailAcrossPartitions(t *testing.T) {
	ns, _, a, _ := halves(t, nil, nil)
	ctx := context.Background()
	email := idIn("lead", 0, 8) + "@example.com"
	for broker.PartitionOf(email, broker.DefaultPartitions) >= 8 {
		email = "x" + email
	}
	known := idIn("known", 8, 16)
	pub := clientPublisher(t, ns)
	now := time.Now().UTC()
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "e-1", Type: "Big", Email: email, Timestamp: now},
		{ID: "e-2", Type: "Tick", Email: email, Timestamp: now},
	}))
	checkScores(t, a.st, map[string]int64{email: 8}, map[string]int{email: 2})
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "who", Type: model.EventIdentify, ContactID: known, Email: email, Timestamp: now},
		{ID: "e-3", Type: "Tick", Email: email, Timestamp: now}, // resolves by email: to whichever holds it
	}))
	checkScores(t, a.st, map[string]int64{known: 9}, map[string]int{known: 3 + 1})
	_, err := a.st.GetContact(ctx, email)
	require.ErrorIs(t, err, model.ErrNotFound)
	into, err := a.st.ResolveContact(ctx, email)
	require.NoError(t, err)
	assert.Equal(t, known, into)
	c, err := a.st.GetContact(ctx, known)
	require.NoError(t, err)
	assert.Equal(t, email, c.Email)
}

// TestMergeAcrossPartitionsCarriesTheAccount: the merged contact leaves
// its account on its writer, and the survivor, which had none, joins it
// with the summed scores on its own: the account counts one member with
// the survivor's score.
func TestMergeAcrossPartitionsCarriesTheAccount(t *testing.T) {
	ns, _, a, _ := halves(t, nil, nil)
	ctx := context.Background()
	x, y := idIn("acct-x", 0, 8), idIn("acct-y", 8, 16)
	pub := clientPublisher(t, ns)
	now := time.Now().UTC()
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "ax-1", Type: "Tick", ContactID: x, AnonymousID: x, AccountID: "acme", Timestamp: now},
		{ID: "ax-2", Type: "Tick", ContactID: x, AnonymousID: x, Timestamp: now},
		{ID: "ay-1", Type: "Big", ContactID: y, Timestamp: now},
	}))
	checkScores(t, a.st, map[string]int64{x: 2, y: 7}, map[string]int{x: 2, y: 1})
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "ax-y", Type: model.EventIdentify, ContactID: y, AnonymousID: x, Timestamp: now}}))
	checkScores(t, a.st, map[string]int64{y: 9}, map[string]int{y: 3 + 1})
	c, err := a.st.GetContact(ctx, y)
	require.NoError(t, err)
	assert.Equal(t, "acme", c.AccountID)
	apptest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		acct, err := a.st.GetAccount(ctx, "acme")
		if err != nil {
			return err
		}
		if acct.Contacts != 1 || acct.Score != 9 {
			return fmt.Errorf("account acme: %d contacts, score %d; want 1 and 9", acct.Contacts, acct.Score)
		}
		return nil
	})
}

// TestMergeInFiresSegmentFlowsOnce: the merge-in evaluates the survivor's
// segments again; entering one starts its flows once, and a redelivered
// merge-in starts nothing.
func TestMergeInFiresSegmentFlowsOnce(t *testing.T) {
	ns, _, a, _ := halves(t, nil, nil)
	ctx := context.Background()
	_, err := a.st.CreateSegment(ctx, model.Segment{ID: "hot", Name: "Hot", Where: json.RawMessage(`{"field":"score","op":"gte","value":9}`)})
	require.NoError(t, err)
	_, err = a.st.CreateFlow(ctx, store.FlowRecord{ID: "on-hot", Name: "on-hot", Enabled: true, Doc: []byte(`{"id":"on-hot","name":"on-hot","enabled":true,
		"nodes":[{"id":"t","type":"trigger.segment_entered","config":{"segment":"hot"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"engagement","points":100}}],"edges":[{"from":"t","to":"a"}]}`)})
	require.NoError(t, err)
	x, y := idIn("hot-x", 0, 8), idIn("hot-y", 8, 16)
	pub := clientPublisher(t, ns)
	now := time.Now().UTC()
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "hx-1", Type: "Tick", ContactID: x, AnonymousID: x, Timestamp: now},
		{ID: "hx-2", Type: "Tick", ContactID: x, AnonymousID: x, Timestamp: now},
		{ID: "hy-1", Type: "Big", ContactID: y, Timestamp: now},
	}))
	checkScores(t, a.st, map[string]int64{x: 2, y: 7}, map[string]int{x: 2, y: 1})
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{
		{ID: "hx-y", Type: model.EventIdentify, ContactID: y, AnonymousID: x, Timestamp: now}}))
	// 2 + 7, then the segment's +100: one row each, and the merge's.
	want, counts := map[string]int64{y: 109}, map[string]int{y: 3 + 1 + 1}
	checkScores(t, a.st, want, counts)
	c, err := a.st.GetContact(ctx, y)
	require.NoError(t, err)
	assert.Equal(t, []string{"hot"}, c.Segments)

	tx, err := a.st.Begin(ctx)
	require.NoError(t, err)
	relays, err := tx.(store.MergeRelayTx).MergeRelays([]string{model.MergeOutID(x, y)})
	require.NoError(t, tx.Rollback())
	require.NoError(t, err)
	require.Len(t, relays, 1)
	rawRepublish(t, ns, "hot-again", [][]byte{relays[0].Event})
	waitDrained(t, ns)
	checkScores(t, a.st, want, counts)
}
