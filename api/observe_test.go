package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// logBuffer collects log output while the server writes it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes the JSON log lines with the given message.
func (b *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// expectClient waits for the server's 100 Continue when a request says
// Expect: 100-continue, so a server refusing an oversized body answers
// before it is sent, instead of resetting the connection mid-upload.
var expectClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}

// httpCall sends a request to a real listener.
func httpCall(t *testing.T, method, url string, body io.Reader, headers ...string) apptest.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := expectClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func TestRoutingErrors(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	runScenarios(t, a, []scenario{
		{name: "unknown route", method: http.MethodGet, url: "/nope", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "unknown api route", method: http.MethodPost, url: "/api/v1/nope", body: `{}`, status: http.StatusNotFound, check: wantError("not_found")},
		{name: "405 with Allow", method: http.MethodDelete, url: "/api/v1/events", status: http.StatusMethodNotAllowed,
			check: func(t *testing.T, r apptest.Response) {
				wantError("method_not_allowed")(t, r)
				assert.Equal(t, "POST", r.Header.Get("Allow"))
			}},
		{name: "405 on a parameterised path", method: http.MethodPost, url: "/api/v1/contacts/c-1/history", status: http.StatusMethodNotAllowed,
			check: func(t *testing.T, r apptest.Response) { assert.Equal(t, "GET, HEAD", r.Header.Get("Allow")) }},
		{name: "405 ignores a trailing slash and case", method: http.MethodPatch, url: "/API/v1/Settings/", status: http.StatusMethodNotAllowed,
			check: func(t *testing.T, r apptest.Response) { assert.Equal(t, "GET, HEAD, PUT", r.Header.Get("Allow")) }},
		{name: "405 on healthz", method: http.MethodPost, url: "/healthz", status: http.StatusMethodNotAllowed},
		{name: "deeper than any route", method: http.MethodGet, url: "/api/v1/contacts/c-1/history/x", status: http.StatusNotFound},
		{name: "malformed JSON: events", method: http.MethodPost, url: "/api/v1/events", body: `{"type":`, status: http.StatusBadRequest, check: wantError("invalid_event")},
		{name: "malformed JSON: flows", method: http.MethodPost, url: "/api/v1/flows", body: `{"type":`, status: http.StatusBadRequest, check: wantError("invalid_flow")},
		{name: "malformed JSON: settings", method: http.MethodPut, url: "/api/v1/settings", body: `{"scores":`, status: http.StatusBadRequest, check: wantError("invalid_settings")},
		{name: "malformed JSON: segments", method: http.MethodPost, url: "/api/v1/segments", body: `{"where":`, status: http.StatusBadRequest, check: wantError("invalid_segment")},
		{name: "malformed JSON: contact", method: http.MethodPut, url: "/api/v1/contacts/x", body: `{"attributes":`, status: http.StatusBadRequest, check: wantError("invalid_contact")},
		{name: "malformed JSON: segment", method: http.MethodPost, url: "/v1/batch", body: `{"batch":`, status: http.StatusBadRequest, check: wantError("invalid_json")},
		{name: "malformed JSON: sendgrid", method: http.MethodPost, url: "/webhooks/sendgrid", body: `[{`, status: http.StatusBadRequest, check: wantError("invalid_json")},
		{name: "an event id with a line break cannot inject NATS headers", method: http.MethodPost, url: "/api/v1/events",
			body: `{"id": "a\r\nNats-Expected-Stream: other", "type": "Demo", "contact_id": "c"}`, status: http.StatusBadRequest,
			check: wantError("invalid_event", "id")},
		{name: "one event with a wrongly typed field", method: http.MethodPost, url: "/api/v1/events",
			body: `{"type": "Demo", "contact_id": "c", "properties": "no"}`, status: http.StatusBadRequest,
			check: wantError("invalid_event", "properties")},
		{name: "a timestamp past 9999 in UTC", method: http.MethodPost, url: "/api/v1/events",
			body: `{"type": "Demo", "contact_id": "c", "timestamp": "9999-12-31T23:59:59-05:00"}`, status: http.StatusBadRequest,
			check: wantError("invalid_event", "timestamp")},
		{name: "settings are JSON whatever the Content-Type (curl -d)", method: http.MethodPut, url: "/api/v1/settings",
			body:    `{"scores": [{"name": "fit"}], "grades": [{"name": "cold", "min": null}], "pipeline": ["new"]}`,
			headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: http.StatusOK, contains: []string{`"pipeline":["new"]`}},
		{name: "request id echoed", method: http.MethodGet, url: "/healthz", headers: []string{"X-Request-Id", "trace-abc-123"}, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) { assert.Equal(t, "trace-abc-123", r.Header.Get("X-Request-Id")) }},
		{name: "an insane request id is replaced", method: http.MethodGet, url: "/healthz", headers: []string{"X-Request-Id", "a b\tc"}, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				assert.NotEqual(t, "a b\tc", r.Header.Get("X-Request-Id"))
				assert.NotEmpty(t, r.Header.Get("X-Request-Id"))
			}},
		{name: "request id on errors", method: http.MethodGet, url: "/nope", status: http.StatusNotFound,
			check: func(t *testing.T, r apptest.Response) { assert.NotEmpty(t, r.Header.Get("X-Request-Id")) }},
	})
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func TestCompressedBodies(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	bomb := gzipped(t, strings.Repeat("0", 64<<20)) // ~64 KiB that inflate to 64 MiB
	runScenarios(t, a, []scenario{
		{name: "gzip", method: http.MethodPost, url: "/api/v1/events", body: gzipped(t, `{"id": "gz-1", "type": "Demo", "contact_id": "gz"}`),
			headers: []string{"Content-Encoding", "gzip"}, status: http.StatusAccepted, contains: []string{"gz-1"}},
		{name: "gzip on a segment batch", method: http.MethodPost, url: "/v1/batch",
			body:    gzipped(t, `{"batch": [{"type": "track", "userId": "gz", "event": "Demo", "messageId": "gz-2"}]}`),
			headers: []string{"Content-Encoding", "gzip"}, status: http.StatusOK},
		{name: "not gzip", method: http.MethodPost, url: "/api/v1/events", body: `{"type": "Demo"}`,
			headers: []string{"Content-Encoding", "gzip"}, status: http.StatusBadRequest, check: wantError("bad_request")},
		{name: "unsupported encoding", method: http.MethodPost, url: "/api/v1/events", body: `x`,
			headers: []string{"Content-Encoding", "br"}, status: http.StatusUnsupportedMediaType, check: wantError("unsupported_media_type")},
		{name: "a bomb", method: http.MethodPost, url: "/api/v1/events", body: bomb,
			headers: []string{"Content-Encoding", "gzip"}, status: http.StatusRequestEntityTooLarge, check: wantError("body_too_large")},
		{name: "inflated over the route's limit", method: http.MethodPost, url: "/v1/track",
			body:    gzipped(t, `{"userId": "gz", "event": "Demo", "properties": {"x": "`+strings.Repeat("y", 40<<10)+`"}}`),
			headers: []string{"Content-Encoding", "gzip"}, status: http.StatusRequestEntityTooLarge},
	})
	apptest.WaitApplied(t, a, 2)
}

