package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/flows"
)

func TestUIServing(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	index := apptest.Do(t, a, http.MethodGet, "/", nil)
	require.Equal(t, http.StatusOK, index.Status)
	assert.Contains(t, string(index.Body), `<div id="root">`)
	asset := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(string(index.Body))
	require.NotEmpty(t, asset, "index.html loads a script from /assets/")

	t.Run("security and cache headers on the page", func(t *testing.T) {
		h := index.Header
		assert.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self'")
		assert.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
		assert.Equal(t, "no-cache", h.Get("Cache-Control"), "index.html must be revalidated: it names the current assets")
		assert.Contains(t, h.Get("Content-Type"), "text/html")
	})

	t.Run("deep links answer the app", func(t *testing.T) {
		for _, p := range []string{"/flows", "/flows/pricing-interest", "/contacts/c-42", "/segments/dead-end", "/segments/new",
			"/scoring", "/settings", "/flows/a%2Fb"} {
			r := apptest.Do(t, a, http.MethodGet, p, nil)
			assert.Equal(t, http.StatusOK, r.Status, p)
			assert.Equal(t, index.Body, r.Body, p)
		}
	})

	t.Run("hashed assets are immutable and gzipped on request", func(t *testing.T) {
		plain := apptest.Do(t, a, http.MethodGet, asset, nil)
		require.Equal(t, http.StatusOK, plain.Status)
		assert.Equal(t, "public, max-age=31536000, immutable", plain.Header.Get("Cache-Control"))
		assert.Contains(t, plain.Header.Get("Content-Type"), "javascript")
		assert.Empty(t, plain.Header.Get("Content-Encoding"))

		gz := apptest.Do(t, a, http.MethodGet, asset, nil, "Accept-Encoding", "gzip")
		require.Equal(t, "gzip", gz.Header.Get("Content-Encoding"))
		assert.Less(t, len(gz.Body), len(plain.Body))
		zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
		require.NoError(t, err)
		unzipped, err := io.ReadAll(zr)
		require.NoError(t, err)
		assert.Equal(t, plain.Body, unzipped)

		again := apptest.Do(t, a, http.MethodGet, asset, nil, "If-None-Match", plain.Header.Get("ETag"))
		assert.Equal(t, http.StatusNotModified, again.Status)
	})

	t.Run("what is not the app stays a JSON 404", func(t *testing.T) {
		for _, p := range []string{"/nope", "/assets/missing.js", "/api/v1/nope", "/v1/nope", "/webhooks/nope", "/flowsx"} {
			r := apptest.Do(t, a, http.MethodGet, p, nil)
			assert.Equal(t, http.StatusNotFound, r.Status, p)
			wantError("not_found")(t, r)
		}
		r := apptest.Do(t, a, http.MethodPost, "/flows/x", nil)
		assert.NotEqual(t, http.StatusOK, r.Status, "the app answers GET only")
	})
}

// uiApp has three flows (one disabled), contacts in each grade, one
// disqualified.
func uiApp(t *testing.T) *app.App {
	t.Helper()
	a := contactsApp(t) // c-a 50 hot, c-b 20 warm, c-c and "an id/with space" 0 cold
	disq := withNode(flowDoc("disq", 1), "action.disqualify", map[string]any{"reason": "competitor"})
	disq["nodes"].([]any)[0].(map[string]any)["config"] = map[string]any{"name": "Competitor"}
	off := flowDoc("off", 7)
	off["enabled"] = false
	for _, f := range []any{disq, off} {
		r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", f)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	}
	postEvent(t, a, map[string]any{"id": "d-1", "type": "Competitor", "contact_id": "c-c"})
	apptest.WaitApplied(t, a, 13)
	apptest.WaitIdle(t, a)
	return a
}

func TestDashboard(t *testing.T) {
	a := uiApp(t)
	var d struct {
		Contacts int64 `json:"contacts"`
		Grades   []struct {
			Grade string `json:"grade"`
			Count int64  `json:"count"`
		} `json:"grades"`
		Histogram []struct{ From, To, Count int64 } `json:"score_histogram"`
		PerMinute []struct {
			Minute string `json:"minute"`
			Count  int64  `json:"count"`
		} `json:"events_per_minute"`
		Busiest []struct {
			ID           string
			Runs, Failed int64
		} `json:"busiest_flows"`
		Disqualified []struct{ ID, Reason string } `json:"recent_disqualifications"`
	}
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/dashboard", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &d)

	assert.Equal(t, int64(4), d.Contacts)
	grades := map[string]int64{}
	for _, g := range d.Grades {
		grades[g.Grade] = g.Count
	}
	assert.Equal(t, map[string]int64{"cold": 2, "warm": 1, "hot": 1}, grades)

	// Scores 0, 0, 20, 50 in buckets of 5: [0,5) holds 2, [20,25) 1, [50,55) 1.
	require.Len(t, d.Histogram, 11)
	var inBuckets int64
	for i, b := range d.Histogram {
		assert.Equal(t, int64(i*5), b.From)
		assert.Equal(t, b.From+5, b.To)
		inBuckets += b.Count
	}
	assert.Equal(t, int64(4), inBuckets)
	assert.Equal(t, int64(2), d.Histogram[0].Count)
	assert.Equal(t, int64(1), d.Histogram[4].Count)
	assert.Equal(t, int64(1), d.Histogram[10].Count)

	var events int64
	for _, m := range d.PerMinute {
		events += m.Count
	}
	assert.Equal(t, int64(13), events, "every applied event is counted once")

	require.NotEmpty(t, d.Busiest)
	assert.Equal(t, "demo", d.Busiest[0].ID)
	assert.Equal(t, int64(7), d.Busiest[0].Runs, "seven Demo events started seven runs")

	require.Len(t, d.Disqualified, 1)
	assert.Equal(t, "c-c", d.Disqualified[0].ID)
	assert.Equal(t, "competitor", d.Disqualified[0].Reason)
}

func TestFlowListRuns(t *testing.T) {
	a := uiApp(t)
	var out struct {
		Flows []struct {
			ID      string `json:"id"`
			Runs24h int64  `json:"runs_24h"`
		} `json:"flows"`
	}
	apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil).JSON(t, &out)
	runs := map[string]int64{}
	for _, f := range out.Flows {
		runs[f.ID] = f.Runs24h
	}
	assert.Equal(t, map[string]int64{"demo": 7, "tag-vip": 1, "disq": 1, "off": 0}, runs)
}

