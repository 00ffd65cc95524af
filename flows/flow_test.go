package flows_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/scoreflow/scoreflow/actions"
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	_ "github.com/scoreflow/scoreflow/triggers"
)

// contractFlow is the example flow of CONTRACT §3, verbatim.
const contractFlow = `{
  "id": "pricing-interest",
  "name": "Pricing page interest",
  "enabled": true,
  "entry": {"mode": "every_time"},
  "nodes": [
    {"id": "t1", "type": "trigger.page_visited", "config": {"url": "/pricing", "match": "contains"}, "position": {"x": 0, "y": 0}},
    {"id": "c1", "type": "condition.if", "config": {"where": {"field": "attributes.job_title", "op": "in", "value": ["CEO", "CMO"]}}},
    {"id": "a1", "type": "action.adjust_score", "config": {"score": "engagement", "points": 10}},
    {"id": "a2", "type": "action.adjust_score", "config": {"score": "engagement", "points": 3}}
  ],
  "edges": [{"from": "t1", "to": "c1"}, {"from": "c1", "to": "a1", "branch": "yes"}, {"from": "c1", "to": "a2", "branch": "no"}]
}`

// referenceFlows is where the shipped example flows live, relative to this package.
const referenceFlows = "../examples/reference/flows"

// testStages is a pipeline narrower than the default one, so a stage check bites.
var testStages = []string{"new", "mql", "lost"}

// mustParse parses doc and fails the test when it is not a flow document.
func mustParse(t testing.TB, doc string) *flows.Flow {
	t.Helper()
	f, err := flows.Parse([]byte(doc))
	require.NoError(t, err)
	return f
}

// requireInvalid asserts err is an InvalidError with code invalid_flow and
// returns it.
func requireInvalid(t testing.TB, err error) *model.InvalidError {
	t.Helper()
	require.Error(t, err)
	var inv *model.InvalidError
	require.True(t, errors.As(err, &inv), "want *model.InvalidError, got %T: %v", err, err)
	assert.Equal(t, "invalid_flow", inv.Code)
	assert.NotEmpty(t, inv.Message)
	return inv
}

func paths(errs []model.FieldError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Path
	}
	return out
}

func TestParseRejectsWhatIsNotAFlowDocument(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		path    string // path of the single detail
		message string // substring of the detail's message
	}{
		{name: "empty", doc: ``, message: "ends too early"},
		{name: "truncated", doc: `{"id": "x", "nodes": [`, message: "ends too early"},
		{name: "syntax error", doc: `{"id": "x",, "name": "y"}`, message: "invalid character"},
		{name: "single quotes", doc: `{'id': 'x'}`, message: "invalid character"},
		{name: "not an object", doc: `"pricing-interest"`, message: "must be"},
		{name: "array", doc: `[` + contractFlow + `]`, message: "must be"},
		{name: "nodes is a number", doc: `{"id": "x", "nodes": 3}`, path: "nodes", message: "must be"},
		{name: "edges is an object", doc: `{"id": "x", "edges": {"from": "a"}}`, path: "edges", message: "must be"},
		{name: "enabled is a string", doc: `{"id": "x", "enabled": "yes"}`, path: "enabled", message: "must be true or false"},
		{name: "id is a number", doc: `{"id": 7}`, path: "id", message: "must be a string"},
		{name: "version is fractional", doc: `{"id": "x", "version": 1.5}`, path: "version", message: "must be an integer"},
		{name: "entry max is a string", doc: `{"entry": {"mode": "limited", "max": "3"}}`, path: "entry.max", message: "must be an integer"},
		{name: "entry is a string", doc: `{"entry": "once"}`, path: "entry", message: "must be"},
		{name: "node config is a number", doc: `{"nodes": [{"id": "t1", "config": 3}]}`, path: "nodes.config", message: "must be"},
		{name: "position is a string", doc: `{"nodes": [{"id": "t1", "position": "top"}]}`, path: "nodes.position", message: "must be"},
		{name: "edge branch is a bool", doc: `{"edges": [{"from": "a", "to": "b", "branch": true}]}`, path: "edges.branch", message: "must be a string"},
		// Entry.Window is a model.Duration, so a bad span fails while decoding.
		{name: "window is not a duration", doc: `{"entry": {"mode": "limited", "max": 3, "window": "a month"}}`, path: "entry.window", message: "invalid duration"},
		{name: "window is zero", doc: `{"entry": {"mode": "limited", "max": 3, "window": "0d"}}`, path: "entry.window", message: "must be positive"},
		{name: "window is negative", doc: `{"entry": {"mode": "limited", "max": 3, "window": "-5m"}}`, path: "entry.window", message: "must be positive"},
		{name: "window is a number", doc: `{"entry": {"mode": "limited", "max": 3, "window": 30}}`, path: "entry.window", message: "must be a duration"},
		{name: "trailing object", doc: contractFlow + `{}`, message: "trailing data"},
		{name: "trailing word", doc: contractFlow + ` x`, message: "trailing data"},
		{name: "trailing brace", doc: contractFlow + `}`, message: "trailing data"},
		{name: "trailing bracket", doc: contractFlow + "\n]", message: "trailing data"},
		{name: "two flows", doc: contractFlow + "\n" + contractFlow, message: "trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := flows.Parse([]byte(tc.doc))
			assert.Nil(t, f)
			inv := requireInvalid(t, err)
			require.Len(t, inv.Details, 1)
			assert.Equal(t, tc.path, inv.Details[0].Path)
			assert.Contains(t, inv.Details[0].Message, tc.message)
		})
	}
}

