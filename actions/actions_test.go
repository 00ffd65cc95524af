package actions_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/scoreflow/scoreflow/actions"
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

// buildStep compiles a step through the registry, as flow validation does.
func buildStep(t *testing.T, typ string, cfg map[string]any) flows.Step {
	t.Helper()
	tr, step, errs := flows.Nodes.Build(typ, cfg)
	require.Empty(t, errs)
	require.Nil(t, tr)
	require.NotNil(t, step)
	return step
}

func TestActionConfigErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		typ  string
		name string
		cfg  map[string]any
		path string
		msg  string
	}{
		{"action.adjust_score", "score missing", map[string]any{"points": int64(5)}, "score", "is required"},
		{"action.adjust_score", "points missing", map[string]any{"score": "engagement"}, "points", "is required"},
		{"action.adjust_score", "score empty", map[string]any{"score": "", "points": int64(5)}, "score", "must not be empty"},
		{"action.adjust_score", "score blank", map[string]any{"score": "  ", "points": int64(5)}, "score", "must not be empty"},
		{"action.adjust_score", "score too long", map[string]any{"score": strings.Repeat("s", 101), "points": int64(5)}, "score", "must be at most 100 characters"},
		{"action.adjust_score", "points a string", map[string]any{"score": "engagement", "points": "10"}, "points", "must be an integer"},
		{"action.adjust_score", "points a fraction", map[string]any{"score": "engagement", "points": 2.5}, "points", "must be an integer"},
		{"action.adjust_score", "points zero", map[string]any{"score": "engagement", "points": int64(0)}, "points",
			"must not be 0: use a positive number to add points or a negative one to subtract"},
		{"action.adjust_score", "unknown field", map[string]any{"score": "fit", "points": int64(1), "dimension": "fit"}, "dimension", "is not a field of action.adjust_score"},

		{"action.add_tag", "tag missing", map[string]any{}, "tag", "is required"},
		{"action.add_tag", "tag empty", map[string]any{"tag": ""}, "tag", "must not be empty"},
		{"action.add_tag", "tag blank", map[string]any{"tag": "   "}, "tag", "must not be empty"},
		{"action.add_tag", "tag too long", map[string]any{"tag": long(101)}, "tag", "must be at most 100 characters"},
		{"action.add_tag", "tag not a string", map[string]any{"tag": []any{"a", "b"}}, "tag", "must be a string"},
		{"action.add_tag", "unknown field", map[string]any{"tag": "a", "tags": "b"}, "tags", "is not a field of action.add_tag"},
		{"action.remove_tag", "tag missing", map[string]any{}, "tag", "is required"},
		{"action.remove_tag", "tag blank", map[string]any{"tag": "\t"}, "tag", "must not be empty"},
		{"action.remove_tag", "tag too long", map[string]any{"tag": long(101)}, "tag", "must be at most 100 characters"},

		{"action.disqualify", "reason missing", map[string]any{}, "reason", "is required"},
		{"action.disqualify", "reason empty", map[string]any{"reason": ""}, "reason", "must not be empty"},
		{"action.disqualify", "reason blank", map[string]any{"reason": " "}, "reason", "must not be empty"},
		{"action.disqualify", "reason not a string", map[string]any{"reason": true}, "reason", "must be a string"},
		{"action.disqualify", "reason too long", map[string]any{"reason": long(501)}, "reason", "must be at most 500 characters"},
		{"action.requalify", "unknown field", map[string]any{"reason": "x"}, "reason", "is not a field of action.requalify"},

		{"action.change_deal_stage", "stage missing", map[string]any{}, "stage", "is required"},
		{"action.change_deal_stage", "stage empty", map[string]any{"stage": ""}, "stage", "must not be empty"},
		{"action.change_deal_stage", "stage not a string", map[string]any{"stage": int64(2)}, "stage", "must be a string"},

		{"action.set_field", "field missing", map[string]any{"value": "x"}, "field", "is required"},
		{"action.set_field", "value missing", map[string]any{"field": "attributes.plan"}, "value", "is required"},
		{"action.set_field", "value null", map[string]any{"field": "attributes.plan", "value": nil}, "value", "is required"},
		{"action.set_field", "no attribute name", map[string]any{"field": "attributes.", "value": "x"}, "field", `must name the attribute, such as "attributes.lifecycle"`},
		{"action.set_field", "attribute name with spaces", map[string]any{"field": "attributes. plan", "value": "x"}, "field", `must name the attribute, such as "attributes.lifecycle"`},
		{"action.set_field", "attribute name too long", map[string]any{"field": "attributes." + strings.Repeat("a", 201), "value": "x"}, "field", "the attribute name must be at most 200 characters"},
		{"action.set_field", "deal stage", map[string]any{"field": "deal_stage", "value": "sql"}, "field", `"deal_stage" is not an attribute: use action.change_deal_stage`},
		{"action.set_field", "score", map[string]any{"field": "score", "value": int64(3)}, "field", `"score" is not an attribute: use action.adjust_score`},
		{"action.set_field", "tags", map[string]any{"field": "tags", "value": "a"}, "field", `"tags" is not an attribute: use action.add_tag or action.remove_tag`},
		{"action.set_field", "score dimension", map[string]any{"field": "score.fit", "value": int64(3)}, "field", `must be "attributes.<name>" or an attribute name, not "score.fit"`},
		{"action.set_field", "traits", map[string]any{"field": "traits.plan", "value": "x"}, "field", `must be "attributes.<name>" or an attribute name, not "traits.plan"`},

		{"action.webhook", "url missing", map[string]any{}, "url", "is required"},
		{"action.webhook", "url relative", map[string]any{"url": "/hooks/lead"}, "url", "must be an absolute http or https URL, such as https://hooks.example.com/scoreflow"},
		{"action.webhook", "url without scheme", map[string]any{"url": "hooks.example.com/lead"}, "url", "must be an absolute http or https URL, such as https://hooks.example.com/scoreflow"},
		{"action.webhook", "url ftp", map[string]any{"url": "ftp://hooks.example.com/lead"}, "url", "must be an absolute http or https URL, such as https://hooks.example.com/scoreflow"},
		{"action.webhook", "url without host", map[string]any{"url": "https:///lead"}, "url", "must be an absolute http or https URL, such as https://hooks.example.com/scoreflow"},
		{"action.webhook", "url with port only", map[string]any{"url": "https://:8080/lead"}, "url", "must be an absolute http or https URL, such as https://hooks.example.com/scoreflow"},
		{"action.webhook", "url unparsable", map[string]any{"url": "https://exa mple.com/%zz"}, "url", "must be an absolute http or https URL, such as https://hooks.example.com/scoreflow"},
		{"action.webhook", "headers not an object", map[string]any{"url": "https://x.test", "headers": "X-Key: 1"}, "headers", "must be an object of strings"},
		{"action.webhook", "header value not a string", map[string]any{"url": "https://x.test", "headers": map[string]any{"X-Count": int64(1)}}, "headers.X-Count", "must be a string"},
		{"action.webhook", "header name with space", map[string]any{"url": "https://x.test", "headers": map[string]any{"X Key": "1"}}, "headers.X Key", "is not a valid header name: use letters, digits and - only"},
		{"action.webhook", "header name with colon", map[string]any{"url": "https://x.test", "headers": map[string]any{"X-Key:": "1"}}, "headers.X-Key:", "is not a valid header name: use letters, digits and - only"},
		{"action.webhook", "header name empty", map[string]any{"url": "https://x.test", "headers": map[string]any{"": "1"}}, "headers.", "is not a valid header name: use letters, digits and - only"},
		{"action.webhook", "host header", map[string]any{"url": "https://x.test", "headers": map[string]any{"host": "evil.test"}}, "headers.host", "is set by Scoreflow and cannot be given"},
		{"action.webhook", "content length header", map[string]any{"url": "https://x.test", "headers": map[string]any{"Content-Length": "0"}}, "headers.Content-Length", "is set by Scoreflow and cannot be given"},
		{"action.webhook", "header value with line break", map[string]any{"url": "https://x.test", "headers": map[string]any{"X-Key": "a\r\nHost: evil"}}, "headers.X-Key", "must not contain line breaks or NUL characters"},
		{"action.webhook", "first bad header in name order", map[string]any{"url": "https://x.test", "headers": map[string]any{"Z Z": "1", "A A": "1"}}, "headers.A A", "is not a valid header name: use letters, digits and - only"},
		{"action.webhook", "unknown field", map[string]any{"url": "https://x.test", "method": "PUT"}, "method", "is not a field of action.webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.name, func(t *testing.T) {
			tr, step, errs := flows.Nodes.Build(tt.typ, tt.cfg)
			assert.Nil(t, tr)
			assert.Nil(t, step)
			assert.Equal(t, []model.FieldError{{Path: tt.path, Message: tt.msg}}, errs)
		})
	}
}

