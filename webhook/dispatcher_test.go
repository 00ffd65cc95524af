package webhook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// memStore is an in-memory outbox with the semantics of the SQLite one.
type memStore struct {
	mu       sync.Mutex
	rows     map[int64]*model.WebhookDelivery
	claims   map[int64]time.Time // row id → end of its claim's lease
	nextID   int64
	queries  int
	outcomes []string
	// failMarks makes the next n Mark* calls fail, as a store that lost its disk would.
	failMarks int
}

func newMemStore() *memStore {
	return &memStore{rows: make(map[int64]*model.WebhookDelivery), claims: make(map[int64]time.Time)}
}

func (s *memStore) add(url string, headers map[string]string, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	now := time.Now()
	s.rows[s.nextID] = &model.WebhookDelivery{
		ID: s.nextID, Key: "key-" + strconv.FormatInt(s.nextID, 10), URL: url, Headers: headers,
		Body: []byte(body), Status: model.WebhookPending, NextAt: now, CreatedAt: now,
	}
	return s.nextID
}

func (s *memStore) get(id int64) model.WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.rows[id]
}

func (s *memStore) queryCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

func (s *memStore) ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]model.WebhookDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries++
	var due []model.WebhookDelivery
	for _, r := range s.rows {
		if until, claimed := s.claims[r.ID]; claimed && now.Before(until) {
			continue
		}
		if r.Status == model.WebhookPending && !r.NextAt.After(now) {
			due = append(due, *r)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].NextAt.Equal(due[j].NextAt) {
			return due[i].NextAt.Before(due[j].NextAt)
		}
		return due[i].ID < due[j].ID
	})
	if len(due) > limit {
		due = due[:limit]
	}
	for _, r := range due {
		s.claims[r.ID] = now.Add(lease)
	}
	return due, nil
}

// mark applies fn to a pending row, the way the SQL store's UPDATE ... WHERE status = 'pending' does.
func (s *memStore) mark(id int64, fn func(r *model.WebhookDelivery)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failMarks > 0 {
		s.failMarks--
		return errors.New("disk I/O error")
	}
	r, ok := s.rows[id]
	if !ok || r.Status != model.WebhookPending {
		return errors.New("no pending delivery " + strconv.FormatInt(id, 10))
	}
	fn(r)
	delete(s.claims, id)
	return nil
}

func (s *memStore) MarkWebhookDelivered(ctx context.Context, id int64, attempts int, at time.Time) error {
	return s.mark(id, func(r *model.WebhookDelivery) {
		r.Status, r.Attempts, r.LastError = model.WebhookDelivered, attempts, ""
	})
}

func (s *memStore) MarkWebhookRetry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	return s.mark(id, func(r *model.WebhookDelivery) {
		r.Attempts, r.NextAt, r.LastError = attempts, next, lastErr
	})
}

func (s *memStore) MarkWebhookFailed(ctx context.Context, id int64, attempts int, lastErr string, at time.Time) error {
	return s.mark(id, func(r *model.WebhookDelivery) {
		r.Status, r.Attempts, r.LastError = model.WebhookFailed, attempts, lastErr
	})
}

// fastOptions keep every wait in the tests in milliseconds.
func fastOptions() Options {
	return Options{
		AllowPrivate: true,
		Timeout:      2 * time.Second,
		MaxAttempts:  8,
		BaseBackoff:  time.Millisecond,
		MaxBackoff:   5 * time.Millisecond,
		PollInterval: 10 * time.Millisecond,
		ClaimLease:   50 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
	}
}

// runner is a Run in progress: done closes when Run returns, and err then holds its result.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// runDispatcher starts d and stops it when the test ends, failing the test if
// Run does not return promptly.
func runDispatcher(t *testing.T, d *Dispatcher) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return r
}

func waitStatus(t *testing.T, s *memStore, id int64, status string) model.WebhookDelivery {
	t.Helper()
	require.Eventually(t, func() bool { return s.get(id).Status == status }, 3*time.Second, 2*time.Millisecond,
		"delivery %d never reached %s", id, status)
	return s.get(id)
}

type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) record(outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, outcome)
}

func (o *outcomes) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got...)
}