func TestParseAcceptsAFlowDocument(t *testing.T) {
	f := mustParse(t, "\n "+contractFlow+" \r\n\t")
	assert.Equal(t, "pricing-interest", f.ID)
	assert.Equal(t, "Pricing page interest", f.Name)
	assert.True(t, f.Enabled)
	assert.Equal(t, flows.EntryEveryTime, f.Entry.Mode)
	require.Len(t, f.Nodes, 4)
	require.Len(t, f.Edges, 3)
	assert.Equal(t, &flows.Position{X: 0, Y: 0}, f.Nodes[0].Position)
	assert.Nil(t, f.Nodes[1].Position)
	assert.Equal(t, flows.Edge{From: "c1", To: "a2", Branch: "no"}, f.Edges[2])

	// Config numbers become plain Go numbers, so node builders never see json.Number.
	assert.Equal(t, int64(10), f.Nodes[2].Config["points"])
	where := f.Nodes[1].Config["where"].(map[string]any)
	assert.Equal(t, []any{"CEO", "CMO"}, where["value"])

	f = mustParse(t, `{"nodes": [{"id": "n", "config": {"i": -3, "f": 2.5, "big": 1e21, "nested": {"list": [1, 0.5]}}}]}`)
	cfg := f.Nodes[0].Config
	assert.Equal(t, int64(-3), cfg["i"])
	assert.Equal(t, 2.5, cfg["f"])
	assert.Equal(t, 1e21, cfg["big"])
	assert.Equal(t, map[string]any{"list": []any{int64(1), 0.5}}, cfg["nested"])

	f = mustParse(t, `{"entry": {"mode": "limited", "max": 3, "window": "30d"}, "audience": {"field": "score", "op": "gte", "value": 10}}`)
	require.NotNil(t, f.Entry.Window)
	assert.Equal(t, 30*24*time.Hour, time.Duration(*f.Entry.Window))
	assert.JSONEq(t, `{"field": "score", "op": "gte", "value": 10}`, string(f.Audience))
}

