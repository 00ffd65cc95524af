package lab

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// SuggestRequest is POST /api/v1/lab/suggest.
type SuggestRequest struct {
	Outcome json.RawMessage `json:"outcome"`
	From    *time.Time      `json:"from"`
	To      *time.Time      `json:"to"`
	Score   string          `json:"score"`
}

// SuggestResponse is its answer: the learned features and a draft with one
// flow per kept feature, ready for POST /api/v1/lab/runs.
type SuggestResponse struct {
	AUC        *float64           `json:"auc"`
	HoldoutAUC *float64           `json:"holdout_auc"`
	Features   []SuggestedFeature `json:"features"`
	Model      Draft              `json:"model"`
}

// Suggest replays the window through the live model to find, for each
// contact, its features up to its judged moment and whether it converted,
// and learns points from them (Suggest). Too little history is a 400
// with code too_little_history that says how much more is needed. It waits
// for a lab run in progress: one replay at a time.
func (m *Manager) Suggest(ctx context.Context, req SuggestRequest) (*SuggestResponse, error) {
	out, err := ParseOutcome(req.Outcome, "outcome")
	if err != nil {
		return nil, err
	}
	from, to, err := window(req.From, req.To, m.now())
	if err != nil {
		return nil, err
	}
	live, err := Live(ctx, m.st)
	if err != nil {
		return nil, err
	}
	score := req.Score
	if score == "" {
		score = "engagement"
	}
	if len(live.Settings.Scores) > 0 && !slices.ContainsFunc(live.Settings.Scores, func(d model.ScoreDimension) bool { return d.Name == score }) {
		return nil, model.Invalid("invalid_suggest", "no score dimension "+score, model.FieldError{Path: "score", Message: "must name a dimension of the settings"})
	}
	m.replaying.Lock()
	res, err := replay(ctx, m.st, replayInput{Live: &live, Outcome: out, From: from, To: to, Features: true})
	m.replaying.Unlock()
	if err != nil {
		return nil, err
	}
	examples := make([]Example, len(res.Judged))
	for i, j := range res.Judged {
		feats := slices.Clone(j.attrs)
		for _, f := range j.features {
			feats = append(feats, res.FeatNames[f])
		}
		sort.Strings(feats)
		examples[i] = Example{Contact: j.id, Features: dedupe(feats), Converted: j.converted}
	}
	sug, err := Suggest(examples, SuggestOptions{Score: score})
	var little *TooLittleHistoryError
	if errors.As(err, &little) {
		return nil, model.Invalid("too_little_history", err.Error(), model.FieldError{Path: "outcome", Message: err.Error()})
	}
	if err != nil {
		return nil, err
	}
	draft := Draft{Base: "live", Add: sug.Flows}
	if draft.Add == nil {
		draft.Add = []json.RawMessage{}
	}
	feats := sug.Features
	if feats == nil {
		feats = []SuggestedFeature{}
	}
	return &SuggestResponse{AUC: finite(sug.AUC), HoldoutAUC: finite(sug.HoldoutAUC), Features: feats, Model: draft}, nil
}

// finite is nil for NaN (an AUC undefined for want of one class), which
// JSON cannot carry.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