func TestDeliveredWithHeadersAndBody(t *testing.T) {
	type seen struct {
		header http.Header
		body   string
		method string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Clone(), string(body), r.Method}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	store := newMemStore()
	id := store.add(srv.URL+"/hook?token=s3cret", map[string]string{
		"X-Custom":             "yes",
		"Idempotency-Key":      "forged",
		"x-scoreflow-delivery": "999",
	}, `{"contact":{"id":"c-42"}}`)

	var res outcomes
	opts := fastOptions()
	opts.UserAgent = "scoreflow-test"
	opts.OnResult = res.record
	runDispatcher(t, NewDispatcher(store, opts))

	row := waitStatus(t, store, id, model.WebhookDelivered)
	assert.Equal(t, 1, row.Attempts)
	assert.Empty(t, row.LastError)

	req := <-got
	assert.Equal(t, http.MethodPost, req.method)
	assert.JSONEq(t, `{"contact":{"id":"c-42"}}`, req.body)
	assert.Equal(t, "application/json", req.header.Get("Content-Type"))
	assert.Equal(t, "scoreflow-test", req.header.Get("User-Agent"))
	assert.Equal(t, "yes", req.header.Get("X-Custom"))
	assert.Equal(t, []string{"key-1"}, req.header.Values("Idempotency-Key"), "a flow's header cannot override it")
	assert.Equal(t, []string{strconv.FormatInt(id, 10)}, req.header.Values("X-Scoreflow-Delivery"))
	assert.Equal(t, []string{OutcomeDelivered}, res.list())
}

func TestRetriedOn500ThenDelivered(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "database is down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	store := newMemStore()
	id := store.add(srv.URL, nil, `{}`)
	var res outcomes
	opts := fastOptions()
	opts.OnResult = res.record
	runDispatcher(t, NewDispatcher(store, opts))

	row := waitStatus(t, store, id, model.WebhookDelivered)
	assert.Equal(t, 3, row.Attempts)
	assert.Equal(t, int32(3), calls.Load())
	assert.Equal(t, []string{OutcomeRetry, OutcomeRetry, OutcomeDelivered}, res.list())
}

func TestFailedAfterMaxAttempts(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "try later", http.StatusServiceUnavailable)
	}))
	defer srv.Close()

	store := newMemStore()
	id := store.add(srv.URL, nil, `{}`)
	opts := fastOptions()
	opts.MaxAttempts = 3
	runDispatcher(t, NewDispatcher(store, opts))

	row := waitStatus(t, store, id, model.WebhookFailed)
	assert.Equal(t, 3, row.Attempts)
	assert.Equal(t, "HTTP 503 Service Unavailable: try later", row.LastError)
	time.Sleep(30 * time.Millisecond) // a few poll intervals: nothing more is sent
	assert.Equal(t, int32(3), calls.Load())
}

func TestGoneFailsAtOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusGone)
	}))
	defer srv.Close()

	store := newMemStore()
	id := store.add(srv.URL, nil, `{}`)
	var res outcomes
	opts := fastOptions()
	opts.OnResult = res.record
	runDispatcher(t, NewDispatcher(store, opts))

	row := waitStatus(t, store, id, model.WebhookFailed)
	assert.Equal(t, 1, row.Attempts)
	assert.Equal(t, "HTTP 410 Gone", row.LastError)
	assert.Equal(t, int32(1), calls.Load())
	assert.Equal(t, []string{OutcomeFailed}, res.list())
}

func TestLastErrorKeepsFirst200BytesOfBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	defer srv.Close()

	store := newMemStore()
	id := store.add(srv.URL, nil, `{}`)
	opts := fastOptions()
	opts.MaxAttempts = 1
	runDispatcher(t, NewDispatcher(store, opts))

	row := waitStatus(t, store, id, model.WebhookFailed)
	assert.Equal(t, "HTTP 400 Bad Request: "+strings.Repeat("x", 200), row.LastError)
}

func TestTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			// Read the body first: only then does the server notice the client hanging up.
			_, _ = io.ReadAll(r.Body)
			select { // hang past the client's timeout
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	store := newMemStore()
	id := store.add(srv.URL, nil, `{}`)
	var res outcomes
	opts := fastOptions()
	opts.Timeout = 100 * time.Millisecond
	opts.OnResult = res.record
	runDispatcher(t, NewDispatcher(store, opts))

	require.Eventually(t, func() bool { return store.get(id).Attempts == 1 }, 3*time.Second, 2*time.Millisecond)
	assert.Contains(t, store.get(id).LastError, "timeout")
	row := waitStatus(t, store, id, model.WebhookDelivered)
	assert.Equal(t, 2, row.Attempts)
	assert.Equal(t, []string{OutcomeRetry, OutcomeDelivered}, res.list())
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more

	store := newMemStore()
	id := store.add(url, nil, `{}`)
	opts := fastOptions()
	opts.MaxAttempts = 2
	runDispatcher(t, NewDispatcher(store, opts))

	row := waitStatus(t, store, id, model.WebhookFailed)
	assert.Equal(t, 2, row.Attempts)
	assert.Contains(t, row.LastError, "connection refused")
	assert.NotContains(t, row.LastError, url, "the URL is not repeated in the error")
}

