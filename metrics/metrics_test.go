package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/metrics"
)

func scrape(t *testing.T, r *metrics.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestRegistry(t *testing.T) {
	r := metrics.New()
	r.Ingested(metrics.PathAPI, 3)
	r.Ingested(metrics.PathSegment, 0) // nothing to count
	r.Committed(5, 2, 30*time.Millisecond)
	r.FlowRun("f1", "completed")
	r.FlowRun("f1", "failed")
	r.WebhookResult("retry")
	r.JobRun("decay", "ok", time.Second)
	r.Request("GET", "/api/v1/flows", 200, time.Millisecond)
	r.WatchDead(func() uint64 { return 4 })
	lagged := 0
	r.WatchLag(func(context.Context) (uint64, uint64, error) {
		lagged++
		if lagged > 1 {
			return 0, 0, errors.New("nats down")
		}
		return 7, 2, nil
	}, time.Second)

	for _, c := range []struct {
		text string
		want string
	}{
		{"ingested api", `scoreflow_events_ingested_total{path="api"} 3`},
		{"every path exported at zero", `scoreflow_events_ingested_total{path="sendgrid"} 0`},
		{"applied", `scoreflow_events_applied_total 5`},
		{"duplicates", `scoreflow_events_duplicate_total 2`},
		{"batches", `scoreflow_batch_duration_seconds_count 1`},
		{"runs", `scoreflow_flow_runs_total{flow="f1",outcome="failed"} 1`},
		{"webhooks", `scoreflow_webhook_deliveries_total{outcome="retry"} 1`},
		{"jobs", `scoreflow_job_runs_total{job="decay",outcome="ok"} 1`},
		{"http", `scoreflow_http_requests_total{code="200",method="GET",route="/api/v1/flows"} 1`},
		{"dead", `scoreflow_events_dead_total 4`},
		{"lag", `scoreflow_consumer_pending_messages 7`},
		{"ack pending", `scoreflow_consumer_ack_pending_messages 2`},
		{"lag readable", `scoreflow_consumer_info_up 1`},
	} {
		if text := scrape(t, r); !strings.Contains(text, c.want+"\n") {
			t.Errorf("%s: no %q in\n%s", c.text, c.want, text)
		}
		lagged = 0
	}
	lagged = 1
	text := scrape(t, r)
	if !strings.Contains(text, "scoreflow_consumer_info_up 0\n") || strings.Contains(text, "scoreflow_consumer_pending_messages") {
		t.Errorf("an unreadable lag is reported as such, not as zero:\n%s", text)
	}
	families, err := r.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "scoreflow_flow_runs_total" && len(f.GetMetric()) != 2 {
			t.Errorf("flow run series = %d, want 2", len(f.GetMetric()))
		}
	}
}

// TestNilRegistry: components wired without metrics call a nil registry.
func TestNilRegistry(t *testing.T) {
	var r *metrics.Registry
	r.Ingested(metrics.PathAPI, 1)
	r.Committed(1, 0, time.Millisecond)
	r.FlowRun("f", "completed")
	r.WebhookResult("delivered")
	r.JobRun("j", "ok", time.Millisecond)
	r.Request("GET", "/", 200, time.Millisecond)
	r.WatchLag(nil, time.Second)
	r.WatchDead(nil)
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("a nil registry serves %d", rec.Code)
	}
}

// TestRegistriesAreIndependent: two apps in one process (tests) never share
// counters, as they would through Prometheus' default registry.
func TestRegistriesAreIndependent(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				a.Ingested(metrics.PathAPI, 1)
			}
		}()
	}
	wg.Wait()
	if !strings.Contains(scrape(t, a), `scoreflow_events_ingested_total{path="api"} 800`) {
		t.Error("a counts its own")
	}
	if !strings.Contains(scrape(t, b), `scoreflow_events_ingested_total{path="api"} 0`) {
		t.Error("b sees none of a's")
	}
}

// TestReplicaLabel: once the replica id is set, every series served, the
// process's own and the ones read at scrape time, carries it, and
// scoreflow_replica_info names it; labels stay sorted.
func TestReplicaLabel(t *testing.T) {
	r := metrics.New()
	r.Request("GET", "/api/v1/flows", 200, time.Millisecond)
	r.WatchLag(func(context.Context) (uint64, uint64, error) { return 3, 1, nil }, time.Second)
	if text := scrape(t, r); strings.Contains(text, `replica=`) {
		t.Errorf("a replica label before the id is known:\n%s", text)
	}
	r.Replica("node-2")
	text := scrape(t, r)
	for _, want := range []string{
		`scoreflow_replica_info{replica="node-2"} 1`,
		`scoreflow_events_ingested_total{path="api",replica="node-2"} 0`,
		`scoreflow_events_applied_total{replica="node-2"} 0`,
		`scoreflow_http_requests_total{code="200",method="GET",replica="node-2",route="/api/v1/flows"} 1`,
		`scoreflow_http_request_duration_seconds_bucket{method="GET",replica="node-2",route="/api/v1/flows",le="+Inf"} 1`,
		`scoreflow_consumer_pending_messages{replica="node-2"} 3`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "scoreflow_") && strings.Count(line, `replica="node-2"`) != 1 {
			t.Errorf("series without its replica label once: %s", line)
		}
	}
}
