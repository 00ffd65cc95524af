package actions_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	_ "github.com/scoreflow/scoreflow/triggers"
)

// The canvas builds its palette and config forms from the specs alone, so
// every node type must describe itself and each of its fields completely.
func TestEveryNodeTypeDescribesItself(t *testing.T) {
	types := []string{
		"trigger.event", "trigger.page_visited", "trigger.email_opened", "trigger.email_clicked",
		"trigger.email_replied", "trigger.email_unsubscribed", "trigger.email_bounced",
		"trigger.form_submitted", "trigger.tag_added", "trigger.tag_removed", "trigger.field_changed",
		"condition.if", "action.adjust_score", "action.add_tag", "action.remove_tag", "action.disqualify",
		"action.requalify", "action.change_deal_stage", "action.set_field", "action.webhook",
	}
	for _, typ := range types {
		_, ok := flows.Nodes.Lookup(typ)
		assert.True(t, ok, "%s is not registered", typ)
	}

	fieldTypes := []string{flows.TypeString, flows.TypeInteger, flows.TypeNumber, flows.TypeBoolean, flows.TypeDuration,
		flows.TypeFilter, flows.TypeEventFilter, flows.TypeStringMap, flows.TypeAny}
	pickers := []string{"", flows.PickStage, flows.PickSegment, flows.PickScore, flows.PickTag, flows.PickField, flows.PickEventType}

	specs := flows.Nodes.Specs()
	require.NotEmpty(t, specs)
	for _, spec := range specs {
		t.Run(spec.Type, func(t *testing.T) {
			assert.NotEmpty(t, strings.TrimSpace(spec.Title), "title")
			assert.NotEmpty(t, strings.TrimSpace(spec.Description), "description")
			assert.True(t, strings.HasSuffix(spec.Description, "."), "the description is a sentence: %q", spec.Description)
			if spec.Kind == flows.KindCondition {
				assert.NotEmpty(t, spec.Branches, "a condition names its branches")
			}
			seen := map[string]bool{}
			for _, f := range spec.Fields {
				assert.NotEmpty(t, f.Name, "field name")
				assert.False(t, seen[f.Name], "field %q is declared twice", f.Name)
				seen[f.Name] = true
				assert.NotEmpty(t, strings.TrimSpace(f.Description), "description of field %q", f.Name)
				assert.Contains(t, fieldTypes, f.Type, "type of field %q", f.Name)
				assert.Contains(t, pickers, f.Picker, "picker of field %q", f.Name)
				if f.Required {
					assert.Nil(t, f.Default, "required field %q has a default that can never apply", f.Name)
				}
				if len(f.Enum) > 0 && f.Default != nil {
					def, _ := f.Default.(string)
					assert.True(t, slices.Contains(f.Enum, def), "default of field %q is not in its enum", f.Name)
				}
			}
		})
	}
}

// The flow of CONTRACT §3 compiles with the registered node types, and a bad
// config is reported at its node's path.
func TestContractFlowCompiles(t *testing.T) {
	doc := `{
	  "id": "pricing-interest", "name": "Pricing page interest", "enabled": true, "entry": {"mode": "every_time"},
	  "nodes": [
	    {"id": "t1", "type": "trigger.page_visited", "config": {"url": "/pricing", "match": "contains"}},
	    {"id": "c1", "type": "condition.if", "config": {"where": {"field": "attributes.job_title", "op": "in", "value": ["CEO", "CMO"]}}},
	    {"id": "a1", "type": "action.adjust_score", "config": {"score": "engagement", "points": 10}},
	    {"id": "a2", "type": "action.adjust_score", "config": {"score": "engagement", "points": 3}}
	  ],
	  "edges": [{"from": "t1", "to": "c1"}, {"from": "c1", "to": "a1", "branch": "yes"}, {"from": "c1", "to": "a2", "branch": "no"}]
	}`
	f, err := flows.Parse([]byte(doc))
	require.NoError(t, err)
	c, err := flows.Compile(f, flows.Env{})
	require.NoError(t, err)
	require.Len(t, c.Triggers, 1)
	assert.Equal(t, flows.TriggerKey{Type: "page_visited"}, c.Triggers[0].Trigger.Key())
	assert.Len(t, c.Steps, 3)

	f.Nodes[0].Config = map[string]any{"url": "(", "match": "regex"}
	f.Nodes[3].Config["points"] = int64(0)
	f.Nodes = append(f.Nodes, flows.Node{ID: "a3", Type: "action.change_deal_stage", Config: map[string]any{"stage": "hot"}})
	errs := flows.Validate(f, flows.Env{Stages: []string{"new", "mql", "sql"}})
	assert.Equal(t, []string{"nodes[0].config.url", "nodes[3].config.points", "nodes[4].config.stage"}, paths(errs))
}

func paths(errs []model.FieldError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Path
	}
	return out
}