func TestLoopbackTarget(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()

	t.Run("refused by default", func(t *testing.T) {
		store := newMemStore()
		id := store.add(srv.URL, nil, `{}`)
		opts := fastOptions()
		opts.AllowPrivate = false
		runDispatcher(t, NewDispatcher(store, opts))

		row := waitStatus(t, store, id, model.WebhookFailed)
		assert.Equal(t, 1, row.Attempts)
		assert.Equal(t,
			"refused: 127.0.0.1 resolves to a private address; start with --allow-private-webhooks to allow it",
			row.LastError)
		assert.Equal(t, int32(0), calls.Load())
	})
	t.Run("refused by name", func(t *testing.T) {
		_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
		require.NoError(t, err)
		store := newMemStore()
		id := store.add("http://localhost:"+port, nil, `{}`)
		opts := fastOptions()
		opts.AllowPrivate = false
		runDispatcher(t, NewDispatcher(store, opts))

		row := waitStatus(t, store, id, model.WebhookFailed)
		assert.Equal(t,
			"refused: localhost resolves to a private address; start with --allow-private-webhooks to allow it",
			row.LastError)
		assert.Equal(t, int32(0), calls.Load())
	})
	t.Run("delivered when allowed", func(t *testing.T) {
		store := newMemStore()
		id := store.add(srv.URL, nil, `{}`)
		runDispatcher(t, NewDispatcher(store, fastOptions()))

		waitStatus(t, store, id, model.WebhookDelivered)
		assert.Equal(t, int32(1), calls.Load())
	})
}

func TestRedirectToLoopbackRefused(t *testing.T) {
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { internalHits.Add(1) }))
	defer internal.Close()
	public := httptest.NewServer(http.RedirectHandler(internal.URL+"/admin", http.StatusPermanentRedirect))
	defer public.Close()

	store := newMemStore()
	id := store.add(public.URL, nil, `{}`)
	opts := fastOptions()
	opts.AllowPrivate = false
	d := NewDispatcher(store, opts)
	// The first server stands in for a public receiver; everything else is judged by the real guard.
	d.client = newHTTPClient(opts.Timeout, allowOnly(public))
	runDispatcher(t, d)

	row := waitStatus(t, store, id, model.WebhookFailed)
	assert.Equal(t, 1, row.Attempts)
	assert.Contains(t, row.LastError, "refused: 127.0.0.1 resolves to a private address")
	assert.Equal(t, int32(0), internalHits.Load())
}

func TestInvalidTargetsFailAtOnce(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		headers map[string]string
		errText string
	}{
		{"unparsable", "http://[::1", nil, "invalid URL"},
		{"ftp scheme", "ftp://example.com/x", nil, `invalid URL: scheme "ftp"`},
		{"file scheme", "file:///etc/passwd", nil, `invalid URL: scheme "file"`},
		{"no host", "http:///path", nil, "invalid URL: no host"},
		{"header splitting", "http://example.com", map[string]string{"X-A": "1\r\nX-B: 2"}, `invalid header "X-A"`},
		{"bad header name", "http://example.com", map[string]string{"X A": "1"}, `invalid header "X A"`},
	}
	store := newMemStore()
	ids := make([]int64, len(tests))
	for i, tt := range tests {
		ids[i] = store.add(tt.url, tt.headers, `{}`)
	}
	runDispatcher(t, NewDispatcher(store, fastOptions()))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := waitStatus(t, store, ids[i], model.WebhookFailed)
			assert.Equal(t, 1, row.Attempts)
			assert.Contains(t, row.LastError, tt.errText)
		})
	}
}

func TestNotifyWakesDispatcher(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()

	store := newMemStore()
	opts := fastOptions()
	opts.PollInterval = time.Hour
	d := NewDispatcher(store, opts)
	runDispatcher(t, d)

	// Wait for the first look, so the row below can only be found through Notify.
	require.Eventually(t, func() bool { return store.queryCount() >= 1 }, time.Second, time.Millisecond)
	id := store.add(srv.URL, nil, `{}`)
	start := time.Now()
	d.Notify()
	waitStatus(t, store, id, model.WebhookDelivered)
	assert.Less(t, time.Since(start), time.Second)
}

func TestNotifyNeverBlocks(t *testing.T) {
	d := NewDispatcher(newMemStore(), fastOptions())
	for range 100 { // nobody is running: every call past the first must still return
		d.Notify()
	}
}

