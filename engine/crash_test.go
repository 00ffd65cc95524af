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

		child := startCrashChild(t, dir)
		js := child.js

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
		// all likelihood mid-batch.
		atKill := child.killAfter(t, total/10)
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

// crashChild is TestCrashChild running as a process of its own on a data
// directory (and its PostgreSQL database inside a postgres subtest), with
// a JetStream client on the child's NATS.
type crashChild struct {
	cmd      *exec.Cmd
	dir      string
	storeURL string
	js       jetstream.JetStream
	killed   bool
}

func startCrashChild(t *testing.T, dir string) *crashChild {
	t.Helper()
	natsPort := freePort(t)
	c := &crashChild{dir: dir, storeURL: apptest.StoreFor(t, dir)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	c.cmd.Env = append(os.Environ(), "SCOREFLOW_CRASH_DIR="+dir, "SCOREFLOW_CRASH_STORE="+c.storeURL,
		fmt.Sprintf("SCOREFLOW_CRASH_NATS=127.0.0.1:%d", natsPort))
	c.cmd.Stderr = os.Stderr
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		if !c.killed {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	var nc *nats.Conn
	apptest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		nc, err = nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", natsPort))
		return err
	})
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(time.Minute))
	require.NoError(t, err)
	c.js = js
	return c
}

// killAfter SIGKILLs the child once at least n events are committed and
// returns how many were. The count comes through a store of our own on
// the child's database (SQLite file or PostgreSQL).
func (c *crashChild) killAfter(t *testing.T, n int) int {
	t.Helper()
	target, err := stores.Resolve(c.storeURL, c.dir)
	require.NoError(t, err)
	watch, err := stores.Open(context.Background(), target)
	require.NoError(t, err)
	defer watch.Close()
	var atKill int
	apptest.CheckFor(t, 60*time.Second, time.Millisecond, func() error {
		got, err := appliedEvents(watch)
		if err != nil {
			return err
		}
		if atKill = got; atKill < n {
			return fmt.Errorf("%d events committed", atKill)
		}
		return nil
	})
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	_ = c.cmd.Wait()
	c.killed = true
	return atKill
}
