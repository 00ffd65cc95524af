package app_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// sharedNATS is the external NATS two processes connect to, as in the bug
// report (issue 11): a real nats-server with JetStream on a free port.
func sharedNATS(t *testing.T) string {
	t.Helper()
	ns, err := broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	require.NoError(t, err)
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// process is the configuration of one `scoreflow serve` on the shared NATS.
func process(t *testing.T, natsURL, id string) app.Config {
	dir := t.TempDir()
	return app.Config{DataDir: dir, Store: apptest.StoreFor(t, dir), NATSURL: natsURL, ReplicaID: id,
		Logger: apptest.Logger(t), LeaseTTL: time.Second}
}

// startRefused starts a process that must be refused, and checks it left
// its SQLite store uncreated.
func startRefused(t *testing.T, cfg app.Config) error {
	t.Helper()
	a, err := app.Start(context.Background(), cfg)
	if err == nil {
		_ = a.Shutdown(context.Background())
		t.Fatal("a second engine on the same stream started")
	}
	if cfg.Store == "" {
		_, statErr := os.Stat(filepath.Join(cfg.DataDir, "scoreflow.db"))
		assert.True(t, errors.Is(statErr, os.ErrNotExist), "the refused process created its store: %v", statErr)
	}
	return err
}

func consumerCreated(t *testing.T, a *app.App) time.Time {
	t.Helper()
	cons, err := a.JS.Consumer(context.Background(), broker.StreamName, broker.AllConsumer)
	require.NoError(t, err)
	info, err := cons.Info(context.Background())
	require.NoError(t, err)
	return info.Created
}

func demoEvents(from, n int, contact string) []*model.Event {
	out := make([]*model.Event, 0, n)
	for i := from; i < from+n; i++ {
		out = append(out, apptest.Event(fmt.Sprintf("ev-%s-%d", contact, i), "Demo", contact, nil))
	}
	return out
}

// demoFlow gives points engagement points per Demo event; version is the
// one an update expects (0 to create).
func demoFlow(points, version int) map[string]any {
	f := map[string]any{
		"id": "demo", "name": "Demo", "enabled": true, "entry": map[string]any{"mode": "every_time"},
		"nodes": []any{
			map[string]any{"id": "t1", "type": "trigger.event", "config": map[string]any{"name": "Demo"}},
			map[string]any{"id": "a1", "type": "action.adjust_score", "config": map[string]any{"score": "engagement", "points": points}},
		},
		"edges": []any{map[string]any{"from": "t1", "to": "a1"}},
	}
	if version > 0 {
		f["version"] = version
	}
	return f
}

// On SQLite the engine is alone on its stream: a second engine of either
// kind is refused (replicas on PostgreSQL share a stream: cluster_join_test.go).
func TestSecondEngineOnOneStreamIsRefused(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		url := sharedNATS(t)
		firstCfg := process(t, url, "first")
		firstCfg.HTTPAddr = "127.0.0.1:0"
		first := apptest.Start(t, firstCfg)
		r := apptest.Do(t, first, http.MethodPost, "/api/v1/flows", demoFlow(5, 0))
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		apptest.Publish(t, first, demoEvents(0, 50, "c1")...)
		apptest.WaitApplied(t, first, 50)
		created := consumerCreated(t, first)

		second := process(t, url, "second")
		err := startRefused(t, second)
		var held *broker.HeldError
		require.ErrorAs(t, err, &held)
		msg := err.Error()
		assert.Contains(t, msg, "another scoreflow (replica first, store ")
		assert.Contains(t, msg, "http "+first.HTTPAddr()+",")
		assert.Contains(t, msg, "already applies the events of stream SCOREFLOW_EVENTS on this NATS; stop it first")
		assert.Contains(t, msg, "store sqlite "+filepath.Join(firstCfg.DataDir, "scoreflow.db")+",")

		// Nor may PostgreSQL replicas start beside it.
		pg := process(t, url, "pg")
		pg.Store = pgtest.URL(t)
		err = startRefused(t, pg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "scoreflow replica first (store sqlite ")
		assert.Contains(t, err.Error(), "applies the events of stream SCOREFLOW_EVENTS alone on this NATS")

		// Nothing changed: the consumer is the same one and the first
		// process applies every event published after the refusal.
		assert.Equal(t, created, consumerCreated(t, first), "the refused process recreated the consumer")
		apptest.Publish(t, first, demoEvents(50, 50, "c1")...)
		apptest.WaitIdle(t, first)
		assert.Equal(t, uint64(100), first.Engine.Stats().Applied)
		assert.Equal(t, int64(500), apptest.Contact(t, first, "c1").Score)
		apptest.CheckLedger(t, first, "c1")

		// GET /api/v1/cluster names the holder, owning every partition.
		var cl model.Cluster
		apptest.Do(t, first, http.MethodGet, "/api/v1/cluster", nil).JSON(t, &cl)
		require.Len(t, cl.Replicas, 1)
		assert.Equal(t, 16, cl.Partitions)
		assert.Equal(t, "first", cl.Replicas[0].ID)
		assert.Equal(t, first.HTTPAddr(), cl.Replicas[0].HTTP)
		assert.Len(t, cl.Replicas[0].Partitions, 16)
		assert.Equal(t, 15, cl.Replicas[0].Partitions[15])
		assert.WithinDuration(t, time.Now(), cl.Replicas[0].SeenAt, 5*time.Second)
	})
}