// TestBodyLimits goes through a real listener: the server reads up to the
// largest limit of any route and each route enforces its own.
func TestBodyLimits(t *testing.T) {
	a := apptest.Start(t, app.Config{HTTPAddr: "127.0.0.1:0", BodyLimit: 4 << 10})
	base := "http://" + a.HTTPAddr()
	event := func(size int) string {
		return `{"type": "Demo", "contact_id": "lim", "properties": {"blob": "` + strings.Repeat("x", size) + `"}}`
	}
	sendGrid := func(size int) string {
		return `[{"email": "lim@acme.test", "event": "open", "sg_event_id": "lim", "x": "` + strings.Repeat("x", size) + `"}]`
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"api under --body-limit", "/api/v1/events", event(3 << 10), http.StatusAccepted},
		{"api over --body-limit", "/api/v1/events", event(5 << 10), http.StatusRequestEntityTooLarge},
		{"flows over --body-limit", "/api/v1/flows", event(5 << 10), http.StatusRequestEntityTooLarge},
		{"webhooks keep 1 MiB", "/webhooks/sendgrid", sendGrid(900 << 10), http.StatusOK},
		{"segment call under 32 KB", "/v1/track", `{"userId": "lim", "event": "Demo", "p": "` + strings.Repeat("x", 30<<10) + `"}`, http.StatusOK},
		{"segment call over 32 KB", "/v1/track", `{"userId": "lim", "event": "Demo", "p": "` + strings.Repeat("x", 33<<10) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httpCall(t, http.MethodPost, base+tc.path, strings.NewReader(tc.body), "Content-Type", "application/json", "Expect", "100-continue")
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			if tc.status == http.StatusRequestEntityTooLarge {
				wantError("body_too_large")(t, r)
			}
		})
	}

	// Over the largest limit of all, the server refuses from the
	// Content-Length alone. The body is not sent: a server that closes
	// with unread data resets the connection, and the client could lose
	// the answer (a real client sends Expect: 100-continue, or reads it).
	for _, tc := range []struct{ path, size string }{{"/webhooks/sendgrid", "1048577"}, {"/v1/batch", "2097152"}} {
		t.Run("over every limit, from the headers: "+tc.path, func(t *testing.T) {
			conn, err := net.Dial("tcp", a.HTTPAddr())
			require.NoError(t, err)
			defer conn.Close()
			_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n", tc.path, tc.size)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s", body)
			wantError("body_too_large")(t, apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body})
		})
	}
}

