package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.segment_entered",
		Kind:        flows.KindTrigger,
		Title:       "Segment entered",
		Description: "Starts the flow when a contact starts matching a segment: after an event, a change by another flow, or when time passes (\"no email opened in 60 days\").",
		Fields:      []flows.Field{segmentField("enters")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newSegmentTrigger(model.InternalSegmentEntered, cfg)
		},
	})
}