func TestActionEffects(t *testing.T) {
	tests := []struct {
		typ  string
		name string
		cfg  map[string]any
		want flowtest.Call
	}{
		{"action.adjust_score", "add", map[string]any{"score": "engagement", "points": int64(10)}, flowtest.Call{Method: "AdjustScore", Args: []any{"engagement", int64(10)}}},
		{"action.adjust_score", "subtract", map[string]any{"score": " fit ", "points": int64(-5)}, flowtest.Call{Method: "AdjustScore", Args: []any{"fit", int64(-5)}}},
		{"action.adjust_score", "whole float from JSON", map[string]any{"score": "fit", "points": float64(3)}, flowtest.Call{Method: "AdjustScore", Args: []any{"fit", int64(3)}}},
		{"action.add_tag", "trimmed", map[string]any{"tag": "  pricing-interest "}, flowtest.Call{Method: "AddTag", Args: []any{"pricing-interest"}}},
		{"action.add_tag", "100 characters", map[string]any{"tag": strings.Repeat("é", 100)}, flowtest.Call{Method: "AddTag", Args: []any{strings.Repeat("é", 100)}}},
		{"action.remove_tag", "plain", map[string]any{"tag": "trial"}, flowtest.Call{Method: "RemoveTag", Args: []any{"trial"}}},
		{"action.disqualify", "reason", map[string]any{"reason": " Competitor "}, flowtest.Call{Method: "Disqualify", Args: []any{"Competitor"}}},
		{"action.requalify", "no config", map[string]any{}, flowtest.Call{Method: "Requalify"}},
		{"action.requalify", "nil config", nil, flowtest.Call{Method: "Requalify"}},
		{"action.change_deal_stage", "stage", map[string]any{"stage": "sql"}, flowtest.Call{Method: "SetDealStage", Args: []any{"sql"}}},
		{"action.set_field", "prefixed", map[string]any{"field": "attributes.lifecycle", "value": "trial"}, flowtest.Call{Method: "SetField", Args: []any{"attributes.lifecycle", "trial"}}},
		{"action.set_field", "bare name", map[string]any{"field": "company_size", "value": int64(40)}, flowtest.Call{Method: "SetField", Args: []any{"attributes.company_size", int64(40)}}},
		{"action.set_field", "false", map[string]any{"field": "attributes.active", "value": false}, flowtest.Call{Method: "SetField", Args: []any{"attributes.active", false}}},
		{"action.set_field", "list", map[string]any{"field": "attributes.interests", "value": []any{"a", "b"}}, flowtest.Call{Method: "SetField", Args: []any{"attributes.interests", []any{"a", "b"}}}},
		{"action.webhook", "no headers", map[string]any{"url": "https://hooks.example.com/lead?token=s3cret"}, flowtest.Call{Method: "QueueWebhook", Args: []any{"https://hooks.example.com/lead?token=s3cret", map[string]string(nil)}}},
		{"action.webhook", "empty headers", map[string]any{"url": "http://localhost:9000/x", "headers": map[string]any{}}, flowtest.Call{Method: "QueueWebhook", Args: []any{"http://localhost:9000/x", map[string]string(nil)}}},
		{"action.webhook", "headers", map[string]any{"url": "HTTPS://hooks.example.com", "headers": map[string]any{"Authorization": "Bearer k", "x-source": "scoreflow"}},
			flowtest.Call{Method: "QueueWebhook", Args: []any{"HTTPS://hooks.example.com", map[string]string{"Authorization": "Bearer k", "x-source": "scoreflow"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.name, func(t *testing.T) {
			step := buildStep(t, tt.typ, tt.cfg)
			run, rec := flowtest.NewRun(&flowtest.Contact{ID: "c-1"}, flowtest.Event("page_visited", map[string]any{"url": "https://acme.test/"}))
			out, err := step.Run(run)
			require.NoError(t, err)
			assert.Equal(t, flows.Outcome{}, out)
			assert.Equal(t, []flowtest.Call{tt.want}, rec.Calls())
		})
	}
}

func TestActionErrorsAreWrapped(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		typ string
		cfg map[string]any
		msg string
	}{
		{"action.adjust_score", map[string]any{"score": "fit", "points": int64(-2)}, `adjust score "fit" by -2: boom`},
		{"action.add_tag", map[string]any{"tag": "vip"}, `add tag "vip": boom`},
		{"action.remove_tag", map[string]any{"tag": "vip"}, `remove tag "vip": boom`},
		{"action.disqualify", map[string]any{"reason": "Student"}, "disqualify: boom"},
		{"action.requalify", map[string]any{}, "requalify: boom"},
		{"action.change_deal_stage", map[string]any{"stage": "won"}, `change deal stage to "won": boom`},
		{"action.set_field", map[string]any{"field": "plan", "value": "pro"}, "set attributes.plan: boom"},
		// The error names the host only: a webhook URL's path or query may hold a secret.
		{"action.webhook", map[string]any{"url": "https://hooks.example.com/T0/B0/s3cret"}, "queue webhook to hooks.example.com: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			step := buildStep(t, tt.typ, tt.cfg)
			run, rec := flowtest.NewRun(&flowtest.Contact{ID: "c-1"}, nil)
			rec.Err = boom
			_, err := step.Run(run)
			require.ErrorIs(t, err, boom)
			assert.EqualError(t, err, tt.msg)
			assert.Len(t, rec.Calls(), 1)
		})
	}
}

// Each delivery gets its own headers map: an outbox that keeps or changes
// it cannot reach into the compiled flow or the next run.
func TestWebhookHeadersAreCopied(t *testing.T) {
	step := buildStep(t, "action.webhook", map[string]any{"url": "https://x.test", "headers": map[string]any{"X-Key": "1"}})
	run, rec := flowtest.NewRun(&flowtest.Contact{ID: "c-1"}, nil)
	_, err := step.Run(run)
	require.NoError(t, err)
	rec.Calls()[0].Args[1].(map[string]string)["X-Key"] = "changed"
	_, err = step.Run(run)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"X-Key": "1"}, rec.Calls()[1].Args[1])
}
