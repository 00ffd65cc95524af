// Package metrics is Scoreflow's Prometheus instrumentation: one Registry
// per process (never the global default one, so tests and several apps in
// one process do not share counters), fed by the hooks of the engine, the
// webhook dispatcher, the scheduler and the HTTP API, and served at
// GET /metrics in the Prometheus text format.
//
// Every method is safe on a nil *Registry and then does nothing, so a
// component wired without metrics needs no checks.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Ingest paths, the values of the "path" label of events ingested.
const (
	PathAPI      = "api"      // POST /api/v1/events
	PathSegment  = "segment"  // the Segment-compatible /v1/*
	PathSendGrid = "sendgrid" // POST /webhooks/sendgrid
)

// LagFunc reports the engine consumer's backlog: messages not yet
// delivered to it and messages delivered but not acknowledged.
type LagFunc func(ctx context.Context) (pending, ackPending uint64, err error)

// Registry holds every Scoreflow metric.
type Registry struct {
	reg     *prometheus.Registry
	replica atomic.Pointer[string] // set by Replica; labels every series served

	ingested     *prometheus.CounterVec
	applied      prometheus.Counter
	duplicates   prometheus.Counter
	batches      prometheus.Histogram
	flowRuns     *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	jobRuns      *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
}

// New builds a registry with Scoreflow's metrics and the Go runtime and
// process collectors.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoreflow_events_ingested_total",
			Help: "Events stored on the event stream, by ingest path (api, segment, sendgrid).",
		}, []string{"path"}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scoreflow_events_applied_total",
			Help: "Events the engine applied (committed with their effects).",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scoreflow_events_duplicate_total",
			Help: "Events skipped by the engine because their id was applied before.",
		}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scoreflow_batch_duration_seconds",
			Help:    "Time to apply and commit one engine batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5ms .. ~16s
		}),
		flowRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoreflow_flow_runs_total",
			Help: "Flow runs that ended, by flow and outcome (completed, failed).",
		}, []string{"flow", "outcome"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoreflow_webhook_deliveries_total",
			Help: "Webhook delivery attempts, by outcome (delivered, retry, failed).",
		}, []string{"outcome"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoreflow_job_runs_total",
			Help: "Scheduled job runs, by job and outcome.",
		}, []string{"job", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scoreflow_job_duration_seconds",
			Help:    "Duration of scheduled job runs.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10), // 1ms .. ~4min
		}, []string{"job"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scoreflow_http_requests_total",
			Help: "HTTP requests, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scoreflow_http_request_duration_seconds",
			Help:    "HTTP request duration, by method and route pattern.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"method", "route"}),
	}
	r.reg.MustRegister(r.ingested, r.applied, r.duplicates, r.batches, r.flowRuns, r.webhooks,
		r.jobRuns, r.jobDuration, r.httpRequests, r.httpDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every ingest path is exported from the start, at zero, so a rate()
	// over it is defined before the first event arrives.
	for _, p := range []string{PathAPI, PathSegment, PathSendGrid} {
		r.ingested.WithLabelValues(p)
	}
	return r
}

// Ingested counts n events stored on the stream through path.
func (r *Registry) Ingested(path string, n int) {
	if r == nil || n <= 0 {
		return
	}
	r.ingested.WithLabelValues(path).Add(float64(n))
}

// Committed records one engine batch: events applied, duplicates skipped
// and how long the batch took.
func (r *Registry) Committed(applied, duplicates int, took time.Duration) {
	if r == nil {
		return
	}
	r.applied.Add(float64(applied))
	r.duplicates.Add(float64(duplicates))
	r.batches.Observe(took.Seconds())
}

// FlowRun counts a run of a flow that ended with outcome.
func (r *Registry) FlowRun(flowID, outcome string) {
	if r == nil {
		return
	}
	r.flowRuns.WithLabelValues(flowID, outcome).Inc()
}

// WebhookResult counts one webhook delivery attempt's outcome.
func (r *Registry) WebhookResult(outcome string) {
	if r == nil {
		return
	}
	r.webhooks.WithLabelValues(outcome).Inc()
}

// JobRun records one run of a scheduled job.
func (r *Registry) JobRun(name, outcome string, took time.Duration) {
	if r == nil {
		return
	}
	r.jobRuns.WithLabelValues(name, outcome).Inc()
	r.jobDuration.WithLabelValues(name).Observe(took.Seconds())
}

// Request records one HTTP request. route is the route pattern
// (/api/v1/contacts/:id), never the raw path, so the series stay few.
func (r *Registry) Request(method, route string, status int, took time.Duration) {
	if r == nil {
		return
	}
	r.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	r.httpDuration.WithLabelValues(method, route).Observe(took.Seconds())
}

// WatchLag exports the engine consumer's backlog, read from JetStream at
// each scrape (bounded by timeout). Call it once.
func (r *Registry) WatchLag(fn LagFunc, timeout time.Duration) {
	if r == nil || fn == nil {
		return
	}
	r.reg.MustRegister(&lagCollector{fn: fn, timeout: timeout})
}

// WatchDead exports the count of events set aside as dead, read at each
// scrape from fn (the engine's running total).
func (r *Registry) WatchDead(fn func() uint64) {
	if r == nil || fn == nil {
		return
	}
	r.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "scoreflow_events_dead_total",
		Help: "Stream messages set aside as dead events (unparseable, or failing on their own).",
	}, func() float64 { return float64(fn()) }))
}

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format.
func (r *Registry) Handler() http.Handler {
	if r == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(prometheus.GathererFunc(r.gather), promhttp.HandlerOpts{Registry: r.reg})
}

// Gatherer exposes the registry, as served, to tests.
func (r *Registry) Gatherer() prometheus.Gatherer { return prometheus.GathererFunc(r.gather) }

var (
	pendingDesc = prometheus.NewDesc("scoreflow_consumer_pending_messages",
		"Messages on the event stream not yet delivered to the engine's consumer (its lag).", nil, nil)
	ackPendingDesc = prometheus.NewDesc("scoreflow_consumer_ack_pending_messages",
		"Messages delivered to the engine but not yet acknowledged (being applied).", nil, nil)
	lagUpDesc = prometheus.NewDesc("scoreflow_consumer_info_up",
		"1 when the consumer's backlog could be read at this scrape, 0 when not.", nil, nil)
)

// lagCollector asks JetStream for the consumer's state at scrape time, so
// the value is never stale and nothing polls between scrapes.
type lagCollector struct {
	fn      LagFunc
	timeout time.Duration
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- ackPendingDesc
	ch <- lagUpDesc
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	pending, ackPending, err := c.fn(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(lagUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(lagUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(ackPendingDesc, prometheus.GaugeValue, float64(ackPending))
}
