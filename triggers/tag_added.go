package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.tag_added",
		Kind:        flows.KindTrigger,
		Title:       "Tag added",
		Description: "Starts the flow when a contact gets a tag it did not have.",
		Fields:      []flows.Field{tagField("added to")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newTagTrigger(model.InternalTagAdded, cfg)
		},
	})
}
