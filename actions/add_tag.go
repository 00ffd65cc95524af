package actions

import (
	"fmt"

	"github.com/scoreflow/scoreflow/flows"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "action.add_tag",
		Kind:        flows.KindAction,
		Title:       "Add tag",
		Description: "Adds a tag to the contact. Nothing happens if the contact already has it.",
		Fields: []flows.Field{
			tagField("The tag to add, such as \"trial\" or \"pricing-interest\" (at most 100 characters; " +
				"surrounding spaces are removed)."),
		},
		NewStep: func(cfg flows.Config) (flows.Step, error) {
			tag, err := checkTag(cfg)
			if err != nil {
				return nil, err
			}
			return &addTag{tag: tag}, nil
		},
	})
}

// addTag adds one tag.
type addTag struct {
	tag string
}

func (s *addTag) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.AddTag(s.tag); err != nil {
		return flows.Outcome{}, fmt.Errorf("add tag %q: %w", s.tag, err)
	}
	return flows.Outcome{}, nil
}
