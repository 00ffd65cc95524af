package flows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/scoreflow/scoreflow/actions"
	"github.com/scoreflow/scoreflow/flows"
	_ "github.com/scoreflow/scoreflow/triggers"
)

func TestScoringRulesPaths(t *testing.T) {
	// The contract's example: a condition with both branches scoring.
	f := mustParse(t, `{"id": "pricing", "name": "Pricing interest", "version": 3, "entry": {"mode": "once"},
		"nodes": [
			{"id": "t1", "type": "trigger.page_visited", "config": {"url": "/pricing", "match": "contains"}},
			{"id": "c1", "type": "condition.if", "config": {"where": {"field": "attributes.job_title", "op": "in", "value": ["CEO", "CMO"]}}},
			{"id": "d1", "type": "delay.wait", "config": {"for": "2d"}},
			{"id": "a1", "type": "action.adjust_score", "config": {"score": "engagement", "points": 10}},
			{"id": "a2", "type": "action.adjust_score", "config": {"score": "engagement", "points": -3}},
			{"id": "x1", "type": "action.add_tag", "config": {"tag": "pricing"}}
		],
		"edges": [{"from": "t1", "to": "c1"}, {"from": "c1", "to": "a1", "branch": "yes"},
			{"from": "c1", "to": "d1", "branch": "no"}, {"from": "d1", "to": "a2"}, {"from": "t1", "to": "x1"}]}`)
	rules := flows.ScoringRules(f, flows.Nodes)
	require.Len(t, rules, 2, "one row per path to an adjust_score node; the tag action is not a rule")

	yes, no := rules[0], rules[1]
	assert.Equal(t, "a1", yes.NodeID)
	assert.Equal(t, int64(10), yes.Points)
	assert.Equal(t, "engagement", yes.Dimension)
	assert.Equal(t, 3, yes.FlowVersion)
	assert.Equal(t, "once", yes.Entry.Mode)
	assert.Equal(t, `Page visited: url contains "/pricing"`, yes.TriggerText)
	require.Len(t, yes.Conditions, 1)
	assert.Equal(t, "yes", yes.Conditions[0].Branch)
	assert.Equal(t, `job_title in ["CEO", "CMO"]`, yes.Conditions[0].Text)
	assert.Empty(t, yes.Delays)

	assert.Equal(t, "a2", no.NodeID)
	assert.Equal(t, int64(-3), no.Points)
	require.Len(t, no.Conditions, 1)
	assert.Equal(t, "no", no.Conditions[0].Branch)
	assert.Equal(t, []string{"2d"}, no.Delays)
}

func TestScoringRulesDiamondAndAudience(t *testing.T) {
	// Two paths reach the same action: two rows, each with its own criterion.
	f := mustParse(t, `{"id": "d", "name": "Diamond", "entry": {"mode": "every_time"},
		"audience": {"field": "score", "op": "gte", "value": 5},
		"nodes": [
			{"id": "t1", "type": "trigger.tag_added", "config": {"tag": "vip"}},
			{"id": "t2", "type": "trigger.event", "config": {"name": "Booked call", "where": {"field": "plan", "op": "eq", "value": "pro"}}},
			{"id": "a1", "type": "action.adjust_score", "config": {"score": "fit", "points": 4}}
		],
		"edges": [{"from": "t1", "to": "a1"}, {"from": "t2", "to": "a1"}]}`)
	rules := flows.ScoringRules(f, flows.Nodes)
	require.Len(t, rules, 2)
	assert.Equal(t, `Tag added: tag "vip"`, rules[0].TriggerText)
	assert.Equal(t, `Custom event "Booked call" where plan = "pro"`, rules[1].TriggerText)
	for _, r := range rules {
		require.Len(t, r.Conditions, 1, "the audience is a condition of every rule")
		assert.Equal(t, "", r.Conditions[0].NodeID)
		assert.Equal(t, "score ≥ 5", r.Conditions[0].Text)
	}
}

func TestDescribeFilter(t *testing.T) {
	cases := []struct{ doc, want string }{
		{`{"field": "attributes.country", "op": "in", "value": ["US", "UK"]}`, `country in ["US", "UK"]`},
		{`{"all": [{"field": "score", "op": "gte", "value": 50}, {"field": "disqualified", "op": "eq", "value": false}]}`,
			`score ≥ 50 and disqualified = false`},
		{`{"any": [{"field": "tags", "op": "contains", "value": "a"}, {"all": [{"field": "grade", "op": "eq", "value": "hot"}, {"field": "deal_stage", "op": "neq", "value": "lost"}]}]}`,
			`tags contains "a" or (grade = "hot" and deal_stage ≠ "lost")`},
		{`{"not": {"field": "attributes.email", "op": "exists"}}`, `not (email exists)`},
		{`{"event": "email_opened", "within": "60d", "count": {"op": "eq", "value": 0}}`, `no email_opened in the last 60d`},
		{`{"event": "page_visited", "where": {"field": "url", "op": "contains", "value": "/blog/"}, "count": {"op": "gte", "value": 2}}`,
			`page_visited at least 2 times where url contains "/blog/"`},
		{`{"field": "created_at", "op": "older_than", "value": "30d"}`, `created_at older than "30d"`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			f := mustParse(t, `{"id": "x", "name": "x", "entry": {"mode": "every_time"}, "nodes": [
				{"id": "c1", "type": "condition.if", "config": {"where": `+c.doc+`}}], "edges": []}`)
			assert.Equal(t, c.want, flows.DescribeFilterValue(f.Nodes[0].Config["where"]))
		})
	}
}

// The reference model's sheet is the scoring table of issue 2, row for row
// (the nurture-click flow has two triggers, one per campaign: two rows).
func TestScoringRulesReferenceModel(t *testing.T) {
	files, err := filepath.Glob("../examples/reference/flows/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var got []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		f := mustParse(t, string(b))
		for _, r := range flows.ScoringRules(f, flows.Nodes) {
			got = append(got, r.Dimension+" "+itoa(r.Points))
		}
	}
	sort.Strings(got)
	want := []string{
		"engagement -10", "engagement -10", "engagement -10", "engagement 1", "engagement 1", "engagement 1", "engagement 1",
		"engagement 15", "engagement 2", "engagement 2", "engagement 20", "engagement 5", "engagement 5",
		"fit 1", "fit 1", "fit 1", "fit 10", "fit 10", "fit 5",
	}
	assert.Equal(t, want, got)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
