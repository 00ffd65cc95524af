package actions

import (
	"fmt"
	"strings"

	"github.com/scoreflow/scoreflow/flows"
)

// MaxAttributeNameLength bounds an attribute's name.
const MaxAttributeNameLength = 200

// builtInFields are contact fields that are not attributes, with what
// changes each (from the table of contact fields), so a bare "deal_stage" is
// refused with a pointer instead of silently becoming attributes.deal_stage.
var builtInFields = func() map[string]string {
	out := map[string]string{
		"id":    "it cannot be changed",
		"email": "it cannot be changed by a flow",
	}
	for _, f := range flows.ContactFields() {
		if !f.Settable && !f.Family() {
			out[f.Name] = f.Setter
		}
	}
	return out
}()

func init() {
	flows.Register(flows.Spec{
		Type:        "action.set_field",
		Kind:        flows.KindAction,
		Title:       "Set contact field",
		Description: "Sets one of the contact's attributes to a fixed value, such as lifecycle = \"trial\".",
		Fields: []flows.Field{
			{
				Name:     "field",
				Type:     flows.TypeString,
				Required: true,
				Picker:   flows.PickField,
				Description: "The attribute to set, as \"attributes.<name>\" (such as \"attributes.lifecycle\") " +
					"or just the name. Scores, tags, deal stage and disqualification have their own actions.",
			},
			{
				Name:     "value",
				Type:     flows.TypeAny,
				Required: true,
				Description: "The value to store: a string, number, boolean, list or object. It must not be " +
					"null; an attribute is never removed by this action.",
			},
		},
		NewStep: newSetField,
	})
}

// setField sets one attribute.
type setField struct {
	field string // always "attributes.<name>"
	value any
}

func newSetField(cfg flows.Config) (flows.Step, error) {
	field, err := attributeField(cfg.String("field"))
	if err != nil {
		return nil, err
	}
	value, ok := cfg["value"]
	if !ok || value == nil {
		return nil, flows.BadField("value", "is required and must not be null")
	}
	return &setField{field: field, value: value}, nil
}

// attributeField turns "attributes.<name>" or a bare "<name>" into
// "attributes.<name>", refusing built-in contact fields.
func attributeField(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	name, prefixed := strings.CutPrefix(raw, "attributes.")
	if !prefixed {
		if why, builtIn := builtInFields[raw]; builtIn {
			return "", flows.BadField("field", "%q is not an attribute: %s", raw, why)
		}
		if strings.Contains(raw, ".") {
			return "", flows.BadField("field", "must be \"attributes.<name>\" or an attribute name, not %q", raw)
		}
	}
	switch {
	case name == "" || strings.TrimSpace(name) != name:
		return "", flows.BadField("field", "must name the attribute, such as \"attributes.lifecycle\"")
	case len(name) > MaxAttributeNameLength:
		return "", flows.BadField("field", "the attribute name must be at most %d characters", MaxAttributeNameLength)
	}
	return "attributes." + name, nil
}

func (s *setField) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.SetField(s.field, s.value); err != nil {
		return flows.Outcome{}, fmt.Errorf("set %s: %w", s.field, err)
	}
	return flows.Outcome{}, nil
}
