package actions

import (
	"fmt"
	"strings"

	"github.com/scoreflow/scoreflow/flows"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "action.change_deal_stage",
		Kind:  flows.KindAction,
		Title: "Change deal stage",
		Description: "Moves the contact to another stage of the deal pipeline, such as from \"mql\" to \"sql\". " +
			"Stages may be skipped or go backwards.",
		Fields: []flows.Field{
			{
				Name:        "stage",
				Type:        flows.TypeString,
				Required:    true,
				Picker:      flows.PickStage,
				Description: "The stage to move the contact to; it must be one of the pipeline's stages in settings.",
			},
		},
		NewStep: func(cfg flows.Config) (flows.Step, error) {
			stage := strings.TrimSpace(cfg.String("stage"))
			if stage == "" {
				return nil, flows.BadField("stage", "must not be empty")
			}
			return &changeDealStage{stage: stage}, nil
		},
	})
}

// changeDealStage sets the deal stage; the engine refuses a stage that has
// left the pipeline since the flow was saved.
type changeDealStage struct {
	stage string
}

func (s *changeDealStage) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.SetDealStage(s.stage); err != nil {
		return flows.Outcome{}, fmt.Errorf("change deal stage to %q: %w", s.stage, err)
	}
	return flows.Outcome{}, nil
}