func TestCompileContractFlow(t *testing.T) {
	for _, env := range []flows.Env{{}, {Stages: testStages}} {
		f := mustParse(t, contractFlow)
		assert.Empty(t, flows.Validate(f, env))

		c, err := flows.Compile(f, env)
		require.NoError(t, err)
		assert.Same(t, f, c.Flow)
		assert.Nil(t, c.Audience)
		assert.Zero(t, c.Window)

		require.Len(t, c.Triggers, 1)
		assert.Equal(t, "t1", c.Triggers[0].NodeID)
		assert.Equal(t, flows.TriggerKey{Internal: false, Type: "page_visited"}, c.Triggers[0].Trigger.Key())

		require.Len(t, c.Steps, 3)
		for _, id := range []string{"c1", "a1", "a2"} {
			assert.NotNil(t, c.Steps[id], "step %s", id)
		}
		assert.NotContains(t, c.Steps, "t1", "a trigger is not a step")

		assert.Equal(t, []flows.Edge{{From: "t1", To: "c1"}}, c.Next["t1"])
		assert.Equal(t, []flows.Edge{{From: "c1", To: "a1", Branch: "yes"}, {From: "c1", To: "a2", Branch: "no"}}, c.Next["c1"])
		assert.Empty(t, c.Next["a1"])
		assert.Empty(t, c.Next["a2"])
	}
}

// Next keeps edges in document order, which is the order a run follows them.
func TestCompileKeepsEdgeOrder(t *testing.T) {
	f := mustParse(t, contractFlow)
	f.Edges = []flows.Edge{
		{From: "c1", To: "a2", Branch: "no"},
		{From: "t1", To: "c1"},
		{From: "c1", To: "a1", Branch: "yes"},
		{From: "c1", To: "a2", Branch: "yes"},
	}
	c, err := flows.Compile(f, flows.Env{})
	require.NoError(t, err)
	assert.Equal(t, []flows.Edge{
		{From: "c1", To: "a2", Branch: "no"},
		{From: "c1", To: "a1", Branch: "yes"},
		{From: "c1", To: "a2", Branch: "yes"},
	}, c.Next["c1"])
}

func TestCompileEntryModes(t *testing.T) {
	tests := []struct {
		entry  string
		mode   string
		window time.Duration
		max    int
	}{
		{entry: `{}`, mode: flows.EntryEveryTime},
		{entry: `{"mode": ""}`, mode: flows.EntryEveryTime},
		{entry: `{"mode": "every_time"}`, mode: flows.EntryEveryTime},
		{entry: `{"mode": "once"}`, mode: flows.EntryOnce},
		{entry: `{"mode": "limited", "max": 3, "window": "30d"}`, mode: flows.EntryLimited, max: 3, window: 30 * 24 * time.Hour},
		{entry: `{"mode": "limited", "max": 1, "window": "90m"}`, mode: flows.EntryLimited, max: 1, window: 90 * time.Minute},
		{entry: `{"mode": "limited", "max": 10, "window": "1h30m"}`, mode: flows.EntryLimited, max: 10, window: 90 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.entry, func(t *testing.T) {
			f := mustParse(t, contractFlow)
			require.NoError(t, json.Unmarshal([]byte(tc.entry), &f.Entry))
			c, err := flows.Compile(f, flows.Env{})
			require.NoError(t, err)
			assert.Equal(t, tc.mode, c.Flow.Entry.Mode)
			assert.Equal(t, tc.max, c.Flow.Entry.Max)
			assert.Equal(t, tc.window, c.Window)
		})
	}

	// A document without entry at all also runs every time.
	doc := strings.Replace(contractFlow, `"entry": {"mode": "every_time"},`, "", 1)
	require.NotEqual(t, contractFlow, doc)
	c, err := flows.Compile(mustParse(t, doc), flows.Env{})
	require.NoError(t, err)
	assert.Equal(t, flows.EntryEveryTime, c.Flow.Entry.Mode)
}

