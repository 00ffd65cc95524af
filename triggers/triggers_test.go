package triggers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
	_ "github.com/scoreflow/scoreflow/triggers"
)

// build compiles a trigger through the registry, as flow validation does.
func build(t *testing.T, typ string, cfg map[string]any) flows.Trigger {
	t.Helper()
	tr, step, errs := flows.Nodes.Build(typ, cfg)
	require.Empty(t, errs)
	require.Nil(t, step)
	require.NotNil(t, tr)
	return tr
}

// configCase is a config that must be refused with exactly one detail.
type configCase struct {
	name string
	cfg  map[string]any
	path string
	msg  string
}

func testConfigErrors(t *testing.T, typ string, cases []configCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, step, errs := flows.Nodes.Build(typ, tc.cfg)
			assert.Nil(t, tr)
			assert.Nil(t, step)
			assert.Equal(t, []model.FieldError{{Path: tc.path, Message: tc.msg}}, errs)
		})
	}
}

// matchCase is one event and whether the trigger must match it.
type matchCase struct {
	name string
	ev   *model.Event
	want bool
}

func testMatches(t *testing.T, tr flows.Trigger, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tr.Match(tc.ev))
		})
	}
}

// The engine calls Match for every event of a trigger's key, so the common
// matchers must not allocate (URLs and names already in lower case).
func TestMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	tests := []struct {
		typ string
		cfg map[string]any
		ev  *model.Event
	}{
		{"trigger.page_visited", map[string]any{"url": "/pricing"}, visit("https://acme.test/pricing")},
		{"trigger.page_visited", map[string]any{"url": "pricing$", "match": "regex"}, visit("https://acme.test/pricing")},
		{"trigger.page_visited", map[string]any{"url": "https://acme.test/", "match": "prefix"}, visit("https://acme.test/pricing")},
		{"trigger.page_visited", map[string]any{"url": "https://acme.test/*", "match": "glob"}, visit("https://acme.test/pricing")},
		{"trigger.email_clicked", map[string]any{"email": "news*", "link": "*pricing*"},
			flowtest.Event(model.EventEmailClicked, map[string]any{"email": "news 1", "link": "https://acme.test/pricing"})},
		{"trigger.form_submitted", map[string]any{"form": "Demo"}, form("demo")},
		{"trigger.tag_added", map[string]any{"tag": "vip"}, flowtest.TagAdded("vip")},
		{"trigger.field_changed", map[string]any{"field": "deal_stage"}, flowtest.FieldChanged("deal_stage", "new", "mql")},
		{"trigger.event", map[string]any{"name": "Trial", "where": map[string]any{"field": "plan", "op": "eq", "value": "pro"}},
			flowtest.Event("Trial", map[string]any{"plan": "pro"})},
	}
	for _, tt := range tests {
		tr := build(t, tt.typ, tt.cfg)
		require.True(t, tr.Match(tt.ev), "%s %v", tt.typ, tt.cfg)
		assert.Zero(t, testing.AllocsPerRun(100, func() { tr.Match(tt.ev) }), "%s %v", tt.typ, tt.cfg)
	}
}
