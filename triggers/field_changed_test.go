package triggers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func TestFieldChangedConfig(t *testing.T) {
	testConfigErrors(t, "trigger.field_changed", []configCase{
		{"field missing", map[string]any{}, "field", "is required"},
		{"field empty", map[string]any{"field": ""}, "field", "must not be empty"},
		{"field not a string", map[string]any{"field": int64(1)}, "field", "must be a string"},
		{"bare name", map[string]any{"field": "country"}, "field", `must be "attributes.<name>" or "deal_stage"; did you mean "attributes.country"?`},
		{"score", map[string]any{"field": "score.fit"}, "field", `must be "attributes.<name>" or "deal_stage", not "score.fit"`},
		{"no attribute name", map[string]any{"field": "attributes."}, "field", `must name the attribute after "attributes.", such as "attributes.country"`},
		{"unknown field", map[string]any{"field": "deal_stage", "to": "sql"}, "to", "is not a field of trigger.field_changed"},
	})
}

func TestFieldChanged(t *testing.T) {
	country := build(t, "trigger.field_changed", map[string]any{"field": "attributes.country"})
	assert.Equal(t, flows.TriggerKey{Internal: true, Type: model.InternalFieldChanged}, country.Key())
	testMatches(t, country, []matchCase{
		{"changed", flowtest.FieldChanged("attributes.country", "DE", "FR"), true},
		{"set for the first time", flowtest.FieldChanged("attributes.country", nil, "FR"), true},
		{"other attribute", flowtest.FieldChanged("attributes.city", "Berlin", "Paris"), false},
		{"deal stage", flowtest.FieldChanged("deal_stage", "new", "mql"), false},
		{"ingested custom event of that name", flowtest.Event(model.InternalFieldChanged, map[string]any{"field": "attributes.country"}), false},
		{"other internal event", flowtest.Internal(model.InternalTagAdded, map[string]any{"field": "attributes.country"}), false},
	})

	stage := build(t, "trigger.field_changed", map[string]any{"field": "deal_stage"})
	testMatches(t, stage, []matchCase{
		{"stage changed", flowtest.FieldChanged("deal_stage", "mql", "sql"), true},
		{"attribute changed", flowtest.FieldChanged("attributes.deal_stage", "a", "b"), false},
	})
}
