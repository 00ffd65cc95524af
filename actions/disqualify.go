package actions

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/flows"
)

// MaxReasonLength bounds a disqualification reason, in characters.
const MaxReasonLength = 500

func init() {
	flows.Register(flows.Spec{
		Type:  "action.disqualify",
		Kind:  flows.KindAction,
		Title: "Disqualify",
		Description: "Marks the contact as disqualified, with a reason. Disqualified contacts enter no flow " +
			"unless the flow includes them, until they are requalified.",
		Fields: []flows.Field{
			{
				Name:     "reason",
				Type:     flows.TypeString,
				Required: true,
				Description: "Why the contact is disqualified, shown on the contact, such as \"Competitor\" or " +
					"\"Student email\" (at most 500 characters).",
			},
		},
		NewStep: func(cfg flows.Config) (flows.Step, error) {
			reason := strings.TrimSpace(cfg.String("reason"))
			switch {
			case reason == "":
				return nil, flows.BadField("reason", "must not be empty")
			case utf8.RuneCountInString(reason) > MaxReasonLength:
				return nil, flows.BadField("reason", "must be at most %d characters", MaxReasonLength)
			}
			return &disqualify{reason: reason}, nil
		},
	})
}

// disqualify disqualifies the contact.
type disqualify struct {
	reason string
}

func (s *disqualify) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.Disqualify(s.reason); err != nil {
		return flows.Outcome{}, fmt.Errorf("disqualify: %w", err)
	}
	return flows.Outcome{}, nil
}