func TestRateLimit(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey, RateLimit: 2})
	get := func(key string) apptest.Response {
		return apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil, authHeader("Bearer "+key)...)
	}
	post := func(key string) apptest.Response {
		return apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"type": "Demo", "contact_id": "rl"}, authHeader("Bearer "+key)...)
	}
	require.Equal(t, http.StatusOK, get(adminKey).Status)
	require.Equal(t, http.StatusOK, get(adminKey).Status, "a burst of one second's worth")
	r := get(adminKey)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	wantError("rate_limited")(t, r)
	assert.Equal(t, "1", r.Header.Get("Retry-After"))

	// Each key has its own bucket, across every endpoint it may call.
	assert.Equal(t, http.StatusAccepted, post(writeKey).Status)
	assert.Equal(t, http.StatusOK, apptest.Do(t, a, http.MethodPost, "/v1/track", map[string]any{"userId": "rl", "event": "Demo"},
		"Authorization", basic(writeKey)).Status)
	assert.Equal(t, http.StatusTooManyRequests, apptest.Do(t, a, http.MethodPost, "/webhooks/sendgrid?key="+writeKey, `[]`).Status)
	// Health checks, metrics and refused keys are not limited.
	for i := 0; i < 5; i++ {
		assert.Equal(t, http.StatusOK, apptest.Do(t, a, http.MethodGet, "/healthz", nil).Status)
		assert.Equal(t, http.StatusOK, apptest.Do(t, a, http.MethodGet, "/metrics", nil).Status)
		assert.Equal(t, http.StatusUnauthorized, get("wrong").Status)
	}

	time.Sleep(600 * time.Millisecond)
	assert.Equal(t, http.StatusOK, get(adminKey).Status, "the bucket refills")
}

func TestRateLimitPerIPWhenOpen(t *testing.T) {
	a := apptest.Start(t, app.Config{RateLimit: 1})
	assert.Equal(t, http.StatusOK, apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil).Status)
	r := apptest.Do(t, a, http.MethodPost, "/v1/track", map[string]any{"userId": "rl", "event": "Demo"})
	assert.Equal(t, http.StatusTooManyRequests, r.Status, "one bucket per client IP: %s", r.Body)
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
}

