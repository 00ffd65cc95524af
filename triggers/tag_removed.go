package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.tag_removed",
		Kind:        flows.KindTrigger,
		Title:       "Tag removed",
		Description: "Starts the flow when a tag is taken off a contact that had it.",
		Fields:      []flows.Field{tagField("removed from")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newTagTrigger(model.InternalTagRemoved, cfg)
		},
	})
}
