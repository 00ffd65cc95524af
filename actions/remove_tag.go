package actions

import (
	"fmt"

	"github.com/scoreflow/scoreflow/flows"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "action.remove_tag",
		Kind:        flows.KindAction,
		Title:       "Remove tag",
		Description: "Takes a tag off the contact. Nothing happens if the contact does not have it.",
		Fields: []flows.Field{
			tagField("The tag to remove, exactly as it was added (surrounding spaces are ignored)."),
		},
		NewStep: func(cfg flows.Config) (flows.Step, error) {
			tag, err := checkTag(cfg)
			if err != nil {
				return nil, err
			}
			return &removeTag{tag: tag}, nil
		},
	})
}

// removeTag removes one tag.
type removeTag struct {
	tag string
}

func (s *removeTag) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.RemoveTag(s.tag); err != nil {
		return flows.Outcome{}, fmt.Errorf("remove tag %q: %w", s.tag, err)
	}
	return flows.Outcome{}, nil
}