// TestPanicIsA500 runs the API on a real listener: a handler's panic is a
// 500 in the contract's shape, logged with its stack and request id, and
// the server keeps serving.
func TestPanicIsA500(t *testing.T) {
	logs := &logBuffer{}
	srv := api.New(api.Config{Store: brokenStore{}, Engine: notReady{}, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Listener(ln) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Shutdown())
		<-done
	})
	base := "http://" + ln.Addr().String()

	for i := 0; i < 3; i++ {
		r := httpCall(t, http.MethodGet, base+"/api/v1/flows/x", nil, "X-Request-Id", "panic-req-1")
		require.Equal(t, http.StatusInternalServerError, r.Status, "%s", r.Body)
		wantError("internal")(t, r)
		assert.NotContains(t, string(r.Body), "boom")
		assert.NotContains(t, string(r.Body), "goroutine")
		assert.Equal(t, "panic-req-1", r.Header.Get("X-Request-Id"))
	}
	r := httpCall(t, http.MethodGet, base+"/healthz", nil)
	assert.Equal(t, http.StatusOK, r.Status, "the server still serves after panics")

	panics := logs.lines(t, "handler panicked")
	require.Len(t, panics, 3)
	assert.Equal(t, "panic-req-1", panics[0]["request_id"])
	assert.Equal(t, "boom: internal state", panics[0]["panic"])
	assert.Contains(t, panics[0]["stack"], "api_test.brokenStore.GetFlow", "the stack names the panicking function")
	failed := logs.lines(t, "request failed")
	require.NotEmpty(t, failed)
	assert.Equal(t, "panic-req-1", failed[0]["request_id"])
	assert.EqualValues(t, 500, failed[0]["status"])
}

// TestRequestLogs: one structured line per request with method, path,
// status, duration and request id; never a key, a query string or a body.
// The request ids the server makes are unique.
func TestRequestLogs(t *testing.T) {
	logs := &logBuffer{}
	a := apptest.Start(t, app.Config{AdminKey: "admin-secret-key", WriteKey: "write-secret-key",
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"type": "Demo", "contact_id": "body-secret-contact"},
		"Authorization", "Bearer write-secret-key", "X-Request-Id", "log-req-1")
	require.Equal(t, http.StatusAccepted, r.Status)
	r = apptest.Do(t, a, http.MethodPost, "/webhooks/sendgrid?key=write-secret-key", `[]`)
	require.Equal(t, http.StatusOK, r.Status)
	r = apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil, "Authorization", "Bearer wrong-secret-guess")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = apptest.Do(t, a, http.MethodPost, "/v1/track", map[string]any{"writeKey": "write-secret-key", "userId": "u", "event": "Demo"})
	require.Equal(t, http.StatusOK, r.Status)

	lines := logs.lines(t, "http request")
	require.Len(t, lines, 4, "%s", logs.String())
	first := lines[0]
	assert.Equal(t, "POST", first["method"])
	assert.Equal(t, "/api/v1/events", first["path"])
	assert.EqualValues(t, 202, first["status"])
	assert.Equal(t, "log-req-1", first["request_id"])
	assert.Contains(t, first, "duration_ms")
	assert.Equal(t, "/webhooks/sendgrid", lines[1]["path"], "the path without its query string")
	assert.EqualValues(t, 401, lines[2]["status"])
	// Successful ingest calls are debug lines (thousands a second would
	// drown the log); everything else is info.
	assert.Equal(t, "DEBUG", first["level"])
	assert.Equal(t, "DEBUG", lines[3]["level"])
	assert.Equal(t, "INFO", lines[2]["level"])
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := apptest.Do(t, a, http.MethodGet, "/healthz", nil).Header.Get("X-Request-Id")
		require.NotEmpty(t, id)
		require.False(t, seen[id], "request id %s twice", id)
		seen[id] = true
	}
	all := logs.String()
	for _, secret := range []string{"admin-secret-key", "write-secret-key", "wrong-secret-guess", "body-secret-contact", "key="} {
		assert.NotContains(t, all, secret)
	}
}
