package flows_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// wantErr is one expected detail: its exact path and a substring of its message.
type wantErr struct {
	path    string
	message string
}

func addNode(f *flows.Flow, id, typ string, config map[string]any) {
	f.Nodes = append(f.Nodes, flows.Node{ID: id, Type: typ, Config: config})
}

func addEdge(f *flows.Flow, from, to, branch string) {
	f.Edges = append(f.Edges, flows.Edge{From: from, To: to, Branch: branch})
}

func score(points int64) map[string]any {
	return map[string]any{"score": "engagement", "points": points}
}

// assertErrs checks that got holds exactly want, in order.
func assertErrs(t *testing.T, want []wantErr, got []model.FieldError) {
	t.Helper()
	wantPaths := make([]string, len(want))
	for i, w := range want {
		wantPaths[i] = w.path
	}
	if !assert.Equal(t, wantPaths, paths(got), "details: %v", got) {
		return
	}
	for i, w := range want {
		assert.Contains(t, got[i].Message, w.message, "message of %s", w.path)
	}
}

// Every rule of CONTRACT §3, each broken alone in the contract's example flow.
func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *flows.Flow)
		want   []wantErr
		// stagesOnly: the rule needs the pipeline, so Env{} accepts the flow.
		stagesOnly bool
	}{
		// The document.
		{name: "missing id", mutate: func(f *flows.Flow) { f.ID = "" },
			want: []wantErr{{"id", "must be 1 to 128"}}},
		{name: "id with a space", mutate: func(f *flows.Flow) { f.ID = "pricing interest" },
			want: []wantErr{{"id", "must be 1 to 128"}}},
		{name: "id with a slash", mutate: func(f *flows.Flow) { f.ID = "a/b" },
			want: []wantErr{{"id", "letters, digits"}}},
		{name: "id starting with a dash", mutate: func(f *flows.Flow) { f.ID = "-pricing" },
			want: []wantErr{{"id", "starting with a letter or digit"}}},
		{name: "id too long", mutate: func(f *flows.Flow) { f.ID = strings.Repeat("a", 129) },
			want: []wantErr{{"id", "1 to 128"}}},
		{name: "missing name", mutate: func(f *flows.Flow) { f.Name = "" },
			want: []wantErr{{"name", "is required"}}},

		// Nodes.
		{name: "no nodes", mutate: func(f *flows.Flow) { f.Nodes, f.Edges = nil, nil },
			want: []wantErr{{"nodes", "at least one trigger"}}},
		{name: "no trigger", mutate: func(f *flows.Flow) { f.Nodes, f.Edges = f.Nodes[1:], f.Edges[1:] },
			want: []wantErr{{"nodes", "at least one trigger"}}},
		{name: "unknown node type", mutate: func(f *flows.Flow) {
			f.Nodes = append(f.Nodes[:1], append([]flows.Node{{ID: "x1", Type: "action.launch_rocket"}}, f.Nodes[1:]...)...)
		}, want: []wantErr{{"nodes[1].type", `unknown node type "action.launch_rocket"`}}},
		{name: "missing node type", mutate: func(f *flows.Flow) { addNode(f, "x1", "", nil) },
			want: []wantErr{{"nodes[4].type", "unknown node type"}}},
		{name: "missing node id", mutate: func(f *flows.Flow) { addNode(f, "", "action.add_tag", map[string]any{"tag": "x"}) },
			want: []wantErr{{"nodes[4].id", "is required"}}},
		{name: "duplicate node id", mutate: func(f *flows.Flow) { addNode(f, "a1", "action.add_tag", map[string]any{"tag": "x"}) },
			want: []wantErr{{"nodes[4].id", `duplicate node id "a1"`}}},
		{name: "too many nodes", mutate: func(f *flows.Flow) {
			for i := len(f.Nodes); i <= flows.MaxNodes; i++ {
				addNode(f, fmt.Sprintf("n%d", i), "action.adjust_score", score(1))
			}
		}, want: []wantErr{{"nodes", fmt.Sprintf("at most %d nodes", flows.MaxNodes)}}},
		{name: "too many edges", mutate: func(f *flows.Flow) {
			for i := len(f.Edges); i <= flows.MaxEdges; i++ {
				addEdge(f, "t1", "a1", "")
			}
		}, want: []wantErr{{"edges", fmt.Sprintf("at most %d edges", flows.MaxEdges)}}},

		// Node configs.
		{name: "points is a string", mutate: func(f *flows.Flow) { f.Nodes[2].Config["points"] = "ten" },
			want: []wantErr{{"nodes[2].config.points", "must be an integer"}}},
		{name: "points is fractional", mutate: func(f *flows.Flow) { f.Nodes[2].Config["points"] = 1.5 },
			want: []wantErr{{"nodes[2].config.points", "must be an integer"}}},
		{name: "points is zero", mutate: func(f *flows.Flow) { f.Nodes[2].Config["points"] = int64(0) },
			want: []wantErr{{"nodes[2].config.points", "must not be 0"}}},
		{name: "score is a number", mutate: func(f *flows.Flow) { f.Nodes[3].Config["score"] = int64(1) },
			want: []wantErr{{"nodes[3].config.score", "must be a string"}}},
		{name: "unknown config field", mutate: func(f *flows.Flow) { f.Nodes[2].Config["bonus"] = int64(5) },
			want: []wantErr{{"nodes[2].config.bonus", "is not a field of action.adjust_score"}}},
		{name: "missing required field", mutate: func(f *flows.Flow) { delete(f.Nodes[2].Config, "score") },
			want: []wantErr{{"nodes[2].config.score", "is required"}}},
		{name: "null required field", mutate: func(f *flows.Flow) { f.Nodes[2].Config["points"] = nil },
			want: []wantErr{{"nodes[2].config.points", "is required"}}},
		{name: "empty required string", mutate: func(f *flows.Flow) { f.Nodes[2].Config["score"] = "" },
			want: []wantErr{{"nodes[2].config.score", "must not be empty"}}},
		{name: "no config", mutate: func(f *flows.Flow) { f.Nodes[3].Config = nil },
			want: []wantErr{{"nodes[3].config.score", "is required"}, {"nodes[3].config.points", "is required"}}},
		{name: "value not in enum", mutate: func(f *flows.Flow) { f.Nodes[0].Config["match"] = "fuzzy" },
			want: []wantErr{{"nodes[0].config.match", "must be one of"}}},
		{name: "bad regex", mutate: func(f *flows.Flow) { f.Nodes[0].Config = map[string]any{"url": "(", "match": "regex"} },
			want: []wantErr{{"nodes[0].config.url", "not a valid regular expression"}}},
		{name: "bad filter in condition", mutate: func(f *flows.Flow) {
			f.Nodes[1].Config["where"] = map[string]any{"field": "attributes.job_title", "op": "like", "value": "CEO"}
		}, want: []wantErr{{"nodes[1].config.where.op", `unknown op "like"`}}},
		{name: "missing filter in condition", mutate: func(f *flows.Flow) { f.Nodes[1].Config = map[string]any{} },
			want: []wantErr{{"nodes[1].config.where", "is required"}}},
		{name: "stage not in pipeline", stagesOnly: true, mutate: func(f *flows.Flow) {
			addNode(f, "s1", "action.change_deal_stage", map[string]any{"stage": "sql"})
			addEdge(f, "a1", "s1", "")
		}, want: []wantErr{{"nodes[4].config.stage", `"sql" is not a stage of the pipeline`}}},

		// Edges.
		{name: "dangling edge target", mutate: func(f *flows.Flow) { f.Edges[0].To = "zz" },
			want: []wantErr{{"edges[0].to", `no node "zz"`}}},
		{name: "dangling edge source", mutate: func(f *flows.Flow) { f.Edges[0].From = "zz" },
			want: []wantErr{{"edges[0].from", `no node "zz"`}}},
		{name: "edge without ends", mutate: func(f *flows.Flow) { addEdge(f, "", "", "") },
			want: []wantErr{{"edges[3].from", `no node ""`}, {"edges[3].to", `no node ""`}}},
		{name: "self loop", mutate: func(f *flows.Flow) { addEdge(f, "a1", "a1", "") },
			want: []wantErr{{"edges[3].to", "cannot link to itself"}}},
		{name: "edge into a trigger", mutate: func(f *flows.Flow) { addEdge(f, "a1", "t1", "") },
			want: []wantErr{{"edges[3].to", `node "t1" is a trigger`}}},
		{name: "edge between triggers", mutate: func(f *flows.Flow) {
			addNode(f, "t2", "trigger.tag_added", map[string]any{"tag": "trial"})
			addEdge(f, "t2", "t1", "")
		}, want: []wantErr{{"edges[3].to", "is a trigger"}}},
		{name: "cycle", mutate: func(f *flows.Flow) {
			addNode(f, "a3", "action.add_tag", map[string]any{"tag": "looping"})
			addEdge(f, "a1", "a3", "")
			addEdge(f, "a3", "a1", "")
		}, want: []wantErr{{"edges", "cycle through node"}}},
		{name: "condition edge without branch", mutate: func(f *flows.Flow) { f.Edges[1].Branch = "" },
			want: []wantErr{{"edges[1].branch", "must carry branch [yes no]"}}},
		{name: "condition edge with a bad branch", mutate: func(f *flows.Flow) { f.Edges[2].Branch = "maybe" },
			want: []wantErr{{"edges[2].branch", "must carry branch"}}},
		{name: "condition branch is case sensitive", mutate: func(f *flows.Flow) { f.Edges[1].Branch = "Yes" },
			want: []wantErr{{"edges[1].branch", "must carry branch"}}},
		{name: "branch on a trigger edge", mutate: func(f *flows.Flow) { f.Edges[0].Branch = "yes" },
			want: []wantErr{{"edges[0].branch", `remove branch "yes"`}}},
		{name: "branch on an action edge", mutate: func(f *flows.Flow) {
			addNode(f, "a3", "action.add_tag", map[string]any{"tag": "x"})
			addEdge(f, "a1", "a3", "no")
		}, want: []wantErr{{"edges[3].branch", `node "a1" (action.adjust_score) has no branches`}}},
		{name: "duplicate edge", mutate: func(f *flows.Flow) { addEdge(f, "c1", "a1", "yes") },
			want: []wantErr{{"edges[3]", `duplicate edge from "c1" to "a1"`}}},
		{name: "duplicate plain edge", mutate: func(f *flows.Flow) { f.Edges = append(f.Edges, f.Edges[0]) },
			want: []wantErr{{"edges[3]", "duplicate edge"}}},

		// Entry.
		{name: "unknown entry mode", mutate: func(f *flows.Flow) { f.Entry.Mode = "sometimes" },
			want: []wantErr{{"entry.mode", "must be every_time, once or limited"}}},
		{name: "entry mode is case sensitive", mutate: func(f *flows.Flow) { f.Entry.Mode = "Once" },
			want: []wantErr{{"entry.mode", "must be every_time"}}},
		{name: "limited without max and window", mutate: func(f *flows.Flow) { f.Entry = flows.Entry{Mode: flows.EntryLimited} },
			want: []wantErr{{"entry.max", "at least 1"}, {"entry.window", "is required for mode limited"}}},
		{name: "limited without window", mutate: func(f *flows.Flow) { f.Entry = flows.Entry{Mode: flows.EntryLimited, Max: 3} },
			want: []wantErr{{"entry.window", "is required"}}},
		{name: "limited with max 0", mutate: func(f *flows.Flow) {
			w := model.Duration(3600e9)
			f.Entry = flows.Entry{Mode: flows.EntryLimited, Max: 0, Window: &w}
		}, want: []wantErr{{"entry.max", "must be at least 1"}}},
		{name: "limited with negative max", mutate: func(f *flows.Flow) {
			w := model.Duration(3600e9)
			f.Entry = flows.Entry{Mode: flows.EntryLimited, Max: -2, Window: &w}
		}, want: []wantErr{{"entry.max", "must be at least 1"}}},

		// Audience.
		{name: "audience with unknown op", mutate: func(f *flows.Flow) {
			f.Audience = json.RawMessage(`{"field": "score", "op": "bogus", "value": 1}`)
		}, want: []wantErr{{"audience.op", `unknown op "bogus"`}}},
		{name: "audience leaf without value", mutate: func(f *flows.Flow) {
			f.Audience = json.RawMessage(`{"all": [{"field": "score", "op": "gte", "value": 1}, {"field": "attributes.x", "op": "eq"}]}`)
		}, want: []wantErr{{"audience.all[1].value", "is required for op eq"}}},
		{name: "audience is an array", mutate: func(f *flows.Flow) { f.Audience = json.RawMessage(`[]`) },
			want: []wantErr{{"audience", "must be a filter object"}}},
		{name: "audience is not JSON", mutate: func(f *flows.Flow) { f.Audience = json.RawMessage(`{"field":`) },
			want: []wantErr{{"audience", "not valid JSON"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, env := range []flows.Env{{}, {Stages: testStages}} {
				want := tc.want
				if tc.stagesOnly && env.Stages == nil {
					want = nil
				}
				f := mustParse(t, contractFlow)
				tc.mutate(f)
				errs := flows.Validate(f, env)
				assertErrs(t, want, errs)

				f = mustParse(t, contractFlow)
				tc.mutate(f)
				c, err := flows.Compile(f, env)
				if len(want) == 0 {
					require.NoError(t, err)
					assert.NotNil(t, c)
					continue
				}
				assert.Nil(t, c)
				inv := requireInvalid(t, err)
				assert.Equal(t, errs, inv.Details, "Compile reports what Validate reports")
				assert.Contains(t, inv.Message, want[0].path)
			}
		})
	}
}

