package triggers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func form(name any) *model.Event {
	return flowtest.Event(model.EventFormSubmitted, map[string]any{"form": name})
}

func TestFormSubmittedConfig(t *testing.T) {
	testConfigErrors(t, "trigger.form_submitted", []configCase{
		{"form not a string", map[string]any{"form": int64(1)}, "form", "must be a string"},
		{"unknown field", map[string]any{"name": "Demo"}, "name", "is not a field of trigger.form_submitted"},
	})
}

func TestFormSubmittedMatch(t *testing.T) {
	anyForm := build(t, "trigger.form_submitted", map[string]any{})
	assert.Equal(t, flows.TriggerKey{Type: "form_submitted"}, anyForm.Key())
	testMatches(t, anyForm, []matchCase{
		{"named form", form("Demo request"), true},
		{"no properties", flowtest.Event(model.EventFormSubmitted, nil), true},
		{"other type", flowtest.Event(model.EventPageVisited, map[string]any{"url": "/", "form": "Demo request"}), false},
		{"internal", flowtest.Internal(model.EventFormSubmitted, nil), false},
	})

	demo := build(t, "trigger.form_submitted", map[string]any{"form": " Demo request "})
	testMatches(t, demo, []matchCase{
		{"same", form("Demo request"), true},
		{"letter case", form("DEMO Request"), true},
		{"surrounding spaces", form("Demo request "), true},
		{"other form", form("Contact us"), false},
		{"longer name", form("Demo request 2"), false},
		{"no form", flowtest.Event(model.EventFormSubmitted, nil), false},
		{"not a string", form(42), false},
	})
}
