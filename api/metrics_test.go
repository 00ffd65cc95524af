package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// metricValue reads one sample of the Prometheus text format.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	require.NotNil(t, m, "no sample %s in:\n%s", series, text)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

func TestMetrics(t *testing.T) {
	hooked := make(chan struct{}, 10)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hooked <- struct{}{}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(target.Close)

	a := apptest.Start(t, app.Config{AllowPrivateWebhooks: true, ReplicaID: "r1"})
	hook := withNode(flowDoc("hook", 1), "action.webhook", map[string]any{"url": target.URL})
	hook["nodes"].([]any)[0].(map[string]any)["config"] = map[string]any{"name": "Hook"}
	for _, f := range []any{flowDoc("demo", 10), hook} {
		r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", f)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	}
	postEvent(t, a, map[string]any{"id": "m-1", "type": "Demo", "contact_id": "m"})
	postEvent(t, a, map[string]any{"id": "m-2", "type": "Demo", "contact_id": "m"})
	postEvent(t, a, map[string]any{"id": "m-3", "type": "Hook", "contact_id": "m"})
	r := apptest.Do(t, a, http.MethodPost, "/v1/batch", map[string]any{"batch": []any{
		map[string]any{"type": "track", "userId": "m", "event": "Demo", "messageId": "m-4"},
		map[string]any{"type": "identify", "userId": "m", "messageId": "m-5", "traits": map[string]any{"x": 1}}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = apptest.Do(t, a, http.MethodPost, "/webhooks/sendgrid", `[{"email": "m@acme.test", "event": "open", "sg_event_id": "m-6"}]`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	apptest.WaitApplied(t, a, 6)
	apptest.WaitIdle(t, a)
	select {
	case <-hooked:
	case <-time.After(20 * time.Second):
		t.Fatal("the webhook was never delivered")
	}
	apptest.Do(t, a, http.MethodGet, "/nope", nil)

	var text string
	apptest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		r := apptest.Do(t, a, http.MethodGet, "/metrics", nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("status %d", r.Status)
		}
		text = string(r.Body)
		if !regexp.MustCompile(`scoreflow_webhook_deliveries_total\{outcome="delivered",replica="r1"\} 1`).MatchString(text) {
			return fmt.Errorf("the delivery is not counted yet")
		}
		return nil
	})
	assert.Equal(t, 3.0, metricValue(t, text, `scoreflow_events_ingested_total{path="api",replica="r1"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `scoreflow_events_ingested_total{path="segment",replica="r1"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `scoreflow_events_ingested_total{path="sendgrid",replica="r1"}`))
	assert.Equal(t, 6.0, metricValue(t, text, `scoreflow_events_applied_total{replica="r1"}`))
	assert.GreaterOrEqual(t, metricValue(t, text, `scoreflow_batch_duration_seconds_count{replica="r1"}`), 1.0)
	assert.Equal(t, 3.0, metricValue(t, text, `scoreflow_flow_runs_total{flow="demo",outcome="completed",replica="r1"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `scoreflow_flow_runs_total{flow="hook",outcome="completed",replica="r1"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `scoreflow_webhook_deliveries_total{outcome="delivered",replica="r1"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `scoreflow_consumer_info_up{replica="r1"}`))
	assert.Equal(t, 0.0, metricValue(t, text, `scoreflow_consumer_pending_messages{replica="r1"}`))
	assert.Equal(t, 0.0, metricValue(t, text, `scoreflow_consumer_ack_pending_messages{replica="r1"}`))
	assert.Equal(t, 0.0, metricValue(t, text, `scoreflow_events_dead_total{replica="r1"}`))
	assert.Equal(t, 3.0, metricValue(t, text, `scoreflow_http_requests_total{code="202",method="POST",replica="r1",route="/api/v1/events"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `scoreflow_http_requests_total{code="404",method="GET",replica="r1",route="unmatched"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `scoreflow_replica_info{replica="r1"}`))
	assert.Contains(t, text, `go_goroutines{replica="r1"}`, "runtime metrics, labelled too")
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "scoreflow_") {
			assert.Contains(t, line, `replica="r1"`, "every series names its replica")
		}
	}
	assert.Contains(t, text, "# TYPE scoreflow_batch_duration_seconds histogram")
}

// TestConsumerLag: messages the engine has not taken yet show as lag.
func TestConsumerLag(t *testing.T) {
	a := apptest.Start(t, app.Config{ReplicaID: "r2"})
	require.NoError(t, a.Engine.Stop(t.Context()))
	for i := 0; i < 5; i++ {
		postEvent(t, a, map[string]any{"type": "Demo", "contact_id": "lag"})
	}
	r := apptest.Do(t, a, http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusOK, r.Status)
	text := string(r.Body)
	assert.Equal(t, 5.0, metricValue(t, text, `scoreflow_consumer_pending_messages{replica="r2"}`)+
		metricValue(t, text, `scoreflow_consumer_ack_pending_messages{replica="r2"}`))
}
