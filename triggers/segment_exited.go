package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.segment_exited",
		Kind:        flows.KindTrigger,
		Title:       "Segment exited",
		Description: "Starts the flow when a contact stops matching a segment it was in.",
		Fields:      []flows.Field{segmentField("leaves")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newSegmentTrigger(model.InternalSegmentExited, cfg)
		},
	})
}
