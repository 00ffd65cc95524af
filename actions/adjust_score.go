package actions

import (
	"fmt"
	"strings"

	"github.com/scoreflow/scoreflow/flows"
)

// MaxScoreNameLength bounds a score dimension's name.
const MaxScoreNameLength = 100

func init() {
	flows.Register(flows.Spec{
		Type:  "action.adjust_score",
		Kind:  flows.KindAction,
		Title: "Adjust score",
		Description: "Adds points to (or, with a negative number, takes points from) one of the contact's score " +
			"dimensions. The result is kept within the dimension's limits from settings.",
		Fields: []flows.Field{
			{
				Name:     "score",
				Type:     flows.TypeString,
				Required: true,
				Picker:   flows.PickScore,
				Description: "The score dimension to change, such as \"engagement\" or \"fit\". A dimension " +
					"not in settings is created without limits.",
			},
			{
				Name:        "points",
				Type:        flows.TypeInteger,
				Required:    true,
				Description: "How many points to add; a negative number subtracts, such as -5. Must not be 0.",
			},
		},
		NewStep: newAdjustScore,
	})
}

// adjustScore adds points to one dimension.
type adjustScore struct {
	score  string
	points int64
}

func newAdjustScore(cfg flows.Config) (flows.Step, error) {
	score := strings.TrimSpace(cfg.String("score"))
	switch {
	case score == "":
		return nil, flows.BadField("score", "must not be empty")
	case len(score) > MaxScoreNameLength:
		return nil, flows.BadField("score", "must be at most %d characters", MaxScoreNameLength)
	}
	points := cfg.Int("points")
	if points == 0 {
		return nil, flows.BadField("points", "must not be 0: use a positive number to add points or a negative one to subtract")
	}
	return &adjustScore{score: score, points: points}, nil
}

func (s *adjustScore) Run(r *flows.Run) (flows.Outcome, error) {
	if err := r.Effects.AdjustScore(s.score, s.points); err != nil {
		return flows.Outcome{}, fmt.Errorf("adjust score %q by %d: %w", s.score, s.points, err)
	}
	return flows.Outcome{}, nil
}
