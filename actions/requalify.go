package actions

import (
	"fmt"

	"github.com/scoreflow/scoreflow/flows"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "action.requalify",
		Kind:  flows.KindAction,
		Title: "Requalify",
		Description: "Clears the contact's disqualification, so it enters flows again. Nothing happens if the " +
			"contact is not disqualified.",
		NewStep: func(flows.Config) (flows.Step, error) { return requalify{}, nil },
	})
}

// requalify clears a disqualification.
type requalify struct{}

func (requalify) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.Requalify(); err != nil {
		return flows.Outcome{}, fmt.Errorf("requalify: %w", err)
	}
	return flows.Outcome{}, nil
}
