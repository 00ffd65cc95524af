package triggers

import (
	"strings"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "trigger.field_changed",
		Kind:  flows.KindTrigger,
		Title: "Field changed",
		Description: "Starts the flow when a contact attribute or the deal stage takes a new value, whether " +
			"from event traits, a flow or the API.",
		Fields: []flows.Field{
			{
				Name:     "field",
				Type:     flows.TypeString,
				Required: true,
				Picker:   flows.PickField,
				Description: "The field to watch: \"attributes.<name>\" for a contact attribute, such as " +
					"\"attributes.job_title\", or \"deal_stage\".",
			},
		},
		NewTrigger: newFieldChanged,
	})
}

// fieldChanged matches the internal field_changed event the engine raises
// with Properties {"field": "attributes.country", "old": …, "new": …}.
type fieldChanged struct {
	field string
}

func newFieldChanged(cfg flows.Config) (flows.Trigger, error) {
	field := strings.TrimSpace(cfg.String("field"))
	name, isAttr := strings.CutPrefix(field, "attributes.")
	switch {
	case field == "deal_stage":
	case isAttr && strings.TrimSpace(name) != "":
	case isAttr:
		return nil, flows.BadField("field", "must name the attribute after \"attributes.\", such as \"attributes.country\"")
	case field != "" && !strings.Contains(field, "."):
		return nil, flows.BadField("field", "must be \"attributes.<name>\" or \"deal_stage\"; did you mean \"attributes.%s\"?", field)
	default:
		return nil, flows.BadField("field", "must be \"attributes.<name>\" or \"deal_stage\", not %q", field)
	}
	return &fieldChanged{field: field}, nil
}

func (t *fieldChanged) Key() flows.TriggerKey {
	return flows.TriggerKey{Internal: true, Type: model.InternalFieldChanged}
}

func (t *fieldChanged) Match(ev *model.Event) bool {
	return ev.Internal && ev.Type == model.InternalFieldChanged && ev.PropertyString("field") == t.field
}