func TestEngineLeaseAfterStop(t *testing.T) {
	url := sharedNATS(t)
	first, err := app.Start(context.Background(), process(t, url, "first"))
	require.NoError(t, err)
	apptest.Publish(t, first, demoEvents(0, 20, "c1")...)
	apptest.WaitApplied(t, first, 20)
	require.NoError(t, first.Shutdown(context.Background()))

	// A clean stop releases the lease: the next process starts at once
	// and carries on from the same consumer.
	second := apptest.Start(t, process(t, url, "second"))
	apptest.Publish(t, second, demoEvents(20, 30, "c1")...)
	apptest.WaitApplied(t, second, 30)
	apptest.WaitIdle(t, second)
	assert.Equal(t, uint64(30), second.Engine.Stats().Applied)
	var cl model.Cluster
	apptest.Do(t, second, http.MethodGet, "/api/v1/cluster", nil).JSON(t, &cl)
	require.Len(t, cl.Replicas, 1)
	assert.Equal(t, "second", cl.Replicas[0].ID)

	families, err := second.Metrics.Gatherer().Gather()
	require.NoError(t, err)
	var replicas []string
	for _, f := range families {
		if f.GetName() == "scoreflow_replica_info" {
			for _, m := range f.GetMetric() {
				replicas = append(replicas, m.GetLabel()[0].GetValue())
				assert.Equal(t, 1.0, m.GetGauge().GetValue())
			}
		}
	}
	assert.Equal(t, []string{"second"}, replicas)
}

func TestEngineLeaseLapsesAfterKill(t *testing.T) {
	url := sharedNATS(t)
	first := apptest.Start(t, process(t, url, "first")) // creates the bucket with a 1s TTL
	// A SIGKILLed process stops rewriting its lease without releasing it.
	first.Conn.Close()

	second := process(t, url, "second")
	var held *broker.HeldError
	require.ErrorAs(t, startRefused(t, second), &held, "refused while the dead holder's lease lasts")
	assert.Equal(t, "first", held.Holder.ID)

	killed := time.Now()
	var a *app.App
	apptest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		var err error
		a, err = app.Start(context.Background(), second)
		return err
	})
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	assert.Less(t, time.Since(killed), 5*time.Second, "the lease outlived its TTL")
	apptest.Publish(t, a, demoEvents(0, 10, "c2")...)
	apptest.WaitApplied(t, a, 10)
}