// The stage check needs the pipeline; the segment check needs a lookup.
func TestValidatePickers(t *testing.T) {
	f := mustParse(t, contractFlow)
	addNode(f, "s1", "action.change_deal_stage", map[string]any{"stage": "mql"})
	addEdge(f, "a1", "s1", "")
	assert.Empty(t, flows.Validate(f, flows.Env{Stages: testStages}))
	assertErrs(t, []wantErr{{"nodes[4].config.stage", "is not a stage"}}, flows.Validate(f, flows.Env{Stages: []string{}}))

	reg := flows.NewRegistry()
	reg.Register(flows.Spec{
		Type: "trigger.segment_test", Kind: flows.KindTrigger,
		Fields:     []flows.Field{{Name: "segment", Type: flows.TypeString, Required: true, Picker: flows.PickSegment}},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) { return segmentTrigger(cfg.String("segment")), nil },
	})
	seg := &flows.Flow{ID: "s", Name: "S", Nodes: []flows.Node{{ID: "t1", Type: "trigger.segment_test", Config: map[string]any{"segment": "hot"}}}}
	exists := func(id string) bool { return id == "warm" }
	assert.Empty(t, flows.Validate(seg, flows.Env{Registry: reg}))
	assertErrs(t, []wantErr{{"nodes[0].config.segment", `segment "hot" does not exist`}}, flows.Validate(seg, flows.Env{Registry: reg, Segment: exists}))
	seg.Nodes[0].Config["segment"] = "warm"
	assert.Empty(t, flows.Validate(seg, flows.Env{Registry: reg, Segment: exists}))

	// A custom registry replaces the default one rather than adding to it.
	errs := flows.Validate(mustParse(t, contractFlow), flows.Env{Registry: reg})
	require.GreaterOrEqual(t, len(errs), 5)
	assertErrs(t, []wantErr{
		{"nodes[0].type", `unknown node type "trigger.page_visited"`},
		{"nodes[1].type", "unknown node type"},
		{"nodes[2].type", "unknown node type"},
		{"nodes[3].type", "unknown node type"},
		{"nodes", "at least one trigger"},
	}, errs[:5])
}

