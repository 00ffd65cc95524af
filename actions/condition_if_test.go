package actions_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func TestConditionIfConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		path string
		msg  string
	}{
		{"where missing", map[string]any{}, "where", "is required"},
		{"where null", map[string]any{"where": nil}, "where", "is required"},
		{"unknown contact field", map[string]any{"where": map[string]any{"field": "job_title", "op": "eq", "value": "CEO"}}, "where.field",
			`unknown field "job_title"; use ` + flows.ContactFieldNames()},
		{"nested error path", map[string]any{"where": map[string]any{"all": []any{
			map[string]any{"field": "score", "op": "gte", "value": int64(10)},
			map[string]any{"field": "score", "op": "gte", "value": "ten"},
		}}}, "where.all[1].value", `must be a number or an RFC3339 time such as "2024-01-31T09:00:00Z" for op gte`},
		{"unknown field", map[string]any{"where": map[string]any{"field": "score", "op": "exists"}, "else": "no"}, "else", "is not a field of condition.if"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, step, errs := flows.Nodes.Build("condition.if", tt.cfg)
			assert.Nil(t, tr)
			assert.Nil(t, step)
			assert.Equal(t, []model.FieldError{{Path: tt.path, Message: tt.msg}}, errs)
		})
	}
}

func TestConditionIfBranches(t *testing.T) {
	spec, ok := flows.Nodes.Lookup("condition.if")
	require.True(t, ok)
	assert.Equal(t, flows.KindCondition, spec.Kind)
	assert.Equal(t, []string{"yes", "no"}, spec.Branches)

	lastWeek := flowtest.Now.AddDate(0, 0, -7)
	ceo := &flowtest.Contact{ID: "c-1", Attributes: map[string]any{"job_title": "CEO"}, Scores: map[string]int64{"fit": 30}, Score: 30, Tags: []string{"trial"}}
	intern := &flowtest.Contact{ID: "c-2", Attributes: map[string]any{"job_title": "Intern"}, LastActivityAt: &lastWeek}
	out := &flowtest.Contact{ID: "c-3", Disqualified: &model.Disqualification{At: flowtest.Now, Reason: "Competitor"}}

	tests := []struct {
		name    string
		where   map[string]any
		contact *flowtest.Contact
		branch  string
	}{
		{"attribute in list", map[string]any{"field": "attributes.job_title", "op": "in", "value": []any{"CEO", "CMO"}}, ceo, "yes"},
		{"attribute not in list", map[string]any{"field": "attributes.job_title", "op": "in", "value": []any{"CEO", "CMO"}}, intern, "no"},
		{"missing attribute", map[string]any{"field": "attributes.job_title", "op": "exists"}, out, "no"},
		{"score dimension", map[string]any{"field": "score.fit", "op": "gte", "value": int64(25)}, ceo, "yes"},
		{"tags", map[string]any{"field": "tags", "op": "contains", "value": "trial"}, ceo, "yes"},
		{"no tags", map[string]any{"field": "tags", "op": "not_contains", "value": "trial"}, intern, "yes"},
		{"disqualified", map[string]any{"field": "disqualified", "op": "eq", "value": true}, out, "yes"},
		{"qualified", map[string]any{"field": "disqualified", "op": "eq", "value": true}, ceo, "no"},
		{"recent activity at run time", map[string]any{"field": "last_activity_at", "op": "newer_than", "value": "30d"}, intern, "yes"},
		{"old activity at run time", map[string]any{"field": "last_activity_at", "op": "older_than", "value": "30d"}, intern, "no"},
		{"any", map[string]any{"any": []any{
			map[string]any{"field": "score", "op": "gte", "value": int64(100)},
			map[string]any{"field": "attributes.job_title", "op": "eq", "value": "ceo"},
		}}, ceo, "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := buildStep(t, "condition.if", map[string]any{"where": tt.where})
			run, rec := flowtest.NewRun(tt.contact, flowtest.Event("page_visited", map[string]any{"url": "/"}))
			got, err := step.Run(run)
			require.NoError(t, err)
			assert.Equal(t, flows.Outcome{Branch: tt.branch}, got)
			assert.Empty(t, rec.Calls(), "a condition has no effects")
		})
	}
}

func TestConditionIfErrors(t *testing.T) {
	t.Run("behaviour leaf without event history", func(t *testing.T) {
		step := buildStep(t, "condition.if", map[string]any{"where": map[string]any{"event": "page_visited", "within": "7d"}})
		run, _ := flowtest.NewRun(&flowtest.Contact{ID: "c-1"}, nil)
		_, err := step.Run(run)
		require.ErrorIs(t, err, flows.ErrNoEventHistory)
		assert.True(t, strings.HasPrefix(err.Error(), "condition.if: evaluate filter: "), err.Error())
	})
	t.Run("no contact", func(t *testing.T) {
		step := buildStep(t, "condition.if", map[string]any{"where": map[string]any{"field": "score", "op": "gt", "value": int64(0)}})
		run, _ := flowtest.NewRun(nil, nil)
		_, err := step.Run(run)
		assert.EqualError(t, err, "condition.if: the run has no contact")
	})
}
