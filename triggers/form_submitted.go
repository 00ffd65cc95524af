package triggers

import (
	"strings"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.form_submitted",
		Kind:        flows.KindTrigger,
		Title:       "Form submitted",
		Description: "Starts the flow when a contact submits a form: any form, or one form by name.",
		Fields: []flows.Field{
			{
				Name: "form",
				Type: flows.TypeString,
				Description: "The form's name as sent in the event's properties.form, such as \"Demo request\" " +
					"(letter case is ignored). Leave empty for any form.",
			},
		},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return &formSubmitted{form: strings.TrimSpace(cfg.String("form"))}, nil
		},
	})
}

// formSubmitted matches form_submitted events, of one form when form is set.
type formSubmitted struct {
	form string
}

func (t *formSubmitted) Key() flows.TriggerKey {
	return flows.TriggerKey{Type: model.EventFormSubmitted}
}

func (t *formSubmitted) Match(ev *model.Event) bool {
	if ev.Internal || ev.Type != model.EventFormSubmitted {
		return false
	}
	return t.form == "" || strings.EqualFold(strings.TrimSpace(ev.PropertyString("form")), t.form)
}