type segmentTrigger string

func (s segmentTrigger) Key() flows.TriggerKey {
	return flows.TriggerKey{Internal: true, Type: "segment_entered"}
}
func (s segmentTrigger) Match(ev *model.Event) bool { return ev.Properties["segment"] == string(s) }

// A cycle is reported once, on "edges", naming a node that is on it.
func TestValidateCycles(t *testing.T) {
	tests := []struct {
		name  string
		edges []flows.Edge
		on    []string // the nodes of the cycle
	}{
		{name: "two nodes", edges: []flows.Edge{{From: "a1", To: "a2"}, {From: "a2", To: "a1"}}, on: []string{"a1", "a2"}},
		{name: "through the condition", edges: []flows.Edge{{From: "a1", To: "a2"}, {From: "a2", To: "c1"}}, on: []string{"c1", "a1", "a2"}},
		{name: "unreachable from a trigger", edges: []flows.Edge{{From: "x1", To: "x2"}, {From: "x2", To: "x3"}, {From: "x3", To: "x1"}}, on: []string{"x1", "x2", "x3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, contractFlow)
			for _, id := range []string{"x1", "x2", "x3"} {
				addNode(f, id, "action.add_tag", map[string]any{"tag": id})
			}
			f.Edges = append(f.Edges, tc.edges...)
			errs := flows.Validate(f, flows.Env{})
			require.Len(t, errs, 1, "%v", errs)
			assert.Equal(t, "edges", errs[0].Path)
			named := false
			for _, id := range tc.on {
				named = named || strings.Contains(errs[0].Message, fmt.Sprintf("%q", id))
			}
			assert.True(t, named, "%q names none of %v", errs[0].Message, tc.on)
		})
	}

	// A diamond joins again without a cycle.
	f := mustParse(t, contractFlow)
	addNode(f, "j1", "action.add_tag", map[string]any{"tag": "joined"})
	addEdge(f, "a1", "j1", "")
	addEdge(f, "a2", "j1", "")
	assert.Empty(t, flows.Validate(f, flows.Env{}))
}

