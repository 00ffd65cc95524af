package actions

import (
	"errors"
	"fmt"

	"github.com/scoreflow/scoreflow/flows"
)

// Branches of condition.if.
const (
	BranchYes = "yes"
	BranchNo  = "no"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "condition.if",
		Kind:  flows.KindCondition,
		Title: "If / else",
		Description: "Splits the flow in two: contacts matching the filter continue along the \"yes\" branch, " +
			"all others along the \"no\" branch.",
		Fields: []flows.Field{
			{
				Name:     "where",
				Type:     flows.TypeFilter,
				Required: true,
				Description: "The contact filter to test, such as {\"field\": \"attributes.job_title\", \"op\": " +
					"\"in\", \"value\": [\"CEO\", \"CMO\"]}; combine conditions with all, any and not.",
			},
		},
		Branches: []string{BranchYes, BranchNo},
		NewStep: func(cfg flows.Config) (flows.Step, error) {
			where := cfg.Filter("where")
			if where == nil {
				return nil, flows.BadField("where", "is required")
			}
			return &conditionIf{where: where}, nil
		},
	})
}

// conditionIf routes a run by a contact filter.
type conditionIf struct {
	where *flows.Filter
}

func (s *conditionIf) Run(r *flows.Run) (flows.Outcome, error) {
	if r.Contact == nil {
		return flows.Outcome{}, errors.New("condition.if: the run has no contact")
	}
	ok, err := s.where.Match(r.Contact, r.Now)
	if err != nil {
		return flows.Outcome{}, fmt.Errorf("condition.if: evaluate filter: %w", err)
	}
	if ok {
		return flows.Outcome{Branch: BranchYes}, nil
	}
	return flows.Outcome{Branch: BranchNo}, nil
}
