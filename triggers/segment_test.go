package triggers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func TestSegmentTriggersConfig(t *testing.T) {
	for _, typ := range []string{"trigger.segment_entered", "trigger.segment_exited"} {
		t.Run(typ, func(t *testing.T) {
			testConfigErrors(t, typ, []configCase{
				{"segment missing", map[string]any{}, "segment", "is required"},
				{"segment blank", map[string]any{"segment": " "}, "segment", "must not be empty"},
				{"segment not a string", map[string]any{"segment": true}, "segment", "must be a string"},
				{"unknown field", map[string]any{"segment": "mql", "tag": "x"}, "tag", "is not a field of " + typ},
			})
		})
	}
}

func TestSegmentEnteredAndExited(t *testing.T) {
	entered := build(t, "trigger.segment_entered", map[string]any{"segment": "mql"})
	exited := build(t, "trigger.segment_exited", map[string]any{"segment": "mql"})
	assert.Equal(t, flows.TriggerKey{Internal: true, Type: model.InternalSegmentEntered}, entered.Key())
	assert.Equal(t, flows.TriggerKey{Internal: true, Type: model.InternalSegmentExited}, exited.Key())
	in := flowtest.Internal(model.InternalSegmentEntered, map[string]any{"segment": "mql"})
	out := flowtest.Internal(model.InternalSegmentExited, map[string]any{"segment": "mql"})
	testMatches(t, entered, []matchCase{
		{"entered", in, true},
		{"other segment", flowtest.Internal(model.InternalSegmentEntered, map[string]any{"segment": "hot"}), false},
		{"exited", out, false},
		{"ingested custom event of that name", flowtest.Event(model.InternalSegmentEntered, map[string]any{"segment": "mql"}), false},
	})
	testMatches(t, exited, []matchCase{
		{"exited", out, true},
		{"entered", in, false},
	})
}
