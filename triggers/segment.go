package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
)

// segmentField is the segment watched by the segment triggers.
func segmentField(what string) flows.Field {
	return flows.Field{
		Name:        "segment",
		Type:        flows.TypeString,
		Required:    true,
		Picker:      flows.PickSegment,
		Description: "The segment (its id) to watch: the flow starts when a contact " + what + " it, in the same transaction as the change that moved the contact.",
	}
}

func newSegmentTrigger(typ string, cfg flows.Config) (flows.Trigger, error) {
	return newInternalTrigger(typ, "segment", cfg)
}
