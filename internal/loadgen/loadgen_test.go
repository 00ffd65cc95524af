package loadgen

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// server answers POSTs on a real listener with status, recording bodies
// and the most requests it saw at once.
type server struct {
	status            int
	mu                sync.Mutex
	bodies            map[string]int
	inFlight, maxSeen int
}

func start(t *testing.T, status int, delay time.Duration) (*server, string) {
	t.Helper()
	s := &server{status: status, bodies: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		s.mu.Lock()
		s.inFlight++
		s.maxSeen = max(s.maxSeen, s.inFlight)
		if string(c.Method()) == http.MethodPost && string(c.Path()) == "/in" && string(c.Request.Header.ContentType()) == "application/json" {
			s.bodies[string(c.PostBody())]++
		}
		s.mu.Unlock()
		time.Sleep(delay)
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
		c.SetStatusCode(s.status)
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s, ln.Addr().String()
}

func bodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(`{"n":` + strconv.Itoa(i) + `}`)
	}
	return out
}

func TestPostSendsEveryBodyOnceFromAllClients(t *testing.T) {
	s, addr := start(t, http.StatusAccepted, 2*time.Millisecond)
	var mu sync.Mutex
	sent := map[int]int{}
	rounds, err := Post(Config{Addr: addr, Path: "/in", Clients: 8, Want: http.StatusAccepted, Sent: func(i int, _ time.Time) {
		mu.Lock()
		sent[i]++
		mu.Unlock()
	}}, bodies(200))
	require.NoError(t, err)
	require.Len(t, rounds, 200)
	assert.IsNonDecreasing(t, rounds)
	assert.GreaterOrEqual(t, rounds[0], 2*time.Millisecond, "a round trip includes the server's time")
	assert.Len(t, s.bodies, 200)
	for b, n := range s.bodies {
		assert.Equal(t, 1, n, b)
	}
	assert.Len(t, sent, 200)
	assert.Greater(t, s.maxSeen, 1, "clients run concurrently")
	assert.LessOrEqual(t, s.maxSeen, 8, "never more requests at once than clients")
}

func TestPostPaces(t *testing.T) {
	_, addr := start(t, http.StatusAccepted, 0)
	began := time.Now()
	rounds, err := Post(Config{Addr: addr, Path: "/in", Clients: 4, Want: http.StatusAccepted, RequestsPerSecond: 1000}, bodies(300))
	require.NoError(t, err)
	assert.Len(t, rounds, 300)
	// 10 per 10 ms tick: 300 requests take at least 29 ticks.
	assert.GreaterOrEqual(t, time.Since(began), 280*time.Millisecond)
}

func TestPostReportsAWrongStatus(t *testing.T) {
	_, addr := start(t, http.StatusTooManyRequests, 0)
	_, err := Post(Config{Addr: addr, Path: "/in", Clients: 2, Want: http.StatusAccepted}, bodies(5))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "status 429")
}

func TestPostRefusesNoClients(t *testing.T) {
	_, err := Post(Config{Addr: "127.0.0.1:1", Clients: 0}, bodies(1))
	assert.Error(t, err)
}
