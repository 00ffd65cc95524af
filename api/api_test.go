package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/store"
)

// scenario is one API call and what its answer must (and must not) hold,
// in the style of PocketBase's API test tables. Scenarios of one table run
// in order against one app, so later ones may rely on earlier ones.
type scenario struct {
	name        string
	method      string
	url         string
	urlFn       func() string // for a URL known only when the scenario runs
	body        any           // nil, string, []byte or a value encoded as JSON
	headers     []string      // name, value pairs
	status      int
	contains    []string // substrings of the body
	notContains []string
	check       func(t *testing.T, r apptest.Response)
}

func (s scenario) run(t *testing.T, a *app.App) apptest.Response {
	t.Helper()
	if s.urlFn != nil {
		s.url = s.urlFn()
	}
	r := apptest.Do(t, a, s.method, s.url, s.body, s.headers...)
	require.Equal(t, s.status, r.Status, "%s %s: %s", s.method, s.url, r.Body)
	for _, want := range s.contains {
		assert.Contains(t, string(r.Body), want, "%s %s", s.method, s.url)
	}
	for _, bad := range s.notContains {
		assert.NotContains(t, string(r.Body), bad, "%s %s", s.method, s.url)
	}
	if s.check != nil {
		s.check(t, r)
	}
	return r
}

func runScenarios(t *testing.T, a *app.App, scenarios []scenario) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, a) })
	}
}

// errorShape is CONTRACT §6.
type errorShape struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

// decodeError checks the body is exactly the contract's error shape.
func decodeError(t *testing.T, r apptest.Response) errorShape {
	t.Helper()
	var top map[string]json.RawMessage
	r.JSON(t, &top)
	require.Len(t, top, 1, "an error body has only \"error\": %s", r.Body)
	require.Contains(t, top, "error")
	var e errorShape
	r.JSON(t, &e)
	assert.NotEmpty(t, e.Error.Code, "error code: %s", r.Body)
	assert.NotEmpty(t, e.Error.Message, "error message: %s", r.Body)
	for _, d := range e.Error.Details {
		assert.NotEmpty(t, d.Message, "every detail says what is wrong: %s", r.Body)
	}
	return e
}

// wantError checks the error shape, its code and that a detail names each
// of paths.
func wantError(code string, paths ...string) func(t *testing.T, r apptest.Response) {
	return func(t *testing.T, r apptest.Response) {
		t.Helper()
		e := decodeError(t, r)
		assert.Equal(t, code, e.Error.Code, "error code: %s", r.Body)
		got := make([]string, 0, len(e.Error.Details))
		for _, d := range e.Error.Details {
			got = append(got, d.Path)
		}
		for _, p := range paths {
			assert.Contains(t, got, p, "details name %q: %s", p, r.Body)
		}
	}
}

// flowDoc is a small valid flow: on "Demo", add points to engagement.
func flowDoc(id string, points any) map[string]any {
	doc := map[string]any{
		"name":    "Demo flow " + id,
		"enabled": true,
		"entry":   map[string]any{"mode": "every_time"},
		"nodes": []any{
			map[string]any{"id": "t1", "type": "trigger.event", "config": map[string]any{"name": "Demo"}},
			map[string]any{"id": "a1", "type": "action.adjust_score", "config": map[string]any{"score": "engagement", "points": points}},
		},
		"edges": []any{map[string]any{"from": "t1", "to": "a1"}},
	}
	if id != "" {
		doc["id"] = id
	}
	return doc
}

// withNode replaces the action node of flowDoc.
func withNode(doc map[string]any, typ string, config map[string]any) map[string]any {
	nodes := doc["nodes"].([]any)
	doc["nodes"] = []any{nodes[0], map[string]any{"id": "a1", "type": typ, "config": config}}
	return doc
}