func TestScoringMatrix(t *testing.T) {
	a := uiApp(t)
	var out struct {
		Rules []struct {
			FlowID      string `json:"flow_id"`
			NodeID      string `json:"node_id"`
			TriggerText string `json:"trigger_text"`
			Dimension   string `json:"dimension"`
			Points      int64  `json:"points"`
		} `json:"rules"`
	}
	apptest.Do(t, a, http.MethodGet, "/api/v1/scoring-matrix", nil).JSON(t, &out)
	require.Len(t, out.Rules, 1, "only demo scores among the enabled flows")
	assert.Equal(t, "demo", out.Rules[0].FlowID)
	assert.Equal(t, "a1", out.Rules[0].NodeID)
	assert.Equal(t, `Custom event "Demo"`, out.Rules[0].TriggerText)
	assert.Equal(t, "engagement", out.Rules[0].Dimension)
	assert.Equal(t, int64(10), out.Rules[0].Points)

	apptest.Do(t, a, http.MethodGet, "/api/v1/scoring-matrix?disabled=true", nil).JSON(t, &out)
	assert.Len(t, out.Rules, 2, "?disabled=true adds the disabled flow")
}

func TestCatalog(t *testing.T) {
	a := uiApp(t)
	// Names only a flow uses are offered too, through its picker fields.
	only := withNode(flowDoc("flow-only", 1), "action.add_tag", map[string]any{"tag": "flow-tag"})
	only["nodes"].([]any)[0].(map[string]any)["config"] = map[string]any{"name": "Never sent"}
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", only)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var c struct {
		EventTypes []string `json:"event_types"`
		Tags       []string `json:"tags"`
		Fields     []string `json:"fields"`
		Scores     []string `json:"scores"`
		Stages     []string `json:"stages"`
		Grades     []string `json:"grades"`
	}
	apptest.Do(t, a, http.MethodGet, "/api/v1/catalog", nil).JSON(t, &c)
	assert.Subset(t, c.EventTypes, []string{"Demo", "Went VIP", "Competitor", "page_visited", "email_opened", "Never sent"})
	assert.Subset(t, c.Tags, []string{"vip", "flow-tag"})
	assert.Subset(t, c.Fields, []string{"attributes.company", "attributes.job_title", "deal_stage"})
	assert.Subset(t, c.Scores, []string{"engagement"})
	assert.NotEmpty(t, c.Stages)
	assert.NotEmpty(t, c.Grades)
}

// The catalog serves flows' table of contact fields, row for row in table
// order, so the UI's filter builder offers what the parser accepts.
func TestCatalogContactFields(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/catalog", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var c struct {
		ContactFields []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Doc      string `json:"doc"`
			Family   *bool  `json:"family"`
			Settable *bool  `json:"settable"`
			Optional *bool  `json:"optional"`
			Window   *bool  `json:"window"`
		} `json:"contact_fields"`
	}
	r.JSON(t, &c)
	rows := flows.ContactFields()
	require.Len(t, c.ContactFields, len(rows))
	for i, f := range rows {
		got := c.ContactFields[i]
		assert.Equal(t, f.Name, got.Name, "row %d", i)
		assert.Equal(t, string(f.Type), got.Type, f.Name)
		assert.Equal(t, f.Doc, got.Doc, f.Name)
		// Every flag is written, false too: the UI tells "no" from "not said".
		if assert.NotNil(t, got.Family, f.Name) && assert.NotNil(t, got.Settable, f.Name) && assert.NotNil(t, got.Optional, f.Name) &&
			assert.NotNil(t, got.Window, f.Name) {
			assert.Equal(t, f.Family(), *got.Family, f.Name)
			assert.Equal(t, f.Settable, *got.Settable, f.Name)
			assert.Equal(t, f.Optional, *got.Optional, f.Name)
			assert.Equal(t, f.Window, *got.Window, f.Name)
		}
	}
	// The types the UI's filter builder keys its behaviour on.
	types := map[string]string{}
	for _, f := range c.ContactFields {
		types[f.Name] = f.Type
	}
	window := map[string]bool{}
	for _, f := range c.ContactFields {
		if f.Window != nil && *f.Window {
			window[f.Name] = true
		}
	}
	assert.Equal(t, map[string]bool{"score_change": true, "score_change.": true}, window, "score velocity's fields take within")
	for name, want := range map[string]string{"score": "number", "score.": "number", "score_change.": "number", "grade": "text", "tags": "text_list",
		"disqualified": "bool", "last_activity_at": "time", "attributes.": "any"} {
		assert.Equal(t, want, types[name], name)
	}
}

