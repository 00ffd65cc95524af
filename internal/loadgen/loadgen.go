// Package loadgen posts prepared bodies to an HTTP endpoint from many
// concurrent clients: the load of the benchmark command and of the API's
// burst test. It uses fasthttp's client, which costs a fraction of
// net/http's CPU; the load shares the machine's cores with the server
// being measured.
package loadgen

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Config is one load.
type Config struct {
	Addr    string // host:port
	Path    string // e.g. /api/v1/events
	Clients int    // concurrent clients, each with one keep-alive connection
	// RequestsPerSecond paces the requests in 10 ms ticks; 0 sends them as
	// fast as the answers come.
	RequestsPerSecond int
	// Want is the status every answer must have (202 for ingestion).
	Want int
	// Sent, when set, is called with a body's index just before it is sent.
	Sent func(i int, at time.Time)
}

// Post sends every body once as a JSON POST. It returns each request's
// round trip, sorted, or the first failure (a transport error or another
// status than Want) once all clients are done.
func Post(cfg Config, bodies [][]byte) ([]time.Duration, error) {
	if cfg.Clients < 1 {
		return nil, fmt.Errorf("loadgen: %d clients", cfg.Clients)
	}
	client := &fasthttp.HostClient{Addr: cfg.Addr, MaxConns: cfg.Clients, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	defer client.CloseIdleConnections()
	work := make(chan int, len(bodies))
	if cfg.RequestsPerSecond <= 0 {
		for i := range bodies {
			work <- i
		}
		close(work)
	} else {
		go pace(work, len(bodies), max(cfg.RequestsPerSecond/100, 1))
	}
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
		rounds   = make([][]time.Duration, cfg.Clients)
	)
	for c := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI("http://" + cfg.Addr + cfg.Path)
			req.Header.SetMethod(http.MethodPost)
			req.Header.SetContentType("application/json")
			for i := range work {
				req.SetBodyRaw(bodies[i])
				sent := time.Now()
				if cfg.Sent != nil {
					cfg.Sent(i, sent)
				}
				err := client.Do(req, resp)
				if err == nil && resp.StatusCode() != cfg.Want {
					err = fmt.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
				}
				if err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("post body %d: %w", i, err)
					}
					errMu.Unlock()
					continue
				}
				rounds[c] = append(rounds[c], time.Since(sent))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	all := slices.Concat(rounds...)
	slices.Sort(all)
	return all, nil
}

// pace releases perTick indexes every 10 ms, then closes work.
func pace(work chan<- int, n, perTick int) {
	defer close(work)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := range n {
		if i > 0 && i%perTick == 0 {
			<-tick.C
		}
		work <- i
	}
}