func TestRunWaitsForInFlightDelivery(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	store := newMemStore()
	id := store.add(srv.URL, nil, `{}`)
	run := runDispatcher(t, NewDispatcher(store, fastOptions()))

	<-arrived
	run.cancel()
	select {
	case <-run.done:
		t.Fatal("Run returned while a delivery was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-run.done:
		require.NoError(t, run.err)
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after the delivery finished")
	}
	row := store.get(id)
	assert.Equal(t, model.WebhookDelivered, row.Status, "the delivery in flight at shutdown is recorded")
	assert.Equal(t, 1, row.Attempts)
}

func TestRunTwiceAtOnceIsRefused(t *testing.T) {
	d := NewDispatcher(newMemStore(), fastOptions())
	runDispatcher(t, d)
	require.Eventually(t, d.running.Load, time.Second, time.Millisecond)
	assert.Error(t, d.Run(context.Background()))
}

func TestNoConcurrentDuplicateDelivery(t *testing.T) {
	var mu sync.Mutex
	active := map[string]int{}
	total := map[string]int{}
	var overlap atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		active[key]++
		total[key]++
		if active[key] > 1 {
			overlap.Store(true)
		}
		mu.Unlock()
		time.Sleep(30 * time.Millisecond) // slower than the poll interval, so rows are seen while in flight
		mu.Lock()
		active[key]--
		mu.Unlock()
	}))
	defer srv.Close()

	store := newMemStore()
	var ids []int64
	for range 10 {
		ids = append(ids, store.add(srv.URL, nil, `{}`))
	}
	opts := fastOptions()
	opts.PollInterval = time.Millisecond
	opts.Workers = 3
	d := NewDispatcher(store, opts)
	runDispatcher(t, d)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // hammer Notify, as a busy engine would
		for {
			select {
			case <-stop:
				return
			default:
				d.Notify()
				time.Sleep(100 * time.Microsecond)
			}
		}
	})
	for _, id := range ids {
		waitStatus(t, store, id, model.WebhookDelivered)
	}
	close(stop)
	wg.Wait()

	assert.False(t, overlap.Load(), "a row was delivered twice at once")
	mu.Lock()
	defer mu.Unlock()
	for key, n := range total {
		assert.Equal(t, 1, n, "delivery %s", key)
	}
}

func TestUnrecordedOutcomeIsDeliveredAgain(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		assert.Equal(t, "key-1", r.Header.Get("Idempotency-Key"), "every repeat carries the same key")
	}))
	defer srv.Close()

	store := newMemStore()
	store.failMarks = 1
	id := store.add(srv.URL, nil, `{}`)
	var res outcomes
	opts := fastOptions()
	opts.OnResult = res.record
	runDispatcher(t, NewDispatcher(store, opts))

	row := waitStatus(t, store, id, model.WebhookDelivered)
	assert.Equal(t, int32(2), calls.Load(), "delivered once unrecorded, then again")
	assert.Equal(t, 1, row.Attempts, "the attempt whose outcome was lost is not counted")
	assert.Equal(t, []string{OutcomeDelivered}, res.list(), "only recorded outcomes are reported")
}

func TestBackoff(t *testing.T) {
	d := NewDispatcher(newMemStore(), Options{BaseBackoff: time.Second, MaxBackoff: 10 * time.Minute})
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 8: 128 * time.Second} {
		for range 50 {
			got := d.backoff(attempt)
			assert.GreaterOrEqual(t, got, want*8/10, "attempt %d", attempt)
			assert.LessOrEqual(t, got, want*12/10, "attempt %d", attempt)
		}
	}
	for range 50 {
		assert.LessOrEqual(t, d.backoff(20), 10*time.Minute, "capped")
		assert.LessOrEqual(t, d.backoff(1000), 10*time.Minute, "no overflow")
		assert.Greater(t, d.backoff(1000), time.Duration(0), "no overflow")
	}
}

func TestDefaults(t *testing.T) {
	d := NewDispatcher(newMemStore(), Options{})
	assert.Equal(t, 10*time.Second, d.opts.Timeout)
	assert.Equal(t, 8, d.opts.MaxAttempts)
	assert.Equal(t, time.Second, d.opts.BaseBackoff)
	assert.Equal(t, 10*time.Minute, d.opts.MaxBackoff)
	assert.Equal(t, 4, d.opts.Workers)
	assert.Equal(t, time.Second, d.opts.PollInterval)
	assert.False(t, d.opts.AllowPrivate)
	assert.NotEmpty(t, d.opts.UserAgent)
	assert.Equal(t, 30*time.Second, d.opts.ClaimLease, "longer than an attempt plus recording its outcome")
	assert.NotEmpty(t, d.opts.Owner)
	assert.NotEqual(t, d.opts.Owner, NewDispatcher(newMemStore(), Options{}).opts.Owner, "each dispatcher claims as itself")
}

func TestRunLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	store := newMemStore()
	var ids []int64
	for range 6 {
		ids = append(ids, store.add(srv.URL, nil, `{}`))
	}
	d := NewDispatcher(store, fastOptions())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	for _, id := range ids {
		waitStatus(t, store, id, model.WebhookDelivered)
	}
	cancel()
	require.NoError(t, <-done)
	srv.Close()

	// Workers, tickers and kept-alive connections must all be gone once Run returned.
	// Polled here rather than with assert.Eventually, which runs its condition in a goroutine of its own.
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
	}
}