func TestSegmentPreview(t *testing.T) {
	a := uiApp(t)
	count := func(t *testing.T, r apptest.Response) (int64, []string) {
		var out struct {
			Count  int64 `json:"count"`
			Sample []struct {
				ID string `json:"id"`
			} `json:"sample"`
		}
		r.JSON(t, &out)
		ids := []string{}
		for _, c := range out.Sample {
			ids = append(ids, c.ID)
		}
		return out.Count, ids
	}
	runScenarios(t, a, []scenario{
		{name: "score", method: http.MethodPost, url: "/api/v1/segments/preview",
			body: map[string]any{"where": map[string]any{"field": "score", "op": "gte", "value": 20}}, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				n, ids := count(t, r)
				assert.Equal(t, int64(2), n)
				assert.Equal(t, []string{"c-a", "c-b"}, ids, "sample by score")
			}},
		{name: "behaviour", method: http.MethodPost, url: "/api/v1/segments/preview",
			body:   map[string]any{"where": map[string]any{"event": "Demo", "within": "1d", "count": map[string]any{"op": "gte", "value": 3}}},
			status: http.StatusOK, check: func(t *testing.T, r apptest.Response) {
				n, ids := count(t, r)
				assert.Equal(t, int64(1), n)
				assert.Equal(t, []string{"c-a"}, ids)
			}},
		{name: "nobody", method: http.MethodPost, url: "/api/v1/segments/preview",
			body: map[string]any{"where": map[string]any{"field": "tags", "op": "contains", "value": "none"}}, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				n, ids := count(t, r)
				assert.Zero(t, n)
				assert.Empty(t, ids)
			}},
		{name: "score velocity", method: http.MethodPost, url: "/api/v1/segments/preview",
			body: map[string]any{"where": map[string]any{"field": "score_change", "within": "1d", "op": "gte", "value": 20}}, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				n, ids := count(t, r)
				assert.Equal(t, int64(2), n)
				assert.Equal(t, []string{"c-a", "c-b"}, ids, "their points came today")
			}},
		{name: "score velocity without within", method: http.MethodPost, url: "/api/v1/segments/preview",
			body: map[string]any{"where": map[string]any{"field": "score_change.engagement", "op": "gte", "value": 20}}, status: http.StatusBadRequest,
			contains: []string{"invalid_segment", `"path":"where.within"`, "is required for score_change.engagement"}},
		{name: "score velocity takes numbers", method: http.MethodPost, url: "/api/v1/segments/preview",
			body: map[string]any{"where": map[string]any{"field": "score_change", "within": "7d", "op": "contains", "value": 1}}, status: http.StatusBadRequest,
			contains: []string{`"path":"where.op"`, "a number of points"}},
		{name: "within on another field", method: http.MethodPost, url: "/api/v1/segments/preview",
			body: map[string]any{"where": map[string]any{"field": "score", "within": "7d", "op": "gte", "value": 1}}, status: http.StatusBadRequest,
			contains: []string{`"path":"where.within"`, "only to score_change"}},
		{name: "bad op", method: http.MethodPost, url: "/api/v1/segments/preview",
			body: map[string]any{"where": map[string]any{"field": "score", "op": "bigger", "value": 1}}, status: http.StatusBadRequest,
			contains: []string{"invalid_segment", "where"}},
		{name: "unknown segment reference", method: http.MethodPost, url: "/api/v1/segments/preview",
			body:   map[string]any{"where": map[string]any{"field": "segments", "op": "contains", "value": "ghost"}},
			status: http.StatusBadRequest, contains: []string{"ghost"}},
		{name: "malformed JSON", method: http.MethodPost, url: "/api/v1/segments/preview", body: `{"where":`,
			status: http.StatusBadRequest},
	})
	var list struct {
		Segments []any `json:"segments"`
	}
	apptest.Do(t, a, http.MethodGet, "/api/v1/segments", nil).JSON(t, &list)
	assert.Empty(t, list.Segments, "a preview saves nothing")
}
