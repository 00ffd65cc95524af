package triggers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func TestEventConfig(t *testing.T) {
	testConfigErrors(t, "trigger.event", []configCase{
		{"name missing", map[string]any{}, "name", "is required"},
		{"name empty", map[string]any{"name": ""}, "name", "must not be empty"},
		{"name blank", map[string]any{"name": "  "}, "name", "must not be empty"},
		{"name not a string", map[string]any{"name": []any{"a"}}, "name", "must be a string"},
		{"name too long", map[string]any{"name": strings.Repeat("x", model.MaxTypeLength+1)}, "name", "must be at most 200 characters"},
		{"where not a filter", map[string]any{"name": "Trial", "where": "plan = pro"}, "where",
			`must be a filter object: {"all": [...]}, {"any": [...]}, {"not": {...}}, a field condition {"field", "op", "value"} (with "within" for score_change) or a behaviour condition {"event", "where", "within", "count"}`},
		{"where without op", map[string]any{"name": "Trial", "where": map[string]any{"field": "plan", "value": "pro"}}, "where.op",
			"is required; use one of eq, neq, gt, gte, lt, lte, in, nin, contains, not_contains, exists, not_exists, starts_with, ends_with, older_than, newer_than"},
		{"where with a behaviour leaf", map[string]any{"name": "Trial", "where": map[string]any{"event": "page_visited"}}, "where.event",
			"behaviour conditions cannot be used inside a filter on an event's properties"},
		{"unknown field", map[string]any{"name": "Trial", "filter": map[string]any{}}, "filter", "is not a field of trigger.event"},
	})
}

func TestEventKeyAndMatch(t *testing.T) {
	tr := build(t, "trigger.event", map[string]any{"name": "Signed up for trial"})
	assert.Equal(t, flows.TriggerKey{Type: "Signed up for trial"}, tr.Key())
	testMatches(t, tr, []matchCase{
		{"same name", flowtest.Event("Signed up for trial", nil), true},
		{"with properties", flowtest.Event("Signed up for trial", map[string]any{"plan": "pro"}), true},
		{"other case", flowtest.Event("signed up for trial", nil), false},
		{"other name", flowtest.Event("Signed up", nil), false},
		{"internal of the same name", flowtest.Internal("Signed up for trial", nil), false},
	})
}

func TestEventWhere(t *testing.T) {
	tests := []struct {
		name  string
		where map[string]any
		cases []matchCase
	}{
		{"property equals", map[string]any{"field": "plan", "op": "eq", "value": "pro"}, []matchCase{
			{"equal", flowtest.Event("Trial", map[string]any{"plan": "pro"}), true},
			{"letter case", flowtest.Event("Trial", map[string]any{"plan": "PRO"}), true},
			{"other value", flowtest.Event("Trial", map[string]any{"plan": "free"}), false},
			{"missing", flowtest.Event("Trial", nil), false},
			{"other type", flowtest.Event("Churned", map[string]any{"plan": "pro"}), false},
		}},
		{"nested property", map[string]any{"field": "order.total", "op": "gt", "value": int64(100)}, []matchCase{
			{"above", flowtest.Event("Trial", map[string]any{"order": map[string]any{"total": 250.5}}), true},
			{"below", flowtest.Event("Trial", map[string]any{"order": map[string]any{"total": int64(50)}}), false},
			{"not an object", flowtest.Event("Trial", map[string]any{"order": "big"}), false},
		}},
		{"combination", map[string]any{"all": []any{
			map[string]any{"field": "plan", "op": "in", "value": []any{"pro", "team"}},
			map[string]any{"not": map[string]any{"field": "coupon", "op": "exists"}},
		}}, []matchCase{
			{"pro without coupon", flowtest.Event("Trial", map[string]any{"plan": "team"}), true},
			{"pro with coupon", flowtest.Event("Trial", map[string]any{"plan": "team", "coupon": "X"}), false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := build(t, "trigger.event", map[string]any{"name": "Trial", "where": tt.where})
			assert.Equal(t, flows.TriggerKey{Type: "Trial"}, tr.Key())
			testMatches(t, tr, tt.cases)
		})
	}
}

// Time conditions on properties are judged at the event's timestamp, not at
// the moment the engine gets to it.
func TestEventWhereUsesEventTime(t *testing.T) {
	tr := build(t, "trigger.event", map[string]any{
		"name":  "Trial",
		"where": map[string]any{"field": "started_at", "op": "newer_than", "value": "1d"},
	})
	ev := func(ts time.Time) *model.Event {
		e := flowtest.Event("Trial", map[string]any{"started_at": "2026-11-23T00:00:00Z"})
		e.Timestamp = ts
		return e
	}
	testMatches(t, tr, []matchCase{
		{"event the same day", ev(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), true},
		{"event five days later", ev(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)), false},
	})
}
