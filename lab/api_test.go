package lab_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/lab"
)

// TestLabBadInput: every bad request is a 400 (CONTRACT §6) naming the
// field, and starts nothing.
func TestLabBadInput(t *testing.T) {
	a := apptest.Start(t, app.Config{Schedules: apptest.Off})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", pagesFlow)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	draft := map[string]any{"base": "live", "add": []json.RawMessage{json.RawMessage(bookedFlow)}}
	outcome := map[string]any{"event": "Deal won"}
	for _, tc := range []struct {
		name string
		body any
		code string
		path string
	}{
		{"not JSON", `{"model":`, "invalid_lab_run", ""},
		{"no model", map[string]any{"outcome": outcome}, "invalid_model", "model"},
		{"base not live", map[string]any{"model": map[string]any{"base": "v2"}, "outcome": outcome}, "invalid_model", "model.base"},
		{"invalid flow", map[string]any{"model": map[string]any{"base": "live", "add": []any{map[string]any{"id": "x", "name": "x", "nodes": []any{}, "edges": []any{}}}}, "outcome": outcome}, "invalid_model", "model.add[0]"},
		{"unknown removal", map[string]any{"model": map[string]any{"base": "live", "remove": []string{"nope"}}, "outcome": outcome}, "invalid_model", "model.remove[0]"},
		{"bad settings", map[string]any{"model": map[string]any{"base": "live", "settings": map[string]any{"scores": []any{map[string]any{"name": ""}}}}, "outcome": outcome}, "invalid_model", "model.settings"},
		{"no outcome", map[string]any{"model": draft}, "invalid_outcome", "outcome"},
		{"both outcomes", map[string]any{"model": draft, "outcome": map[string]any{"event": "x", "where": map[string]any{"field": "grade", "op": "eq", "value": "hot"}}}, "invalid_outcome", "outcome"},
		{"bad filter", map[string]any{"model": draft, "outcome": map[string]any{"where": map[string]any{"field": "grade", "op": "nope", "value": 1}}}, "invalid_outcome", "outcome.where"},
		{"bad horizon", map[string]any{"model": draft, "outcome": map[string]any{"event": "x", "horizon": "soon"}}, "invalid_outcome", "outcome.horizon"},
		{"unknown outcome field", map[string]any{"model": draft, "outcome": map[string]any{"event": "x", "within": "1d"}}, "invalid_outcome", "outcome"},
		{"empty window", map[string]any{"model": draft, "outcome": outcome, "from": day0, "to": day0}, "invalid_window", "to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := apptest.Do(t, a, http.MethodPost, "/api/v1/lab/runs", tc.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			var e struct {
				Error struct {
					Code    string `json:"code"`
					Details []struct{ Path string }
				} `json:"error"`
			}
			r.JSON(t, &e)
			assert.Equal(t, tc.code, e.Error.Code, "%s", r.Body)
			if tc.path != "" {
				require.NotEmpty(t, e.Error.Details, "%s", r.Body)
				assert.Contains(t, e.Error.Details[0].Path, tc.path, "%s", r.Body)
			}
		})
	}
	r = apptest.Do(t, a, http.MethodGet, "/api/v1/lab/runs", nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.JSONEq(t, `{"runs": []}`, string(r.Body), "no run was started")

	for _, p := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/lab/runs/nope"}, {http.MethodDelete, "/api/v1/lab/runs/nope"}, {http.MethodPost, "/api/v1/lab/runs/nope/apply"},
	} {
		r := apptest.Do(t, a, p.method, p.path, nil)
		assert.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", p.method, p.path, r.Body)
	}

	// Suggest over a history with two conversions: 400 too_little_history
	// saying how many more are needed.
	for i, typ := range []string{"page_visited", "Deal won", "page_visited", "Deal won", "page_visited"} {
		ev := apptest.Event(fmt.Sprintf("s%d", i), typ, fmt.Sprintf("s-%d", i), map[string]any{"url": "/pricing"})
		ev.Timestamp = day0.Add(time.Duration(i) * time.Hour)
		apptest.Publish(t, a, ev)
	}
	apptest.WaitApplied(t, a, 5)
	r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/suggest", map[string]any{"outcome": outcome, "from": day0, "to": day0.Add(24 * time.Hour)})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Contains(t, string(r.Body), `"code":"too_little_history"`)
	assert.Contains(t, string(r.Body), "48 more")
	r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/suggest", map[string]any{"outcome": outcome, "score": "karma"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Contains(t, string(r.Body), `"path":"score"`)

	// A run over that history finishes; its list entry has no result.
	r = apptest.Do(t, a, http.MethodPost, "/api/v1/lab/runs", map[string]any{"model": draft, "outcome": outcome, "from": day0, "to": day0.Add(24 * time.Hour)})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	var started struct{ ID string }
	r.JSON(t, &started)
	v := waitRun(t, a, started.ID)
	require.Equal(t, lab.StateDone, v.State)
	assert.Equal(t, 5, v.Result.Contacts)
	assert.Equal(t, int64(2), v.Result.Live.Outcome.Converted)
	r = apptest.Do(t, a, http.MethodGet, "/api/v1/lab/runs", nil)
	var list struct{ Runs []lab.RunView }
	r.JSON(t, &list)
	require.Len(t, list.Runs, 1)
	assert.Nil(t, list.Runs[0].Result)
	assert.Equal(t, lab.StateDone, list.Runs[0].State)
}