func TestCompileAudience(t *testing.T) {
	for _, audience := range []string{`null`, ``} {
		f := mustParse(t, contractFlow)
		f.Audience = json.RawMessage(audience)
		c, err := flows.Compile(f, flows.Env{})
		require.NoError(t, err)
		assert.Nil(t, c.Audience, "audience %q", audience)
	}

	f := mustParse(t, contractFlow)
	f.Audience = json.RawMessage(`{"all": [{"field": "score", "op": "gte", "value": 10}, {"field": "tags", "op": "nin", "value": ["customer"]}]}`)
	f.IncludeDisqualified = true
	c, err := flows.Compile(f, flows.Env{})
	require.NoError(t, err)
	require.NotNil(t, c.Audience)
	assert.Equal(t, flows.ContactFilter, c.Audience.Kind())
	assert.Equal(t, []string{"score", "tags"}, c.Audience.Fields())
}

func TestRegistryBuild(t *testing.T) {
	trig, step, errs := flows.Nodes.Build("trigger.page_visited", map[string]any{"url": "/pricing", "match": "prefix"})
	require.Empty(t, errs)
	require.NotNil(t, trig)
	assert.Nil(t, step)
	assert.Equal(t, flows.TriggerKey{Type: "page_visited"}, trig.Key())

	trig, step, errs = flows.Nodes.Build("action.adjust_score", map[string]any{"score": "fit", "points": int64(-5)})
	require.Empty(t, errs)
	assert.Nil(t, trig)
	assert.NotNil(t, step)

	// Defaults are filled in: page_visited's match defaults to contains.
	trig, _, errs = flows.Nodes.Build("trigger.page_visited", map[string]any{"url": "/pricing"})
	require.Empty(t, errs)
	assert.NotNil(t, trig)

	tests := []struct {
		name    string
		typ     string
		config  map[string]any
		path    string
		message string
	}{
		{name: "unknown type", typ: "action.launch_rocket", config: map[string]any{}, path: "type", message: `unknown node type "action.launch_rocket"`},
		{name: "empty type", typ: "", path: "type", message: "unknown node type"},
		{name: "wrong field type", typ: "action.adjust_score", config: map[string]any{"score": "fit", "points": "ten"}, path: "points", message: "must be an integer"},
		{name: "missing field", typ: "action.adjust_score", config: map[string]any{"points": int64(1)}, path: "score", message: "is required"},
		{name: "unknown field", typ: "action.requalify", config: map[string]any{"why": "x"}, path: "why", message: "is not a field of action.requalify"},
		{name: "constructor error", typ: "trigger.page_visited", config: map[string]any{"url": "(", "match": "regex"}, path: "url", message: "regular expression"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trig, step, errs := flows.Nodes.Build(tc.typ, tc.config)
			assert.Nil(t, trig)
			assert.Nil(t, step)
			require.Len(t, errs, 1)
			assert.Equal(t, tc.path, errs[0].Path)
			assert.Contains(t, errs[0].Message, tc.message)
		})
	}
}

// referenceSettings reads the pipeline the reference examples are written for.
func referenceSettings(t testing.TB) model.Settings {
	t.Helper()
	data, err := os.ReadFile("../examples/reference/settings.json")
	require.NoError(t, err)
	var s model.Settings
	require.NoError(t, json.Unmarshal(data, &s))
	require.NotEmpty(t, s.Pipeline)
	return s
}

func TestReferenceFlowsCompile(t *testing.T) {
	env := flows.Env{Stages: referenceSettings(t).Pipeline}
	names, err := filepath.Glob(filepath.Join(referenceFlows, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, names)
	ids := map[string]string{}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			require.NoError(t, err)
			f, err := flows.Parse(data)
			require.NoError(t, err)
			c, err := flows.Compile(f, env)
			require.NoError(t, err)
			assert.NotEmpty(t, c.Triggers)
			assert.NotEmpty(t, c.Steps)
			assert.Equal(t, strings.TrimSuffix(filepath.Base(name), ".json"), f.ID, "file is named after its flow")
			assert.NotContains(t, ids, f.ID, "flow id also used by %s", ids[f.ID])
			ids[f.ID] = name
		})
	}
}