// Exactly MaxNodes nodes (and MaxEdges edges) are still a valid flow.
func TestValidateLimitsAreInclusive(t *testing.T) {
	f := mustParse(t, contractFlow)
	for i := len(f.Nodes); i < flows.MaxNodes; i++ {
		id := fmt.Sprintf("n%d", i)
		addNode(f, id, "action.adjust_score", score(1))
		addEdge(f, "a1", id, "")
	}
	// Edges only run from a lower to a higher n, so the flow stays acyclic.
	for i := 4; len(f.Edges) < flows.MaxEdges; i++ {
		for j := i + 1; j < flows.MaxNodes && len(f.Edges) < flows.MaxEdges; j++ {
			addEdge(f, fmt.Sprintf("n%d", i), fmt.Sprintf("n%d", j), "")
		}
	}
	require.Len(t, f.Nodes, flows.MaxNodes)
	require.Len(t, f.Edges, flows.MaxEdges)
	c, err := flows.Compile(f, flows.Env{})
	require.NoError(t, err)
	assert.Len(t, c.Steps, flows.MaxNodes-1)
}

// One call reports every independent problem, in document order.
func TestValidateReportsEveryError(t *testing.T) {
	f := mustParse(t, contractFlow)
	f.Name = ""
	f.Nodes[2].Config["points"] = "ten"
	f.Edges[0].Branch = "yes"
	want := []wantErr{
		{"name", "is required"},
		{"nodes[2].config.points", "must be an integer"},
		{"edges[0].branch", "has no branches"},
	}
	assertErrs(t, want, flows.Validate(f, flows.Env{}))

	f = mustParse(t, contractFlow)
	f.Name = ""
	f.Nodes[2].Config["points"] = "ten"
	f.Edges[0].Branch = "yes"
	c, err := flows.Compile(f, flows.Env{})
	assert.Nil(t, c)
	inv := requireInvalid(t, err)
	assertErrs(t, want, inv.Details)
	assert.Contains(t, inv.Message, "name")
	assert.Contains(t, inv.Error(), "nodes[2].config.points")

	// Problems everywhere at once: document, entry, audience, nodes, configs and edges.
	f = mustParse(t, contractFlow)
	f.ID = "bad id"
	f.Entry = flows.Entry{Mode: "never"}
	f.Audience = json.RawMessage(`{"field": "score", "op": "gte"}`)
	f.Nodes[0].Config["match"] = "fuzzy"
	f.Nodes[3].Config["points"] = 2.5
	addNode(f, "s1", "action.change_deal_stage", map[string]any{"stage": "sql", "extra": true})
	addEdge(f, "c1", "s1", "")
	addEdge(f, "a1", "nowhere", "")
	assertErrs(t, []wantErr{
		{"id", "must be"},
		{"entry.mode", "must be"},
		{"audience.value", "is required"},
		{"nodes[0].config.match", "must be one of"},
		{"nodes[3].config.points", "must be an integer"},
		{"nodes[4].config.extra", "is not a field"},
		{"nodes[4].config.stage", "is not a stage"},
		{"edges[3].branch", "must carry branch"},
		{"edges[4].to", `no node "nowhere"`},
	}, flows.Validate(f, flows.Env{Stages: testStages}))
}