type flowOut struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	Nodes   []struct {
		ID     string         `json:"id"`
		Type   string         `json:"type"`
		Config map[string]any `json:"config"`
	} `json:"nodes"`
	CreatedAt *time.Time `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
}

func decodeFlow(t *testing.T, r apptest.Response) flowOut {
	t.Helper()
	var f flowOut
	r.JSON(t, &f)
	return f
}

func postEvent(t *testing.T, a *app.App, ev any) string {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/events", ev)
	require.Equal(t, http.StatusAccepted, r.Status, "post event: %s", r.Body)
	var out struct {
		Accepted int      `json:"accepted"`
		IDs      []string `json:"ids"`
	}
	r.JSON(t, &out)
	require.Equal(t, 1, out.Accepted)
	require.Len(t, out.IDs, 1)
	return out.IDs[0]
}

// waitContact polls the API until the contact exists.
func waitContact(t *testing.T, a *app.App, id string) {
	t.Helper()
	apptest.CheckFor(t, 20*time.Second, 5*time.Millisecond, func() error {
		if r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+url.PathEscape(id), nil); r.Status != http.StatusOK {
			return fmt.Errorf("contact %s: %d %s", id, r.Status, r.Body)
		}
		return nil
	})
}

func TestFlowsAPI(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	var generatedID string

	runScenarios(t, a, []scenario{
		{
			name: "create", method: http.MethodPost, url: "/api/v1/flows", body: flowDoc("f1", 10),
			status: http.StatusCreated,
			check: func(t *testing.T, r apptest.Response) {
				f := decodeFlow(t, r)
				assert.Equal(t, "f1", f.ID)
				assert.Equal(t, 1, f.Version)
				assert.Equal(t, "Demo flow f1", f.Name)
				assert.NotNil(t, f.CreatedAt)
				assert.NotNil(t, f.UpdatedAt)
				assert.Equal(t, "/api/v1/flows/f1", r.Header.Get("Location"))
			},
		},
		{
			name: "create with a taken id", method: http.MethodPost, url: "/api/v1/flows", body: flowDoc("f1", 3),
			status: http.StatusConflict, contains: []string{"f1"}, check: wantError("conflict"),
		},
		{
			name: "create without id generates one", method: http.MethodPost, url: "/api/v1/flows", body: flowDoc("", 1),
			status: http.StatusCreated,
			check: func(t *testing.T, r apptest.Response) {
				f := decodeFlow(t, r)
				require.NotEmpty(t, f.ID)
				assert.Equal(t, 1, f.Version)
				assert.Equal(t, "/api/v1/flows/"+f.ID, r.Header.Get("Location"))
				generatedID = f.ID
			},
		},
		{
			name: "create with a bad node config", method: http.MethodPost, url: "/api/v1/flows", body: flowDoc("bad-points", "x"),
			status: http.StatusBadRequest, contains: []string{"nodes[1].config.points"}, check: wantError("invalid_flow", "nodes[1].config.points"),
		},
		{
			name: "create with zero points", method: http.MethodPost, url: "/api/v1/flows", body: flowDoc("zero", 0),
			status: http.StatusBadRequest, check: wantError("invalid_flow", "nodes[1].config.points"),
		},
		{
			name: "create with a missing required field", method: http.MethodPost, url: "/api/v1/flows",
			body:   withNode(flowDoc("no-score", 1), "action.adjust_score", map[string]any{"points": 1}),
			status: http.StatusBadRequest, check: wantError("invalid_flow", "nodes[1].config.score"),
		},
		{
			name: "create with malformed JSON", method: http.MethodPost, url: "/api/v1/flows", body: `{"id": "broken", "nodes": [`,
			status: http.StatusBadRequest, check: wantError("invalid_flow"),
		},
		{
			name: "create with a wrongly typed field", method: http.MethodPost, url: "/api/v1/flows", body: `{"id": "typed", "name": "x", "nodes": {}}`,
			status: http.StatusBadRequest, check: wantError("invalid_flow", "nodes"),
		},
		{
			name: "create with a stage not in the pipeline", method: http.MethodPost, url: "/api/v1/flows",
			body:   withNode(flowDoc("stage", 1), "action.change_deal_stage", map[string]any{"stage": "nowhere"}),
			status: http.StatusBadRequest, contains: []string{"nowhere"}, check: wantError("invalid_flow", "nodes[1].config.stage"),
		},
		{
			name: "create with a stage in the pipeline", method: http.MethodPost, url: "/api/v1/flows",
			body:   withNode(flowDoc("stage-ok", 1), "action.change_deal_stage", map[string]any{"stage": "mql"}),
			status: http.StatusCreated,
		},
		{
			name: "create with an unknown node type", method: http.MethodPost, url: "/api/v1/flows",
			body:   withNode(flowDoc("unknown-type", 1), "action.teleport", map[string]any{}),
			status: http.StatusBadRequest, check: wantError("invalid_flow", "nodes[1].type"),
		},
		{
			name: "create with a dangling edge", method: http.MethodPost, url: "/api/v1/flows",
			body: func() map[string]any {
				d := flowDoc("dangling", 1)
				d["edges"] = []any{map[string]any{"from": "t1", "to": "a1"}, map[string]any{"from": "a1", "to": "ghost"}}
				return d
			}(),
			status: http.StatusBadRequest, check: wantError("invalid_flow", "edges[1].to"),
		},
		{
			name: "create with a cycle", method: http.MethodPost, url: "/api/v1/flows",
			body: func() map[string]any {
				d := flowDoc("cycle", 1)
				d["nodes"] = append(d["nodes"].([]any), map[string]any{"id": "a2", "type": "action.add_tag", "config": map[string]any{"tag": "x"}})
				d["edges"] = []any{
					map[string]any{"from": "t1", "to": "a1"},
					map[string]any{"from": "a1", "to": "a2"},
					map[string]any{"from": "a2", "to": "a1"},
				}
				return d
			}(),
			status: http.StatusBadRequest, check: wantError("invalid_flow", "edges"),
		},
		{
			name: "create without a trigger", method: http.MethodPost, url: "/api/v1/flows",
			body: map[string]any{"id": "no-trigger", "name": "x", "nodes": []any{
				map[string]any{"id": "a1", "type": "action.add_tag", "config": map[string]any{"tag": "x"}},
			}, "edges": []any{}},
			status: http.StatusBadRequest, check: wantError("invalid_flow", "nodes"),
		},
		{
			name: "list", method: http.MethodGet, url: "/api/v1/flows", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var out struct{ Flows []flowOut }
				r.JSON(t, &out)
				var ids []string
				for _, f := range out.Flows {
					ids = append(ids, f.ID)
				}
				assert.ElementsMatch(t, []string{"f1", "stage-ok", generatedID}, ids)
			},
		},
		{
			name: "get", method: http.MethodGet, url: "/api/v1/flows/f1", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				f := decodeFlow(t, r)
				assert.Equal(t, "f1", f.ID)
				assert.Equal(t, 1, f.Version)
				require.Len(t, f.Nodes, 2)
				assert.EqualValues(t, 10, f.Nodes[1].Config["points"])
			},
		},
		{
			name: "get unknown", method: http.MethodGet, url: "/api/v1/flows/nope", status: http.StatusNotFound,
			check: wantError("not_found"),
		},
		{
			name: "update bumps the version", method: http.MethodPut, url: "/api/v1/flows/f1",
			body:   func() map[string]any { d := flowDoc("f1", 7); d["version"] = 1; d["name"] = "Renamed"; return d }(),
			status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				f := decodeFlow(t, r)
				assert.Equal(t, 2, f.Version)
				assert.Equal(t, "Renamed", f.Name)
				assert.EqualValues(t, 7, f.Nodes[1].Config["points"])
			},
		},
		{
			name: "update without id in the body", method: http.MethodPut, url: "/api/v1/flows/f1", body: flowDoc("", 5),
			status: http.StatusOK,
			check:  func(t *testing.T, r apptest.Response) { assert.Equal(t, 3, decodeFlow(t, r).Version) },
		},
		{
			name: "update with a stale version", method: http.MethodPut, url: "/api/v1/flows/f1",
			body:   func() map[string]any { d := flowDoc("f1", 9); d["version"] = 1; return d }(),
			status: http.StatusConflict, check: wantError("conflict", "version"),
			contains: []string{"the current version is 3"},
		},
		{
			name: "update with another id", method: http.MethodPut, url: "/api/v1/flows/f1", body: flowDoc("other", 9),
			status: http.StatusBadRequest, check: wantError("invalid_flow", "id"),
		},
		{
			name: "update unknown", method: http.MethodPut, url: "/api/v1/flows/nope", body: flowDoc("nope", 9),
			status: http.StatusNotFound, check: wantError("not_found"),
		},
		{
			name: "update with a bad config", method: http.MethodPut, url: "/api/v1/flows/f1", body: flowDoc("f1", "x"),
			status: http.StatusBadRequest, check: wantError("invalid_flow", "nodes[1].config.points"),
		},
		{
			name: "update with malformed JSON", method: http.MethodPut, url: "/api/v1/flows/f1", body: `{"nodes":`,
			status: http.StatusBadRequest, check: wantError("invalid_flow"),
		},
		{
			name: "get after the refused updates", method: http.MethodGet, url: "/api/v1/flows/f1", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				f := decodeFlow(t, r)
				assert.Equal(t, 3, f.Version, "refused updates change nothing")
				assert.EqualValues(t, 5, f.Nodes[1].Config["points"])
			},
		},
		{
			name: "versions newest first, old documents kept", method: http.MethodGet, url: "/api/v1/flows/f1/versions", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var out struct {
					Versions []struct {
						Version   int        `json:"version"`
						CreatedAt *time.Time `json:"created_at"`
						Flow      flowOut    `json:"flow"`
					} `json:"versions"`
				}
				r.JSON(t, &out)
				require.Len(t, out.Versions, 3)
				var points []any
				for i, v := range out.Versions {
					assert.Equal(t, 3-i, v.Version)
					assert.Equal(t, v.Version, v.Flow.Version)
					assert.NotNil(t, v.CreatedAt)
					points = append(points, v.Flow.Nodes[1].Config["points"])
				}
				assert.Equal(t, []any{5.0, 7.0, 10.0}, points)
				assert.Equal(t, "Demo flow f1", out.Versions[2].Flow.Name, "version 1 keeps its name")
			},
		},
		{
			name: "versions of an unknown flow", method: http.MethodGet, url: "/api/v1/flows/nope/versions",
			status: http.StatusNotFound, check: wantError("not_found"),
		},
		{
			name: "validate a bad flow", method: http.MethodPost, url: "/api/v1/flows/validate", body: flowDoc("", "x"),
			status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var out struct {
					Valid  *bool `json:"valid"`
					Errors []struct{ Path, Message string }
				}
				r.JSON(t, &out)
				require.NotNil(t, out.Valid)
				assert.False(t, *out.Valid)
				require.NotEmpty(t, out.Errors)
				assert.Equal(t, "nodes[1].config.points", out.Errors[0].Path)
				assert.NotEmpty(t, out.Errors[0].Message)
			},
		},
		{
			name: "validate a good flow", method: http.MethodPost, url: "/api/v1/flows/validate", body: flowDoc("", 4),
			status: http.StatusOK, contains: []string{`"valid":true`, `"errors":[]`},
		},
		{
			name: "validate does not store", method: http.MethodGet, url: "/api/v1/flows/draft", status: http.StatusNotFound,
		},
		{
			name: "validate malformed JSON", method: http.MethodPost, url: "/api/v1/flows/validate", body: `{"nodes": [}`,
			status: http.StatusOK, contains: []string{`"valid":false`},
			check: func(t *testing.T, r apptest.Response) {
				var out struct {
					Errors []struct{ Path, Message string }
				}
				r.JSON(t, &out)
				require.NotEmpty(t, out.Errors)
				assert.NotEmpty(t, out.Errors[0].Message)
			},
		},
		{
			name: "validate a stage not in the pipeline", method: http.MethodPost, url: "/api/v1/flows/validate",
			body:   withNode(flowDoc("", 1), "action.change_deal_stage", map[string]any{"stage": "nowhere"}),
			status: http.StatusOK, contains: []string{`"valid":false`, `nodes[1].config.stage`},
		},
		{
			name: "stats with a bad window", method: http.MethodGet, url: "/api/v1/flows/f1/stats?window=soon",
			status: http.StatusBadRequest, check: wantError("invalid_query", "window"),
		},
		{
			name: "stats of an unknown flow", method: http.MethodGet, url: "/api/v1/flows/nope/stats",
			status: http.StatusNotFound, check: wantError("not_found"),
		},
		{
			name: "stats before any run", method: http.MethodGet, url: "/api/v1/flows/f1/stats", status: http.StatusOK,
			contains: []string{`"flow":"f1"`, `"nodes":{}`},
		},
	})

	t.Run("stats count runs", func(t *testing.T) {
		postEvent(t, a, map[string]any{"id": "demo-1", "type": "Demo", "contact_id": "c1"})
		postEvent(t, a, map[string]any{"id": "demo-2", "type": "Demo", "contact_id": "c2"})
		apptest.WaitApplied(t, a, 2)
		apptest.WaitIdle(t, a)
		// f1 (5 points) and the generated flow (1 point) both ran.
		assert.Equal(t, int64(6), apptest.Contact(t, a, "c1").Scores["engagement"])

		r := scenario{method: http.MethodGet, url: "/api/v1/flows/f1/stats?window=1h", status: http.StatusOK}.run(t, a)
		var out struct {
			Flow  string
			Since time.Time
			Nodes map[string]struct{ Entered, Completed, Failed int64 }
		}
		r.JSON(t, &out)
		assert.Equal(t, "f1", out.Flow)
		assert.WithinDuration(t, time.Now().Add(-time.Hour), out.Since, time.Minute)
		require.Contains(t, out.Nodes, "t1", "stats: %s", r.Body)
		require.Contains(t, out.Nodes, "a1", "stats: %s", r.Body)
		assert.Equal(t, int64(2), out.Nodes["a1"].Entered)
		assert.Equal(t, int64(2), out.Nodes["a1"].Completed)
		assert.Equal(t, int64(0), out.Nodes["a1"].Failed)
		assert.Equal(t, int64(2), out.Nodes["t1"].Entered)
	})

	runScenarios(t, a, []scenario{
		{name: "delete", method: http.MethodDelete, url: "/api/v1/flows/f1", status: http.StatusNoContent,
			check: func(t *testing.T, r apptest.Response) { assert.Empty(t, r.Body) }},
		{name: "get deleted", method: http.MethodGet, url: "/api/v1/flows/f1", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "delete again", method: http.MethodDelete, url: "/api/v1/flows/f1", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "update deleted", method: http.MethodPut, url: "/api/v1/flows/f1", body: flowDoc("f1", 2), status: http.StatusNotFound, check: wantError("not_found")},
		{name: "list without the deleted flow", method: http.MethodGet, url: "/api/v1/flows", status: http.StatusOK,
			notContains: []string{`"id":"f1"`}},
		{name: "versions of a deleted flow stay for history", method: http.MethodGet, url: "/api/v1/flows/f1/versions", status: http.StatusOK,
			contains: []string{`"version":3`, `"version":1`}},
		{name: "recreate a deleted id continues its versions", method: http.MethodPost, url: "/api/v1/flows", body: flowDoc("f1", 2),
			status: http.StatusCreated,
			check:  func(t *testing.T, r apptest.Response) { assert.Equal(t, 4, decodeFlow(t, r).Version) }},
	})
}

func TestEventsAPI(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", flowDoc("demo", 10))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	type accepted struct {
		Accepted int      `json:"accepted"`
		IDs      []string `json:"ids"`
	}
	var applied uint64

	tooMany := make([]any, 1001)
	for i := range tooMany {
		tooMany[i] = map[string]any{"type": "Demo", "contact_id": fmt.Sprintf("many-%d", i)}
	}

	runScenarios(t, a, []scenario{
		{
			name: "one event", method: http.MethodPost, url: "/api/v1/events",
			body:   map[string]any{"id": "e1", "type": "Demo", "contact_id": "c1", "timestamp": "2026-11-23T10:00:00Z"},
			status: http.StatusAccepted,
			check: func(t *testing.T, r apptest.Response) {
				var out accepted
				r.JSON(t, &out)
				assert.Equal(t, accepted{Accepted: 1, IDs: []string{"e1"}}, out)
				applied++
			},
		},
		{
			name: "one event without id gets one", method: http.MethodPost, url: "/api/v1/events",
			body:   map[string]any{"type": "page_visited", "email": "ivan@acme.test", "properties": map[string]any{"url": "https://acme.test/pricing"}},
			status: http.StatusAccepted,
			check: func(t *testing.T, r apptest.Response) {
				var out accepted
				r.JSON(t, &out)
				assert.Equal(t, 1, out.Accepted)
				require.Len(t, out.IDs, 1)
				assert.NotEmpty(t, out.IDs[0])
				applied++
			},
		},
		{
			name: "batch", method: http.MethodPost, url: "/api/v1/events",
			body: map[string]any{"events": []any{
				map[string]any{"id": "b1", "type": "Demo", "contact_id": "c2"},
				map[string]any{"type": "Demo", "contact_id": "c3"},
				map[string]any{"id": "b3", "type": "identify", "contact_id": "c4", "traits": map[string]any{"job_title": "CEO"}},
			}},
			status: http.StatusAccepted,
			check: func(t *testing.T, r apptest.Response) {
				var out accepted
				r.JSON(t, &out)
				assert.Equal(t, 3, out.Accepted)
				require.Len(t, out.IDs, 3)
				assert.Equal(t, "b1", out.IDs[0])
				assert.NotEmpty(t, out.IDs[1])
				assert.NotEqual(t, "b1", out.IDs[1])
				assert.Equal(t, "b3", out.IDs[2])
				applied += 3
			},
		},
		{
			name: "batch with invalid events", method: http.MethodPost, url: "/api/v1/events",
			body: map[string]any{"events": []any{
				map[string]any{"id": "x0", "type": "Demo", "contact_id": "batch-ok"},
				map[string]any{"id": "x1", "contact_id": "batch-no-type"},
				map[string]any{"id": "x2", "type": "page_visited", "contact_id": "batch-no-url", "properties": map[string]any{"title": "Home"}},
				map[string]any{"id": "x3", "type": "Demo", "contact_id": "batch-bad-time", "timestamp": "yesterday"},
				map[string]any{"id": "x4", "type": "Demo"},
				map[string]any{"id": "x5", "type": "Demo", "contact_id": "batch-ok-2"},
			}},
			status:      http.StatusBadRequest,
			notContains: []string{`"accepted"`},
			check: wantError("invalid_event", "events[1].type", "events[2].properties.url", "events[3].timestamp",
				"events[4].contact_id"),
		},
		{
			name: "batch with a wrongly typed field", method: http.MethodPost, url: "/api/v1/events",
			body:   `{"events": [{"type": "Demo", "contact_id": "batch-typed", "properties": "no"}]}`,
			status: http.StatusBadRequest, check: wantError("invalid_event", "events[0].properties"),
		},
		{
			name: "one invalid event", method: http.MethodPost, url: "/api/v1/events",
			body:   map[string]any{"type": "page_visited", "contact_id": "single-bad"},
			status: http.StatusBadRequest, check: wantError("invalid_event", "properties.url"),
		},
		{
			name: "one event without a contact", method: http.MethodPost, url: "/api/v1/events",
			body:   map[string]any{"type": "Demo"},
			status: http.StatusBadRequest, check: wantError("invalid_event", "contact_id"),
		},
		{
			name: "one event with a bad email", method: http.MethodPost, url: "/api/v1/events",
			body:   map[string]any{"type": "Demo", "email": "not-an-email"},
			status: http.StatusBadRequest, check: wantError("invalid_event", "email"),
		},
		{
			name: "empty batch", method: http.MethodPost, url: "/api/v1/events", body: `{"events": []}`,
			status: http.StatusBadRequest, check: wantError("invalid_event", "events"),
		},
		{
			name: "batch over 1000", method: http.MethodPost, url: "/api/v1/events", body: map[string]any{"events": tooMany},
			status: http.StatusBadRequest, contains: []string{"1000", "1001"}, check: wantError("invalid_event", "events"),
		},
		{
			name: "array body", method: http.MethodPost, url: "/api/v1/events", body: `[{"type": "Demo", "contact_id": "arr"}]`,
			status: http.StatusBadRequest, check: wantError("invalid_event"),
		},
		{
			name: "string body", method: http.MethodPost, url: "/api/v1/events", body: `"Demo"`,
			status: http.StatusBadRequest, check: wantError("invalid_event"),
		},
		{
			name: "empty body", method: http.MethodPost, url: "/api/v1/events", body: ``,
			status: http.StatusBadRequest, check: wantError("invalid_event"),
		},
		{
			name: "malformed JSON", method: http.MethodPost, url: "/api/v1/events", body: `{"type": "Demo", `,
			status: http.StatusBadRequest, check: wantError("invalid_event"),
		},
		{
			name: "events not an array", method: http.MethodPost, url: "/api/v1/events", body: `{"events": {"type": "Demo"}}`,
			status: http.StatusBadRequest, check: wantError("invalid_event"),
		},
	})

	t.Run("refused batches apply nothing", func(t *testing.T) {
		// The stream is consumed in order: once a marker sent after the
		// refused batches is applied, anything they had let through would
		// have been applied too.
		postEvent(t, a, map[string]any{"id": "marker", "type": "Demo", "contact_id": "marker"})
		applied++
		apptest.WaitApplied(t, a, applied)
		apptest.WaitIdle(t, a)
		assert.Equal(t, applied, a.Engine.Stats().Applied, "only the accepted events were applied")
		for _, id := range []string{"batch-ok", "batch-ok-2", "batch-no-type", "batch-no-url", "batch-bad-time", "batch-typed", "single-bad", "arr", "many-0"} {
			r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+id, nil)
			assert.Equal(t, http.StatusNotFound, r.Status, "contact %s must not exist: %s", id, r.Body)
		}
		for _, id := range []string{"c1", "c2", "c3", "c4", "ivan@acme.test", "marker"} {
			r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+url.PathEscape(id), nil)
			assert.Equal(t, http.StatusOK, r.Status, "contact %s: %s", id, r.Body)
		}
		assert.Equal(t, int64(10), apptest.Contact(t, a, "c1").Scores["engagement"])
		assert.Equal(t, "CEO", apptest.Contact(t, a, "c4").Attributes["job_title"])
	})

	t.Run("the event timestamp is kept", func(t *testing.T) {
		r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/c1/timeline", nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, string(r.Body), `"timestamp":"2026-11-23T10:00:00Z"`)
	})
}

type contactOut struct {
	ID             string           `json:"id"`
	Email          string           `json:"email"`
	Attributes     map[string]any   `json:"attributes"`
	Scores         map[string]int64 `json:"scores"`
	Score          int64            `json:"score"`
	Grade          string           `json:"grade"`
	Tags           []string         `json:"tags"`
	DealStage      string           `json:"deal_stage"`
	Disqualified   json.RawMessage  `json:"disqualified"`
	Segments       []string         `json:"segments"`
	CreatedAt      time.Time        `json:"created_at"`
	LastActivityAt *time.Time       `json:"last_activity_at"`
}

type contactList struct {
	Contacts   []contactOut `json:"contacts"`
	NextCursor string       `json:"next_cursor"`
}

func listIDs(t *testing.T, r apptest.Response) ([]string, string) {
	t.Helper()
	var out contactList
	r.JSON(t, &out)
	ids := make([]string, 0, len(out.Contacts))
	for _, c := range out.Contacts {
		ids = append(ids, c.ID)
	}
	return ids, out.NextCursor
}

func wantIDs(want ...string) func(t *testing.T, r apptest.Response) {
	return func(t *testing.T, r apptest.Response) {
		t.Helper()
		ids, _ := listIDs(t, r)
		if want == nil {
			want = []string{}
		}
		assert.Equal(t, want, ids, "%s", r.Body)
	}
}

// demoFlow: on "Demo", +10 engagement and tag "demo".
const demoFlow = `{"id": "demo", "name": "Demo", "enabled": true,
	"nodes": [
		{"id": "t1", "type": "trigger.event", "config": {"name": "Demo"}},
		{"id": "a1", "type": "action.adjust_score", "config": {"score": "engagement", "points": 10}},
		{"id": "a2", "type": "action.add_tag", "config": {"tag": "demo"}}],
	"edges": [{"from": "t1", "to": "a1"}, {"from": "a1", "to": "a2"}]}`

// seedContacts scores c-c 60 (hot), c-a 30 (warm), c-b 10 (cold) and
// creates ivan@acme.test with no score, all with increasing timestamps.
func seedContacts(t *testing.T, a *app.App) time.Time {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", demoFlow)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var events []any
	n := 0
	add := func(contact string, count int) {
		for i := 0; i < count; i++ {
			n++
			events = append(events, map[string]any{
				"id": fmt.Sprintf("%s-%d", contact, i), "type": "Demo", "contact_id": contact,
				"timestamp":  base.Add(time.Duration(n) * time.Minute).Format(time.RFC3339),
				"properties": map[string]any{"n": i},
			})
		}
	}
	events = append(events, map[string]any{"id": "c-a-id", "type": "identify", "contact_id": "c-a", "email": "ada@globex.test",
		"traits": map[string]any{"company": "Globex", "job_title": "CTO"}, "timestamp": base.Format(time.RFC3339)})
	add("c-a", 3)
	add("c-b", 1)
	add("c-c", 6)
	events = append(events, map[string]any{"id": "ivan-id", "type": "identify", "email": "ivan@acme.test",
		"traits": map[string]any{"name": "Ivan"}, "timestamp": base.Format(time.RFC3339)})
	r = apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"events": events})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	apptest.WaitApplied(t, a, uint64(len(events)))
	apptest.WaitIdle(t, a)
	return base
}

func TestContactsAPI(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	base := seedContacts(t, a)

	var cursor string
	runScenarios(t, a, []scenario{
		{
			name: "get", method: http.MethodGet, url: "/api/v1/contacts/c-a", status: http.StatusOK,
			contains: []string{`"disqualified":null`, `"segments":[]`},
			check: func(t *testing.T, r apptest.Response) {
				var keys map[string]json.RawMessage
				r.JSON(t, &keys)
				for _, k := range []string{"id", "email", "attributes", "scores", "score", "grade", "tags", "deal_stage",
					"disqualified", "segments", "created_at", "last_activity_at"} {
					assert.Contains(t, keys, k, "contact has %q: %s", k, r.Body)
				}
				var c contactOut
				r.JSON(t, &c)
				assert.Equal(t, "c-a", c.ID)
				assert.Equal(t, "ada@globex.test", c.Email)
				assert.Equal(t, map[string]any{"company": "Globex", "job_title": "CTO"}, c.Attributes)
				assert.Equal(t, map[string]int64{"engagement": 30}, c.Scores)
				assert.Equal(t, int64(30), c.Score)
				assert.Equal(t, "warm", c.Grade)
				assert.Equal(t, []string{"demo"}, c.Tags)
				assert.Equal(t, "null", string(c.Disqualified))
				assert.Equal(t, []string{}, c.Segments)
				assert.False(t, c.CreatedAt.IsZero())
				require.NotNil(t, c.LastActivityAt)
				assert.WithinDuration(t, time.Now(), *c.LastActivityAt, 2*time.Hour)
			},
		},
		{
			name: "get a contact created from an email", method: http.MethodGet, url: "/api/v1/contacts/ivan@acme.test", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var c contactOut
				r.JSON(t, &c)
				assert.Equal(t, "ivan@acme.test", c.ID)
				assert.Equal(t, "ivan@acme.test", c.Email)
				assert.Equal(t, int64(0), c.Score)
				assert.Equal(t, "cold", c.Grade)
				assert.NotNil(t, c.Tags, "tags is [] rather than null")
				assert.NotNil(t, c.Scores, "scores is {} rather than null")
			},
		},
		{name: "get unknown", method: http.MethodGet, url: "/api/v1/contacts/nobody", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "list sorted by -score", method: http.MethodGet, url: "/api/v1/contacts", status: http.StatusOK,
			check: wantIDs("c-c", "c-a", "c-b", "ivan@acme.test")},
		{name: "list sorted by score", method: http.MethodGet, url: "/api/v1/contacts?sort=score", status: http.StatusOK,
			check: wantIDs("ivan@acme.test", "c-b", "c-a", "c-c")},
		{
			name: "list first page", method: http.MethodGet, url: "/api/v1/contacts?sort=-score&limit=2", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				ids, next := listIDs(t, r)
				assert.Equal(t, []string{"c-c", "c-a"}, ids)
				require.NotEmpty(t, next)
				cursor = next
			},
		},
		{
			name: "list next page", method: http.MethodGet, status: http.StatusOK,
			urlFn: func() string { return "/api/v1/contacts?limit=2&cursor=" + url.QueryEscape(cursor) },
			check: func(t *testing.T, r apptest.Response) {
				ids, next := listIDs(t, r)
				assert.Equal(t, []string{"c-b", "ivan@acme.test"}, ids)
				assert.Empty(t, next, "the last page has no cursor")
			},
		},
		{name: "filter by grade", method: http.MethodGet, url: "/api/v1/contacts?grade=hot", status: http.StatusOK, check: wantIDs("c-c")},
		{name: "filter by grade cold", method: http.MethodGet, url: "/api/v1/contacts?grade=cold", status: http.StatusOK, check: wantIDs("c-b", "ivan@acme.test")},
		{name: "filter by tag", method: http.MethodGet, url: "/api/v1/contacts?tag=demo", status: http.StatusOK, check: wantIDs("c-c", "c-a", "c-b")},
		{name: "filter by unknown tag", method: http.MethodGet, url: "/api/v1/contacts?tag=nope", status: http.StatusOK,
			contains: []string{`"contacts":[]`}, check: wantIDs()},
		{name: "search by email", method: http.MethodGet, url: "/api/v1/contacts?q=IVAN", status: http.StatusOK, check: wantIDs("ivan@acme.test")},
		{name: "search by attribute", method: http.MethodGet, url: "/api/v1/contacts?q=globex", status: http.StatusOK, check: wantIDs("c-a")},
		{name: "search by id", method: http.MethodGet, url: "/api/v1/contacts?q=c-b", status: http.StatusOK, check: wantIDs("c-b")},
		{name: "filters combine", method: http.MethodGet, url: "/api/v1/contacts?tag=demo&grade=cold", status: http.StatusOK, check: wantIDs("c-b")},
		{name: "bad sort", method: http.MethodGet, url: "/api/v1/contacts?sort=name", status: http.StatusBadRequest, check: wantError("invalid_query", "sort")},
		{name: "limit 0", method: http.MethodGet, url: "/api/v1/contacts?limit=0", status: http.StatusBadRequest, check: wantError("invalid_query", "limit")},
		{name: "limit over 1000", method: http.MethodGet, url: "/api/v1/contacts?limit=1001", status: http.StatusBadRequest, check: wantError("invalid_query", "limit")},
		{name: "bad cursor", method: http.MethodGet, url: "/api/v1/contacts?cursor=%21%21", status: http.StatusBadRequest, check: wantError("invalid_cursor", "cursor")},
		{
			name: "history", method: http.MethodGet, url: "/api/v1/contacts/c-a/history", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var out struct {
					History []map[string]any `json:"history"`
				}
				r.JSON(t, &out)
				require.Len(t, out.History, 3, "%s", r.Body)
				for i, h := range out.History {
					for _, k := range []string{"at", "score", "delta", "value", "flow", "flow_version", "node", "event_id"} {
						assert.Contains(t, h, k)
					}
					assert.Equal(t, "engagement", h["score"])
					assert.Equal(t, "demo", h["flow"])
					assert.EqualValues(t, 1, h["flow_version"])
					assert.Equal(t, "a1", h["node"])
					assert.EqualValues(t, 10, h["delta"])
					// Newest first.
					assert.EqualValues(t, 30-10*i, h["value"])
					assert.Equal(t, fmt.Sprintf("c-a-%d", 2-i), h["event_id"])
				}
			},
		},
		{name: "history of unknown", method: http.MethodGet, url: "/api/v1/contacts/nobody/history", status: http.StatusNotFound, check: wantError("not_found")},
		{
			name: "timeline newest first", method: http.MethodGet, url: "/api/v1/contacts/c-a/timeline", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var out struct {
					Events []struct {
						ID         string         `json:"id"`
						Type       string         `json:"type"`
						ContactID  string         `json:"contact_id"`
						Timestamp  time.Time      `json:"timestamp"`
						Properties map[string]any `json:"properties"`
						Traits     map[string]any `json:"traits"`
					} `json:"events"`
				}
				r.JSON(t, &out)
				var ids []string
				for _, e := range out.Events {
					ids = append(ids, e.ID)
					assert.Equal(t, "c-a", e.ContactID)
				}
				require.Equal(t, []string{"c-a-2", "c-a-1", "c-a-0", "c-a-id"}, ids)
				assert.Equal(t, "Demo", out.Events[0].Type)
				assert.True(t, out.Events[0].Timestamp.Equal(base.Add(3*time.Minute)), "timestamp %s", out.Events[0].Timestamp)
				assert.EqualValues(t, 2, out.Events[0].Properties["n"])
				assert.Equal(t, "identify", out.Events[3].Type)
				assert.Equal(t, "Globex", out.Events[3].Traits["company"])
			},
		},
		{name: "timeline of unknown", method: http.MethodGet, url: "/api/v1/contacts/nobody/timeline", status: http.StatusNotFound, check: wantError("not_found")},
	})
}

func TestSettingsAPI(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	seedContacts(t, a)

	grades := func(want map[string]string) func(t *testing.T, r apptest.Response) {
		return func(t *testing.T, _ apptest.Response) {
			for id, g := range want {
				r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+id, nil)
				require.Equal(t, http.StatusOK, r.Status)
				var c contactOut
				r.JSON(t, &c)
				assert.Equal(t, g, c.Grade, "grade of %s", id)
			}
		}
	}
	newSettings := map[string]any{
		"scores":   []any{map[string]any{"name": "engagement", "min": -100, "max": 500, "decay": map[string]any{"every": "30d", "percent": 25}}, map[string]any{"name": "fit", "min": 0, "max": 100}},
		"grades":   []any{map[string]any{"name": "hot", "min": 25}, map[string]any{"name": "cold", "min": nil}, map[string]any{"name": "warm", "min": 5}},
		"pipeline": []any{"new", "mql", "sql", "won", "lost"},
	}

	runScenarios(t, a, []scenario{
		{
			name: "defaults", method: http.MethodGet, url: "/api/v1/settings", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				assert.JSONEq(t, `{
					"scores": [{"name": "engagement", "min": null, "max": null}, {"name": "fit", "min": null, "max": null}],
					"grades": [{"name": "cold", "min": null}, {"name": "warm", "min": 20}, {"name": "hot", "min": 50}],
					"pipeline": ["new", "mql", "sql", "opportunity", "won", "lost"]}`, string(r.Body))
			},
		},
		{name: "grades under the defaults", method: http.MethodGet, url: "/api/v1/settings", status: http.StatusOK,
			check: grades(map[string]string{"c-c": "hot", "c-a": "warm", "c-b": "cold", "ivan@acme.test": "cold"})},
		{
			name: "put", method: http.MethodPut, url: "/api/v1/settings", body: newSettings, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var out struct {
					Grades []struct {
						Name string
						Min  *int64
					}
				}
				r.JSON(t, &out)
				var names []string
				for _, g := range out.Grades {
					names = append(names, g.Name)
				}
				assert.Equal(t, []string{"cold", "warm", "hot"}, names, "grades come back ordered by min")
				assert.Contains(t, string(r.Body), `"every":"30d"`)
			},
		},
		{name: "get after put", method: http.MethodGet, url: "/api/v1/settings", status: http.StatusOK,
			contains: []string{`"pipeline":["new","mql","sql","won","lost"]`, `"percent":25`, `{"name":"warm","min":5}`}},
		{name: "put regrades existing contacts", method: http.MethodGet, url: "/api/v1/settings", status: http.StatusOK,
			check: grades(map[string]string{"c-c": "hot", "c-a": "hot", "c-b": "warm", "ivan@acme.test": "cold"})},
		{name: "list by the new grade", method: http.MethodGet, url: "/api/v1/contacts?grade=hot", status: http.StatusOK, check: wantIDs("c-c", "c-a")},
		{
			name: "duplicate dimension", method: http.MethodPut, url: "/api/v1/settings",
			body: map[string]any{"scores": []any{map[string]any{"name": "fit"}, map[string]any{"name": "fit"}},
				"grades": []any{map[string]any{"name": "cold", "min": nil}}, "pipeline": []any{"new"}},
			status: http.StatusBadRequest, check: wantError("invalid_settings", "scores[1].name"),
		},
		{
			name: "min greater than max", method: http.MethodPut, url: "/api/v1/settings",
			body: map[string]any{"scores": []any{map[string]any{"name": "fit", "min": 10, "max": 5}},
				"grades": []any{map[string]any{"name": "cold", "min": nil}}, "pipeline": []any{"new"}},
			status: http.StatusBadRequest, check: wantError("invalid_settings", "scores[0].min"),
		},
		{
			name: "several errors at once", method: http.MethodPut, url: "/api/v1/settings",
			body: map[string]any{
				"scores":   []any{map[string]any{"name": ""}, map[string]any{"name": "e", "decay": map[string]any{"every": "30d", "percent": 150}}},
				"grades":   []any{map[string]any{"name": "a", "min": nil}, map[string]any{"name": "a", "min": nil}},
				"pipeline": []any{"new", "new"}},
			status: http.StatusBadRequest,
			check:  wantError("invalid_settings", "scores[0].name", "scores[1].decay.percent", "grades[1].name", "grades[1].min", "pipeline[1]"),
		},
		{
			name: "bad duration", method: http.MethodPut, url: "/api/v1/settings",
			body:   `{"scores": [{"name": "e", "decay": {"every": "soon", "percent": 10}}], "grades": [], "pipeline": []}`,
			status: http.StatusBadRequest, check: wantError("invalid_settings"),
		},
		{name: "malformed JSON", method: http.MethodPut, url: "/api/v1/settings", body: `{"scores": [`,
			status: http.StatusBadRequest, check: wantError("invalid_settings")},
		{name: "refused puts change nothing", method: http.MethodGet, url: "/api/v1/settings", status: http.StatusOK,
			contains: []string{`"pipeline":["new","mql","sql","won","lost"]`, `{"name":"warm","min":5}`}},
	})
}

// TestBodyTooLarge goes through a real listener: fiber's app.Test refuses
// an oversized body itself instead of letting the server answer 413. The
// server refuses from the Content-Length alone; the body is not sent, since
// a server closing with unread data resets the connection and the client
// could lose the answer (see also TestBodyLimits).
func TestBodyTooLarge(t *testing.T) {
	a := apptest.Start(t, app.Config{HTTPAddr: "127.0.0.1:0"})
	conn, err := net.Dial("tcp", a.HTTPAddr())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 2<<20)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s", data)
	wantError("body_too_large")(t, apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: data})

	r := apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"id": "small", "type": "Demo", "contact_id": "small"})
	assert.Equal(t, http.StatusAccepted, r.Status, "the server still takes events: %s", r.Body)
	apptest.WaitApplied(t, a, 1)
	apptest.WaitIdle(t, a)
	assert.Equal(t, uint64(1), a.Engine.Stats().Applied, "nothing of the oversized body was applied")
}

func TestNodeTypesAPI(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	r := scenario{method: http.MethodGet, url: "/api/v1/node-types", status: http.StatusOK}.run(t, a)

	var out struct {
		NodeTypes []struct {
			Type        string   `json:"type"`
			Kind        string   `json:"kind"`
			Title       string   `json:"title"`
			Description string   `json:"description"`
			Branches    []string `json:"branches"`
			Fields      []struct {
				Name     string `json:"name"`
				Type     string `json:"type"`
				Required bool   `json:"required"`
				Picker   string `json:"picker"`
			} `json:"fields"`
		} `json:"node_types"`
	}
	r.JSON(t, &out)

	var registered []string
	for _, s := range flows.Nodes.Specs() {
		registered = append(registered, s.Type)
	}
	var served []string
	for _, nt := range out.NodeTypes {
		served = append(served, nt.Type)
		assert.True(t, strings.HasPrefix(nt.Type, nt.Kind+"."), "%s has kind %q", nt.Type, nt.Kind)
		assert.NotEmpty(t, nt.Title, nt.Type)
		assert.NotEmpty(t, nt.Description, nt.Type)
		assert.NotNil(t, nt.Fields, "%s: fields is a list, even when empty", nt.Type)
		for _, f := range nt.Fields {
			assert.NotEmpty(t, f.Name, nt.Type)
			assert.NotEmpty(t, f.Type, nt.Type)
		}
		switch nt.Type {
		case "condition.if":
			assert.Equal(t, "condition", nt.Kind)
			assert.Equal(t, []string{"yes", "no"}, nt.Branches)
			require.NotEmpty(t, nt.Fields)
			assert.Equal(t, "where", nt.Fields[0].Name)
		case "action.adjust_score":
			assert.Equal(t, "action", nt.Kind)
			require.Len(t, nt.Fields, 2)
			assert.Equal(t, "score", nt.Fields[0].Name)
			assert.Equal(t, "points", nt.Fields[1].Name)
			assert.Equal(t, "integer", nt.Fields[1].Type)
			assert.True(t, nt.Fields[1].Required)
		case "action.change_deal_stage":
			require.NotEmpty(t, nt.Fields)
			assert.Equal(t, "stage", nt.Fields[0].Picker)
		}
	}
	assert.ElementsMatch(t, registered, served, "every registered node type is served")

	// The node types of CONTRACT §3. Those not registered yet are logged,
	// not failed: the registry, not this test, is the list of record.
	contract := []string{
		"trigger.event", "trigger.page_visited", "trigger.email_opened", "trigger.email_clicked", "trigger.email_replied",
		"trigger.email_unsubscribed", "trigger.email_bounced", "trigger.form_submitted", "trigger.segment_entered",
		"trigger.segment_exited", "trigger.tag_added", "trigger.tag_removed", "trigger.field_changed", "condition.if",
		"delay.wait", "action.adjust_score", "action.add_tag", "action.remove_tag", "action.disqualify", "action.requalify",
		"action.change_deal_stage", "action.set_field", "action.webhook",
	}
	var missing []string
	for _, typ := range contract {
		if _, ok := flows.Nodes.Lookup(typ); !ok {
			missing = append(missing, typ)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Logf("node types of CONTRACT §3 not registered yet: %v", missing)
	}
	for _, must := range []string{"trigger.event", "trigger.page_visited", "condition.if", "action.adjust_score"} {
		assert.Contains(t, served, must)
	}
}

func TestHealthAndRouting(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	runScenarios(t, a, []scenario{
		{name: "healthz", method: http.MethodGet, url: "/healthz", status: http.StatusOK, contains: []string{`"status":"ok"`}},
		{name: "readyz", method: http.MethodGet, url: "/readyz", status: http.StatusOK, contains: []string{`"status":"ready"`}},
		{name: "unknown route", method: http.MethodGet, url: "/nope", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "unknown api route", method: http.MethodGet, url: "/api/v1/nope", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "known path, other method", method: http.MethodPatch, url: "/api/v1/flows/x", body: `{}`, status: http.StatusMethodNotAllowed,
			check: func(t *testing.T, r apptest.Response) {
				wantError("method_not_allowed")(t, r)
				assert.Equal(t, "DELETE, GET, HEAD, PUT", r.Header.Get("Allow"))
			}},
		{name: "request id", method: http.MethodGet, url: "/healthz", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) { assert.NotEmpty(t, r.Header.Get("X-Request-Id")) }},
		{name: "webhooks", method: http.MethodGet, url: "/api/v1/webhooks", status: http.StatusOK, contains: []string{`"webhooks":[]`}},
		{name: "dead events", method: http.MethodGet, url: "/api/v1/dead-events", status: http.StatusOK, contains: []string{`"dead_events":[]`}},
	})
}

type notReady struct{}

func (notReady) Ready() bool { return false }
func (notReady) Reload()     {}

// brokenStore fails every call it implements; the embedded nil interface
// panics on anything else, which the tests below never reach.
type brokenStore struct{ store.Store }

func (brokenStore) ListFlows(context.Context) ([]store.FlowRecord, error) {
	return nil, errors.New("sqlite: disk I/O error at /var/lib/secret/scoreflow.db")
}

func (brokenStore) GetFlow(context.Context, string) (store.FlowRecord, error) {
	panic("boom: internal state")
}

func TestReadyzBeforeTheEngineRuns(t *testing.T) {
	srv := api.New(api.Config{Engine: notReady{}, Logger: apptest.Logger(t)})
	resp, err := srv.Test(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.JSONEq(t, `{"status":"starting"}`, string(body))
}

// TestInternalErrorsSayNothing: a 500 carries the error shape and a request
// id, never the internal error or a stack trace.
func TestInternalErrorsSayNothing(t *testing.T) {
	srv := api.New(api.Config{Store: brokenStore{}, Engine: notReady{}, Logger: apptest.Logger(t)})
	for _, path := range []string{"/api/v1/flows", "/api/v1/flows/x"} {
		resp, err := srv.Test(httptest.NewRequest(http.MethodGet, path, nil))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
		assert.Equal(t, http.StatusInternalServerError, r.Status, "%s: %s", path, body)
		wantError("internal")(t, r)
		for _, leak := range []string{"sqlite", "secret", "boom", "goroutine", ".go:"} {
			assert.NotContains(t, string(body), leak, path)
		}
		assert.NotEmpty(t, r.Header.Get("X-Request-Id"))
	}
}

// TestReferenceModelOverHTTP feeds the reference model through the API and
// checks exact scores (CONTRACT examples/reference).
func TestReferenceModelOverHTTP(t *testing.T) {
	a := apptest.Start(t, app.Config{Examples: true})

	r := scenario{method: http.MethodGet, url: "/api/v1/flows", status: http.StatusOK}.run(t, a)
	var fl struct{ Flows []flowOut }
	r.JSON(t, &fl)
	assert.Len(t, fl.Flows, 17+3, "the reference model's flows and the playbook's are loaded")

	const id = "lead-1"
	events := []map[string]any{
		{"id": "r1", "type": "identify", "contact_id": id, "email": "lead@acme.test", "traits": map[string]any{
			"country": "US", "city": "London", "age": 30, "job_title": "CEO", "company_size": 40, "buying_authority": true}},
		{"id": "r2", "type": "Signed up for trial", "contact_id": id},
		{"id": "r3", "type": "Created task", "contact_id": id},
		{"id": "r4", "type": "Created task", "contact_id": id},
		{"id": "r5", "type": "Created task", "contact_id": id},
		{"id": "r6", "type": "email_clicked", "contact_id": id, "properties": map[string]any{"email": "lead-nurturing-2", "link": "https://acme.test/blog"}},
		{"id": "r7", "type": "page_visited", "contact_id": id, "properties": map[string]any{"url": "https://acme.test/careers"}},
	}
	for _, ev := range events {
		postEvent(t, a, ev)
	}
	apptest.WaitApplied(t, a, uint64(len(events)))
	apptest.WaitIdle(t, a)

	r = scenario{method: http.MethodGet, url: "/api/v1/contacts/" + id, status: http.StatusOK}.run(t, a)
	var c contactOut
	r.JSON(t, &c)
	assert.Equal(t, int64(1+1+1+5+10+10), c.Scores["fit"], "fit: country, city, age, CEO, company size, authority")
	assert.Equal(t, int64(15+1+2+2+1-10), c.Scores["engagement"], "engagement: trial, tasks 1+2+2, nurture click, careers")
	assert.Equal(t, map[string]int64{"fit": 28, "engagement": 11}, c.Scores)
	assert.Equal(t, int64(39), c.Score)
	assert.Equal(t, "warm", c.Grade)
	assert.Equal(t, "lead@acme.test", c.Email)
	apptest.CheckLedger(t, a, id)

	r = scenario{method: http.MethodGet, url: "/api/v1/contacts/" + id + "/history", status: http.StatusOK}.run(t, a)
	var h struct {
		History []struct {
			Score       string  `json:"score"`
			Delta       int64   `json:"delta"`
			Flow        *string `json:"flow"`
			FlowVersion *int    `json:"flow_version"`
			Node        *string `json:"node"`
			EventID     *string `json:"event_id"`
		} `json:"history"`
	}
	r.JSON(t, &h)
	require.Len(t, h.History, 12, "6 fit and 6 engagement changes: %s", r.Body)
	byFlow := map[string][]int64{}
	for _, e := range h.History {
		require.NotNil(t, e.Flow)
		require.NotNil(t, e.FlowVersion)
		require.NotNil(t, e.Node)
		require.NotNil(t, e.EventID)
		assert.Equal(t, 1, *e.FlowVersion)
		byFlow[*e.Flow] = append(byFlow[*e.Flow], e.Delta)
	}
	assert.Equal(t, map[string][]int64{
		"fit-age": {1}, "fit-city": {1}, "fit-country": {1}, "fit-job-title": {5}, "fit-company-size": {10}, "fit-decision-maker": {10},
		"engagement-trial-signup": {15}, "engagement-created-task": {2, 2, 1}, "engagement-nurture-click": {1}, "engagement-careers-page": {-10},
	}, byFlow)
	assert.Equal(t, "r7", *h.History[0].EventID, "history is newest first")

	r = scenario{method: http.MethodGet, url: "/api/v1/contacts/" + id + "/timeline", status: http.StatusOK}.run(t, a)
	var tl struct{ Events []struct{ ID string } }
	r.JSON(t, &tl)
	require.Len(t, tl.Events, len(events))
	assert.Equal(t, "r1", tl.Events[len(tl.Events)-1].ID)
}
