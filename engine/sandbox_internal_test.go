package engine

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// TestSandboxKeepsWhatFiltersRead: the sandbox keeps the events of the
// types some filter reads (segments, audiences, conditions) and the score
// rows when one reads score_change, and drops the rest.
func TestSandboxKeepsWhatFiltersRead(t *testing.T) {
	cond := `{"id": "f", "name": "f", "enabled": true, "entry": {"mode": "every_time"},
		"nodes": [{"id": "t", "type": "trigger.event", "config": {"name": "Ping"}},
		          {"id": "c", "type": "condition.if", "config": {"where": {"event": "Created task", "count": {"op": "gte", "value": 2}}}},
		          {"id": "a", "type": "action.adjust_score", "config": {"score": "engagement", "points": 1}}],
		"edges": [{"from": "t", "to": "c"}, {"from": "c", "to": "a", "branch": "yes"}]}`
	f, err := flows.Parse([]byte(cond))
	require.NoError(t, err)
	doc, err := json.Marshal(f)
	require.NoError(t, err)
	seg := model.Segment{ID: "seg", Name: "seg", Where: json.RawMessage(`{"event": "page_visited", "within": "7d"}`)}
	m := Model{Settings: model.DefaultSettings(), Flows: []store.FlowRecord{{ID: "f", Name: "f", Enabled: true, Version: 1, Doc: doc}}, Segments: []model.Segment{seg}}
	sb, err := NewSandbox(m, SandboxOptions{})
	require.NoError(t, err)
	require.Len(t, sb.fs.flows, 1, "the flow compiles")
	assert.Equal(t, map[string]bool{"Created task": true, "page_visited": true}, sb.read)
	assert.False(t, sb.scoreWindow)

	m.Segments = append(m.Segments, model.Segment{ID: "hot", Name: "hot", Where: json.RawMessage(`{"field": "score_change", "within": "7d", "op": "gte", "value": 20}`)})
	sb, err = NewSandbox(m, SandboxOptions{ReadEvents: []string{"Demo"}})
	require.NoError(t, err)
	assert.True(t, sb.scoreWindow, "a score_change segment keeps the score rows")
	assert.True(t, sb.read["Demo"], "the caller's own filters' types are kept")
}