func TestCompileErrorMessageNamesTheFirstPath(t *testing.T) {
	f := mustParse(t, contractFlow)
	f.Nodes[2].Config["points"] = "ten"
	_, err := flows.Compile(f, flows.Env{})
	inv := requireInvalid(t, err)
	assert.Equal(t, `the flow is invalid: node "a1" (nodes[2].config.points) must be an integer`, inv.Message)
	assert.Equal(t, []model.FieldError{{Path: "nodes[2].config.points", Message: "must be an integer"}}, inv.Details)

	f = mustParse(t, contractFlow)
	f.Nodes[1].Type = "action.launch_rocket"
	_, err = flows.Compile(f, flows.Env{})
	inv = requireInvalid(t, err)
	assert.Equal(t, `the flow is invalid: node "c1" (nodes[1].type) unknown node type "action.launch_rocket"`, inv.Message,
		"the message names the node as the canvas shows it, the detail its index")
	assert.Equal(t, "nodes[1].type", inv.Details[0].Path)

	f = mustParse(t, contractFlow)
	f.Nodes, f.Edges = f.Nodes[1:], nil
	_, err = flows.Compile(f, flows.Env{})
	inv = requireInvalid(t, err)
	assert.Contains(t, inv.Message, "nodes a flow needs at least one trigger node")
}

