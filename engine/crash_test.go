package engine_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/stores"
)

// TestCrashChild is the engine process the crash test kills; it only runs
// when started by TestKillMidBatchThenRestart.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("SCOREFLOW_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestKillMidBatchThenRestart only")
	}
	_, err := app.Start(context.Background(), app.Config{
		DataDir: dir, Store: os.Getenv("SCOREFLOW_CRASH_STORE"), NATSListen: os.Getenv("SCOREFLOW_CRASH_NATS"), AllowPrivateWebhooks: true,
		BatchSize: 200, Logger: apptest.Logger(t),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child start:", err)
		os.Exit(3)
	}
	select {} // until SIGKILL
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hookServer records webhook deliveries by Idempotency-Key.
type hookServer struct {
	*httptest.Server
	mu   sync.Mutex
	keys map[string]int
}

func newHookServer(t *testing.T, status func(n int) int) *hookServer {
	h := &hookServer{keys: map[string]int{}}
	calls := 0
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		calls++
		code := status(calls)
		if code < 300 {
			h.keys[r.Header.Get("Idempotency-Key")]++
		}
		h.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) delivered() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.keys {
		out[k] = v
	}
	return out
}

// appliedEvents counts the events a store has applied, from the per-minute
// counters written in the same transaction as the events.
func appliedEvents(st store.Store) (int, error) {
	minutes, err := st.EventsPerMinute(context.Background(), time.Time{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range minutes {
		n += int(m.Count)
	}
	return n, nil
}

// TestKillMidBatchThenRestart kills an engine process with SIGKILL while it
// applies a stream of events, restarts on the same data, and checks that
// every event was applied exactly once: each contact's score is the
// expected total and its ledger sums to it; every queued webhook is
// delivered after the restart.
func TestKillMidBatchThenRestart(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		if testing.Short() {
			t.Skip("spawns a process")
		}
		dir := t.TempDir()
		hooks := newHookServer(t, func(int) int { return http.StatusOK })

		setup := apptest.Start(t, app.Config{DataDir: dir})
		createFlow(t, setup, `{"id":"hit","name":"hit","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Hit"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"engagement","points":1}}],"edges":[{"from":"t","to":"a"}]}`)
		createFlow(t, setup, fmt.Sprintf(`{"id":"big","name":"big","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Big hit"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"fit","points":5}},
		{"id":"w","type":"action.webhook","config":{"url":%q}}],"edges":[{"from":"t","to":"a"},{"from":"a","to":"w"}]}`, hooks.URL))
		require.NoError(t, setup.Shutdown(context.Background()))

		natsPort := freePort(t)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		storeURL := apptest.StoreFor(t, dir)
		cmd.Env = append(os.Environ(), "SCOREFLOW_CRASH_DIR="+dir, "SCOREFLOW_CRASH_STORE="+storeURL,
			fmt.Sprintf("SCOREFLOW_CRASH_NATS=127.0.0.1:%d", natsPort))
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		killed := false
		t.Cleanup(func() {
			if !killed {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})

		var nc *nats.Conn
		apptest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			var err error
			nc, err = nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", natsPort))
			return err
		})
		defer nc.Close()
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(time.Minute))
		require.NoError(t, err)

		const total, contacts = 30000, 100
		expected := map[string]int64{}
		var bigIDs []string
		for i := 0; i < total; i++ {
			contact := "c" + strconv.Itoa(i%contacts)
			typ, pts := "Hit", int64(1)
			if i%10 == 0 {
				typ, pts = "Big hit", 5
			}
			id := "k" + strconv.Itoa(i)
			if typ == "Big hit" {
				bigIDs = append(bigIDs, id)
			}
			expected[contact] += pts
			msg := &nats.Msg{Subject: "scoreflow.events.load", Header: nats.Header{},
				Data: []byte(fmt.Sprintf(`{"id":%q,"type":%q,"contact_id":%q}`, id, typ, contact))}
			msg.Header.Set("Nats-Msg-Id", id)
			_, err := js.PublishMsgAsync(msg, jetstream.WithStallWait(30*time.Second))
			require.NoError(t, err)
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(60 * time.Second):
			t.Fatal("publishes not acknowledged")
		}

		// Kill once some, but not all, events are committed: mid-stream, and in
		// all likelihood mid-batch. The count comes through a store of our own
		// on the child's database (SQLite file or PostgreSQL).
		target, err := stores.Resolve(storeURL, dir)
		require.NoError(t, err)
		watch, err := stores.Open(context.Background(), target)
		require.NoError(t, err)
		defer watch.Close()
		var atKill int
		apptest.CheckFor(t, 60*time.Second, time.Millisecond, func() error {
			n, err := appliedEvents(watch)
			if err != nil {
				return err
			}
			if atKill = n; atKill < total/10 {
				return fmt.Errorf("%d events committed", atKill)
			}
			return nil
		})
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		killed = true
		require.Less(t, atKill, total, "the child finished before the kill; the test proves nothing")
		t.Logf("killed after %d of %d events were committed", atKill, total)

		b := apptest.Start(t, app.Config{DataDir: dir, AllowPrivateWebhooks: true})
		apptest.WaitIdle(t, b)
		applied, err := appliedEvents(b.Store)
		require.NoError(t, err)
		if applied != total {
			dead, _ := b.Store.DeadEvents(context.Background(), 5)
			info, _ := b.JS.Stream(context.Background(), "SCOREFLOW_EVENTS")
			t.Logf("stats after restart %+v; dead %d %+v; stream state %+v", b.Engine.Stats(), len(dead), dead, info.CachedInfo().State)
		}
		assert.Equal(t, total, applied, "every event applied once")
		for contact, want := range expected {
			c := apptest.Contact(t, b, contact)
			require.Equal(t, want, c.Score, "contact %s", contact)
			apptest.CheckLedger(t, b, contact)
		}
		apptest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
			if got := len(hooks.delivered()); got < len(bigIDs) {
				return fmt.Errorf("%d of %d webhooks delivered", got, len(bigIDs))
			}
			return nil
		})
		got := hooks.delivered()
		for _, id := range bigIDs {
			assert.Contains(t, got, id+"/big@1/w", "webhook of %s", id)
		}
		assert.Len(t, got, len(bigIDs), "no webhook for an event that did not happen")
	})
}
