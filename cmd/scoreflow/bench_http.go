package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/scoreflow/scoreflow/internal/loadgen"
	"github.com/scoreflow/scoreflow/model"
)

// httpLoad is bench's HTTP road: clients post events to POST /api/v1/events
// on a real listener, the way integrations do, and wait for each 202.
type httpLoad struct {
	clients, perRequest int
}

func (h *httpLoad) label() string {
	if h.perRequest == 1 {
		return fmt.Sprintf("HTTP single events from %d clients", h.clients)
	}
	return fmt.Sprintf("HTTP batches of %d from %d clients", h.perRequest, h.clients)
}

// encode makes every request body before the clock starts, so the
// client's JSON encoding is not counted as the server's time. Body b
// carries events b*perRequest onwards.
func (h *httpLoad) encode(gen *eventGen, events int) ([][]byte, error) {
	bodies := make([][]byte, 0, events/h.perRequest+1)
	for first := 0; first < events; first += h.perRequest {
		batch := make([]*model.Event, 0, h.perRequest)
		for i := first; i < min(first+h.perRequest, events); i++ {
			batch = append(batch, gen.next(i))
		}
		var v any = batch[0]
		if h.perRequest > 1 {
			v = map[string]any{"events": batch}
		}
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode events from %d: %w", first, err)
		}
		bodies = append(bodies, data)
	}
	return bodies, nil
}

// post sends the bodies (rate is in events/s, 0 = flat out), stamps each
// event's send time into published and returns every request's round
// trip, sorted.
func (h *httpLoad) post(addr string, bodies [][]byte, rate int, published []int64, mu *sync.Mutex) ([]time.Duration, error) {
	perSecond := 0
	if rate > 0 {
		perSecond = max(rate/h.perRequest, 1)
	}
	return loadgen.Post(loadgen.Config{
		Addr: addr, Path: "/api/v1/events", Clients: h.clients, Want: http.StatusAccepted,
		RequestsPerSecond: perSecond,
		Sent: func(b int, at time.Time) {
			mu.Lock()
			defer mu.Unlock()
			for i := b * h.perRequest; i < min((b+1)*h.perRequest, len(published)); i++ {
				published[i] = at.UnixNano()
			}
		},
	}, bodies)
}
