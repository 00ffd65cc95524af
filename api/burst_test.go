package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/internal/loadgen"
)

// burstSizes are the events of the batch phase and of the single-event
// phase. The full run (50,000 in batches, 20,000 single) is the default;
// under -race or -short a smaller one keeps CI fast. SCOREFLOW_BURST=full
// forces the full run.
func burstSizes() (batched, single int) {
	if os.Getenv("SCOREFLOW_BURST") != "full" && (raceEnabled || testing.Short()) {
		return 5_000, 2_000
	}
	return 50_000, 20_000
}

// TestBurst pushes events through POST /api/v1/events on a real listener,
// in batches of 500 from 8 clients and then one per request from 32
// clients, and checks that every one was applied exactly once. It logs
// "accepted/s" (answered 202, so stored in JetStream) and "applied/s"
// (committed by the engine, which consumes at the same time).
//
//	go test ./api -run TestBurst -count=1 -v
func TestBurst(t *testing.T) {
	batched, single := burstSizes()
	const contacts = 1000
	a := apptest.Start(t, app.Config{HTTPAddr: "127.0.0.1:0", Schedules: apptest.Off})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", flowDoc("demo", 1))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	// SCOREFLOW_BURST_PHASE=batch or single runs one phase alone, to
	// profile it.
	switch os.Getenv("SCOREFLOW_BURST_PHASE") {
	case "batch":
		single = 0
	case "single":
		batched = 0
	}
	perContact := make([]int64, contacts)
	event := func(id int) map[string]any {
		c := id % contacts
		perContact[c]++
		return map[string]any{"id": fmt.Sprintf("burst-%d", id), "type": "Demo", "contact_id": fmt.Sprintf("burst-c%d", c)}
	}

	// Bodies are encoded before the clock starts: the client's JSON is
	// not the server's throughput.
	const batchSize = 500
	var batches [][]byte
	for start := 0; start < batched; start += batchSize {
		items := make([]any, 0, batchSize)
		for id := start; id < min(start+batchSize, batched); id++ {
			items = append(items, event(id))
		}
		batches = append(batches, mustJSON(t, map[string]any{"events": items}))
	}
	singles := make([][]byte, single)
	for i := range singles {
		singles[i] = mustJSON(t, event(batched+i))
	}

	if batched > 0 {
		accepted, applied := burst(t, a, 8, batches, batchSize, 0)
		t.Logf("batches of %d from 8 clients: %d events, %.0f accepted/s, %.0f applied/s", batchSize, batched, accepted, applied)
	}
	if single > 0 {
		before := a.Engine.Stats().Batches
		accepted, applied := burst(t, a, 32, singles, 1, uint64(batched))
		t.Logf("single events from 32 clients: %d events, %.0f accepted/s, %.0f applied/s, %d engine batches", single, accepted, applied, a.Engine.Stats().Batches-before)
	}

	// All applied, none twice: the engine counted each once and each
	// contact's score is exactly its number of events (the flow adds 1).
	apptest.WaitIdle(t, a)
	stats := a.Engine.Stats()
	assert.Equal(t, uint64(batched+single), stats.Applied)
	assert.Zero(t, stats.Duplicates)
	assert.Zero(t, stats.Dead)
	for c, want := range perContact {
		got := apptest.Contact(t, a, fmt.Sprintf("burst-c%d", c)).Score
		if got != want {
			t.Fatalf("contact burst-c%d has score %d, want %d", c, got, want)
		}
	}
}

// burst posts bodies from n concurrent clients (internal/loadgen, a client
// that costs little CPU: it shares the machine's cores with the server) and
// returns events accepted per second (until the last 202) and applied per
// second (until the engine has applied them all, counted from the first
// request).
func burst(t *testing.T, a *app.App, clients int, bodies [][]byte, perBody int, appliedBefore uint64) (acceptedPerSec, appliedPerSec float64) {
	t.Helper()
	total := len(bodies) * perBody
	if perBody > 1 {
		total = 0
		for _, b := range bodies {
			var v struct{ Events []json.RawMessage }
			require.NoError(t, json.Unmarshal(b, &v))
			total += len(v.Events)
		}
	}
	start := time.Now()
	_, err := loadgen.Post(loadgen.Config{Addr: a.HTTPAddr(), Path: "/api/v1/events", Clients: clients, Want: http.StatusAccepted}, bodies)
	acceptedIn := time.Since(start)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	want := appliedBefore + uint64(total)
	for a.Engine.Stats().Applied < want {
		if ctx.Err() != nil {
			t.Fatalf("applied %d of %d", a.Engine.Stats().Applied, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
	appliedIn := time.Since(start)
	return float64(total) / acceptedIn.Seconds(), float64(total) / appliedIn.Seconds()
}
