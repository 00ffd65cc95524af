// Package apptest starts real Scoreflow instances for tests: a temp data
// dir, a real embedded nats-server on a random port, a real SQLite file (or
// a real PostgreSQL database, see EachStore), the real engine and API. Nothing is mocked. Helpers poll for outcomes
// instead of sleeping, in the style of nats-server's checkFor.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
)

// Start runs an app in t.TempDir() (or cfg.DataDir when set) and shuts it
// down at the end of the test. Unset fields get test defaults: embedded NATS
// on a random loopback port, no HTTP listener (use Do), quiet logs.
func Start(t testing.TB, cfg app.Config) *app.App {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Store == "" {
		cfg.Store = StoreFor(t, cfg.DataDir)
	}
	if cfg.NATSListen == "" && cfg.NATSURL == "" {
		cfg.NATSListen = "127.0.0.1:-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = Logger(t)
	}
	a, err := app.Start(context.Background(), cfg)
	require.NoError(t, err, "start scoreflow")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

// Logger discards logs unless SCOREFLOW_TEST_LOG is set.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("SCOREFLOW_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// CheckFor polls fn every sleep until it returns nil or total elapses.
func CheckFor(t testing.TB, total, sleep time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(sleep)
	}
	t.Fatalf("timed out after %s: %v", total, err)
}

// Response is a decoded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "decode %s", r.Body)
}

// Map decodes the body as an object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request through fiber's app.Test (no network). body may be
// nil, a []byte, a string or any value to encode as JSON. Extra headers
// come as name, value pairs.
func Do(t testing.TB, a *app.App, method, path string, body any, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		enc, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(enc)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.HTTP.Test(req, 30_000)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// WaitApplied waits until the engine has applied at least n events in total
// (duplicates do not count).
func WaitApplied(t testing.TB, a *app.App, n uint64) {
	t.Helper()
	CheckFor(t, 20*time.Second, 5*time.Millisecond, func() error {
		if got := a.Engine.Stats().Applied; got < n {
			return fmt.Errorf("applied %d of %d events", got, n)
		}
		return nil
	})
}

// WaitIdle waits until the engine has had nothing to do for a moment: every
// published message was applied or skipped. It bounds a wait, it times
// nothing: under -race on two cores, beside other packages' tests, a
// restart applying 27,000 events (TestKillMidBatchThenRestart) has needed
// more than 20 s.
func WaitIdle(t testing.TB, a *app.App) {
	t.Helper()
	ctx := context.Background()
	CheckFor(t, 60*time.Second, 10*time.Millisecond, func() error {
		pending, unacked, err := broker.Backlog(ctx, a.JS)
		if err != nil {
			return err
		}
		if pending > 0 || unacked > 0 {
			return fmt.Errorf("consumers have %d pending, %d unacked", pending, unacked)
		}
		return nil
	})
}

// Contact reads a contact from the store.
func Contact(t testing.TB, a *app.App, id string) *model.Contact {
	t.Helper()
	c, err := a.Store.GetContact(context.Background(), id)
	require.NoError(t, err, "contact %s", id)
	return c
}

// CheckLedger asserts that a contact's ledger sums to its scores, per
// dimension and in total: the history explains every point.
func CheckLedger(t testing.TB, a *app.App, id string) {
	t.Helper()
	c := Contact(t, a, id)
	h, err := a.Store.History(context.Background(), id, 1_000_000)
	require.NoError(t, err)
	sums := map[string]int64{}
	var total int64
	for _, e := range h {
		sums[e.Score] += e.Delta
		total += e.Delta
	}
	for dim, v := range c.Scores {
		require.Equal(t, v, sums[dim], "contact %s: ledger of %s sums to %d, score is %d", id, dim, sums[dim], v)
	}
	require.Equal(t, c.Score, total, "contact %s: ledger sums to %d, score is %d", id, total, c.Score)
}

// Event builds an event.
func Event(id, typ, contact string, props map[string]any) *model.Event {
	return &model.Event{ID: id, Type: typ, ContactID: contact, Timestamp: time.Now().UTC(), Properties: props}
}

// Publish puts events on the stream through the app's publisher.
func Publish(t testing.TB, a *app.App, events ...*model.Event) {
	t.Helper()
	require.NoError(t, a.Publisher.Publish(context.Background(), "test", events))
}

// Clock is a clock tests move by hand, so time-based behaviour (segment
// windows, delays, decay) is tested without sleeping.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Off is the schedule that keeps every job from running by itself; tests
// run jobs with a.Scheduler.RunNow.
var Off = engine.Schedules{Segments: "off", Delays: "off", Decay: "off"}