func TestStreamPartitionsAndReplicas(t *testing.T) {
	url := sharedNATS(t)
	cfg := process(t, url, "first")
	cfg.Partitions = 8
	first, err := app.Start(context.Background(), cfg)
	require.NoError(t, err)
	n, err := broker.StreamPartitions(context.Background(), first.JS)
	require.NoError(t, err)
	assert.Equal(t, 8, n, "partitions recorded in the stream's metadata")
	require.NoError(t, first.Shutdown(context.Background()))

	// Partitions are fixed at creation: another value is refused before
	// the store is touched, and the refused process releases the lease.
	other := process(t, url, "second")
	err = startRefused(t, other)
	assert.ErrorContains(t, err, "stream SCOREFLOW_EVENTS was created with --partitions 8 and this process asks for 16")

	// An existing stream keeps its replicas (this single server could not
	// hold 3 anyway); the process starts.
	again := process(t, url, "third")
	again.Partitions, again.NATSReplicas = 8, 3
	a := apptest.Start(t, again)
	s, err := a.JS.Stream(context.Background(), broker.StreamName)
	require.NoError(t, err)
	assert.Equal(t, 1, s.CachedInfo().Config.Replicas)

	_, err = app.Start(context.Background(), app.Config{DataDir: t.TempDir(), NATSURL: url, NATSReplicas: 6})
	assert.ErrorContains(t, err, "--nats-replicas 6: JetStream keeps 1 to 5 replicas")
}

// TestEngineLeaseSurvivesNATSRestart: a restarted NATS server forgets the
// in-memory lease; the holder declares it again before anyone else can
// take it.
func TestEngineLeaseSurvivesNATSRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	storeDir := t.TempDir()
	ns, err := broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: storeDir, Listen: addr})
	require.NoError(t, err)
	first := apptest.Start(t, process(t, "nats://"+addr, "first"))
	ns.Shutdown()
	ns, err = broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: storeDir, Listen: addr})
	require.NoError(t, err)
	t.Cleanup(ns.Shutdown)

	apptest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		h, held, err := broker.ReadLease(context.Background(), first.JS)
		if err != nil || !held || h.ID != "first" {
			return fmt.Errorf("lease: %+v held=%v err=%v", h, held, err)
		}
		return nil
	})
	var held *broker.HeldError
	require.ErrorAs(t, startRefused(t, process(t, "nats://"+addr, "second")), &held)
	assert.Equal(t, "first", held.Holder.ID)
}

// TestEngineStopsWhenLeaseTaken: a holder that finds its lease rewritten
// by another process (it could not rewrite it for longer than the TTL)
// stops its engine instead of applying events beside the new holder.
func TestEngineStopsWhenLeaseTaken(t *testing.T) {
	url := sharedNATS(t)
	first := apptest.Start(t, process(t, url, "first"))
	require.True(t, first.Engine.Ready())
	kv, err := first.JS.KeyValue(context.Background(), broker.LeaseBucket)
	require.NoError(t, err)
	_, err = kv.Put(context.Background(), broker.StreamName, []byte(`{"id":"usurper","store":"sqlite /elsewhere","partitions":16}`))
	require.NoError(t, err)
	apptest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if first.Engine.Ready() {
			return errors.New("the engine still consumes")
		}
		return nil
	})
	assert.Equal(t, http.StatusServiceUnavailable, apptest.Do(t, first, http.MethodGet, "/readyz", nil).Status)
	// The other holder's lease is left alone by the stopping process.
	require.NoError(t, first.Shutdown(context.Background()))
	nc, js, err := broker.Connect(url, nil, "test")
	require.NoError(t, err)
	defer nc.Close()
	h, held, err := broker.ReadLease(context.Background(), js)
	require.NoError(t, err)
	require.True(t, held)
	assert.Equal(t, "usurper", h.ID)
}
