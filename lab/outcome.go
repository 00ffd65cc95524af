package lab

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// DefaultHorizon is how long after the judged moment a conversion counts
// when the outcome names no horizon.
const DefaultHorizon = 90 * 24 * time.Hour

// Outcome says what converting means (CONTRACT §8): an event of a type, or
// first matching a contact filter during the replay of the live model.
type Outcome struct {
	Event   string
	Where   *flows.Filter
	Horizon time.Duration
}

// ParseOutcome decodes {"event": "Deal won"} or {"where": <filter>}, each
// with an optional "horizon" ("90d"); errors are 400s at path.
func ParseOutcome(raw json.RawMessage, path string) (*Outcome, error) {
	fail := func(p, msg string) error {
		return model.Invalid("invalid_outcome", "the outcome is invalid: "+p+" "+msg, model.FieldError{Path: p, Message: msg})
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fail(path, "is required")
	}
	var w struct {
		Event   *string         `json:"event"`
		Where   json.RawMessage `json:"where"`
		Horizon *string         `json:"horizon"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fail(path, "must be {\"event\": …} or {\"where\": …} with an optional \"horizon\": "+err.Error())
	}
	out := &Outcome{Horizon: DefaultHorizon}
	switch {
	case w.Event != nil && len(w.Where) > 0:
		return nil, fail(path, "takes one of event and where, not both")
	case w.Event != nil:
		if strings.TrimSpace(*w.Event) == "" {
			return nil, fail(path+".event", "must name an event type")
		}
		out.Event = *w.Event
	case len(w.Where) > 0:
		f, errs := flows.ParseFilter(w.Where, flows.ContactFilter)
		if len(errs) > 0 {
			errs = model.PrefixPaths(path+".where", errs)
			return nil, model.Invalid("invalid_outcome", "the outcome's filter is invalid: "+errs[0].Path+" "+errs[0].Message, errs...)
		}
		out.Where = f
	default:
		return nil, fail(path, "needs event or where")
	}
	if w.Horizon != nil {
		d, err := model.ParseDuration(*w.Horizon)
		if err != nil {
			return nil, fail(path+".horizon", err.Error())
		}
		out.Horizon = time.Duration(d)
	}
	return out, nil
}
