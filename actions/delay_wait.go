package actions

import (
	"time"

	"github.com/scoreflow/scoreflow/flows"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "delay.wait",
		Kind:  flows.KindDelay,
		Title: "Wait",
		Description: "Pauses the run for a while, then goes on with the next steps. The wait is stored, so it " +
			"survives restarts, and the run resumes once, on the flow version it started on.",
		Fields: []flows.Field{{
			Name: "for", Type: flows.TypeDuration, Required: true,
			Description: "How long to wait, such as 30m, 72h or 60d.",
		}},
		NewStep: func(cfg flows.Config) (flows.Step, error) {
			return wait{d: time.Duration(cfg.Duration("for"))}, nil
		},
	})
}

// wait parks the run; the engine resumes it at the node's successors.
type wait struct{ d time.Duration }

func (w wait) Run(*flows.Run) (flows.Outcome, error) { return flows.Outcome{Wait: w.d}, nil }
