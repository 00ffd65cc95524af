package webhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store/postgres"
	"github.com/scoreflow/scoreflow/webhook"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// delivery is one 2xx answer of the receiver: who made the call, and when.
type delivery struct {
	by string
	at time.Time
}

// receiver counts the webhooks it accepted, by Idempotency-Key. Calls from
// the dispatcher named dead are held until release closes and then refused:
// that dispatcher's process is gone, its answers reach no one.
type receiver struct {
	dead    string
	release chan struct{}
	held    chan string // keys of the dead dispatcher's calls, as they arrive

	mu        sync.Mutex
	delivered map[string][]delivery
	heldAt    map[string]time.Time
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, by := r.Header.Get("Idempotency-Key"), r.Header.Get("User-Agent")
	if by == rc.dead {
		rc.mu.Lock()
		rc.heldAt[key] = time.Now()
		rc.mu.Unlock()
		rc.held <- key
		<-rc.release
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	time.Sleep(3 * time.Millisecond) // a receiver doing some work, so claims overlap
	rc.mu.Lock()
	rc.delivered[key] = append(rc.delivered[key], delivery{by: by, at: time.Now()})
	rc.mu.Unlock()
}

// TestClaimsDeliverOncePerClusterWithAKilledDispatcher runs three
// dispatchers, as three replicas would, on one PostgreSQL outbox: every
// row is delivered exactly once, and the rows of the replica killed while
// it held them are delivered by another once their claim's lease ended.
func TestClaimsDeliverOncePerClusterWithAKilledDispatcher(t *testing.T) {
	const rows, workers = 60, 4
	const lease = 1500 * time.Millisecond
	url := pgtest.URL(t)
	ctx := context.Background()
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, url)
		require.NoError(t, err)
		return s
	}
	storeA, storeB, storeC := open(), open(), open()
	t.Cleanup(func() { _ = storeB.Close(); _ = storeC.Close() })

	rc := &receiver{dead: "replica-a", release: make(chan struct{}), held: make(chan string, workers),
		delivered: map[string][]delivery{}, heldAt: map[string]time.Time{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)

	keys := make([]string, rows)
	tx, err := storeB.Begin(ctx)
	require.NoError(t, err)
	now := time.Now()
	for i := range keys {
		keys[i] = fmt.Sprintf("cause-%02d", i)
		require.NoError(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: keys[i], URL: srv.URL, Body: []byte(`{}`),
			NextAt: now, CreatedAt: now}))
	}
	require.NoError(t, tx.Commit())

	run := func(s webhook.Store, name string) (stop context.CancelFunc, done chan struct{}) {
		d := webhook.NewDispatcher(s, webhook.Options{AllowPrivate: true, Timeout: 5 * time.Second, Workers: workers,
			PollInterval: 20 * time.Millisecond, ClaimLease: lease, Owner: name, UserAgent: name,
			Logger: slog.New(slog.DiscardHandler)})
		runCtx, cancel := context.WithCancel(ctx)
		done = make(chan struct{})
		go func() {
			defer close(done)
			assert.NoError(t, d.Run(runCtx))
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
		return cancel, done
	}

	// Replica a claims a full load of rows and hangs on them.
	stopA, doneA := run(storeA, "replica-a")
	var heldKeys []string
	for range workers {
		select {
		case k := <-rc.held:
			heldKeys = append(heldKeys, k)
		case <-time.After(10 * time.Second):
			t.Fatal("replica a never started its deliveries")
		}
	}
	run(storeB, "replica-b")
	run(storeC, "replica-c")

	// Kill a mid-delivery: its connection to the store goes with it, so
	// nothing it was doing is recorded and its claims stay until the lease.
	stopA()
	storeA.Close()
	close(rc.release)
	select {
	case <-doneA:
	case <-time.After(10 * time.Second):
		t.Fatal("replica a's Run did not return")
	}

	require.Eventually(t, func() bool {
		d, err := storeB.Webhooks(ctx, model.WebhookDelivered, rows+1)
		return err == nil && len(d) == rows
	}, 20*time.Second, 20*time.Millisecond, "every row delivered")

	rc.mu.Lock()
	defer rc.mu.Unlock()
	by := map[string]int{}
	for _, k := range keys {
		got := rc.delivered[k]
		require.Len(t, got, 1, "%s accepted once", k)
		by[got[0].by]++
	}
	assert.Len(t, rc.delivered, rows, "no other key")
	assert.Zero(t, by["replica-a"], "the killed replica delivered nothing")
	assert.Positive(t, by["replica-b"], "both live replicas delivered")
	assert.Positive(t, by["replica-c"], "both live replicas delivered")
	for _, k := range heldKeys {
		got := rc.delivered[k][0]
		// The claim was made just before the held call arrived.
		assert.GreaterOrEqual(t, got.at.Sub(rc.heldAt[k]), lease-250*time.Millisecond,
			"%s taken over only after the lease of the killed replica's claim", k)
	}
	rowsNow, err := storeB.Webhooks(ctx, model.WebhookDelivered, rows)
	require.NoError(t, err)
	for _, r := range rowsNow {
		assert.Equal(t, 1, r.Attempts, "%s: the killed replica's lost attempt is not counted", r.Key)
	}
}