// Validation does not depend on map order: the same flow gives the same
// details, in the same order, every time.
func TestValidateIsDeterministic(t *testing.T) {
	f := mustParse(t, contractFlow)
	f.Nodes[2].Config = map[string]any{"z": 1, "y": 2, "x": 3, "points": "p", "w": 4}
	f.Nodes[1].Config["where"] = map[string]any{"field": "score", "op": "gte", "value": 1, "b": 1, "a": 2}
	first := flows.Validate(f, flows.Env{})
	require.NotEmpty(t, first)
	for range 20 {
		assert.Equal(t, first, flows.Validate(f, flows.Env{}))
	}
}

func TestValidateAcceptsIDs(t *testing.T) {
	for _, id := range []string{"a", "0", "lead-score_v2.1:eu", strings.Repeat("x", 128)} {
		f := mustParse(t, contractFlow)
		f.ID = id
		assert.Empty(t, flows.Validate(f, flows.Env{}), "id %q", id)
	}
}

// TestValidationNamesTheRealProblem: errors point at the field at fault and
// nowhere else.
func TestValidationNamesTheRealProblem(t *testing.T) {
	cases := []struct {
		name, doc string
		paths     []string
		message   string
	}{
		{"number out of range", `{"id":"f","name":"f","nodes":[{"id":"t","type":"trigger.tag_added","config":{"tag":1e400}}],"edges":[]}`,
			[]string{"nodes[0].config.tag"}, "out of range"},
		{"edge to a node of unknown type", `{"id":"f","name":"f","nodes":[{"id":"t","type":"trigger.tag_added","config":{"tag":"a"}},
			{"id":"x","type":"action.bogus","config":{}}],"edges":[{"from":"t","to":"x"}]}`, []string{"nodes[1].type"}, "unknown node type"},
		{"duplicate id after an unknown type", `{"id":"f","name":"f","nodes":[{"id":"x","type":"bogus","config":{}},
			{"id":"x","type":"trigger.tag_added","config":{"tag":"a"}}],"edges":[]}`, []string{"nodes[0].type", "nodes[1].id", "nodes"}, ""},
		{"max outside limited", `{"id":"f","name":"f","entry":{"mode":"once","max":3},"nodes":[{"id":"t","type":"trigger.tag_added","config":{"tag":"a"}}],"edges":[]}`,
			[]string{"entry.mode"}, "limited only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var details []model.FieldError
			f, err := flows.Parse([]byte(tc.doc))
			if err != nil {
				var inv *model.InvalidError
				require.ErrorAs(t, err, &inv)
				details = inv.Details
			} else {
				details = flows.Validate(f, flows.Env{})
			}
			var paths []string
			for _, d := range details {
				paths = append(paths, d.Path)
			}
			require.Equal(t, tc.paths, paths, "%+v", details)
			if tc.message != "" {
				require.Contains(t, details[0].Message, tc.message)
			}
		})
	}
}
