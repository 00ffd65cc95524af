package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Draft is a model as CONTRACT §8 writes it: the live model with changes.
// A flow in Add whose id is live replaces it.
type Draft struct {
	Base     string            `json:"base"`
	Add      []json.RawMessage `json:"add,omitempty"`
	Remove   []string          `json:"remove,omitempty"`
	Settings *model.Settings   `json:"settings,omitempty"`
}

// Resolved is a validated draft: the flows to create or replace (as the
// store keeps them, without version), the ids to delete, the settings to
// put (nil = unchanged). It is what an apply job stores and makes live.
type Resolved struct {
	Add      []store.FlowRecord `json:"add"`
	Remove   []string           `json:"remove"`
	Settings *model.Settings    `json:"settings,omitempty"`
}

// Live reads the live model from the store.
func Live(ctx context.Context, st store.Store) (engine.Model, error) {
	settings, err := st.GetSettings(ctx)
	if err != nil {
		return engine.Model{}, fmt.Errorf("live settings: %w", err)
	}
	recs, err := st.ListFlows(ctx)
	if err != nil {
		return engine.Model{}, fmt.Errorf("live flows: %w", err)
	}
	segs, err := st.ListSegments(ctx)
	if err != nil {
		return engine.Model{}, fmt.Errorf("live segments: %w", err)
	}
	return engine.Model{Settings: settings, Flows: recs, Segments: segs}, nil
}

// ParseDraft decodes and validates a draft against the live model: every
// added flow must be valid under the draft's settings (its pipeline) and
// name only live segments, every removed id must be live, the settings must
// be valid. Errors are 400s whose paths start at path ("model").
func ParseDraft(raw json.RawMessage, live engine.Model, path string) (*Resolved, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, model.Invalid("invalid_model", "a model is required", model.FieldError{Path: path, Message: "is required"})
	}
	var d Draft
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, model.Invalid("invalid_model", "the model is not a draft object: "+err.Error(), model.FieldError{Path: path, Message: err.Error()})
	}
	var errs []model.FieldError
	if d.Base != "live" {
		errs = append(errs, model.FieldError{Path: path + ".base", Message: `must be "live"`})
	}
	res := &Resolved{Add: []store.FlowRecord{}, Remove: []string{}}
	settings := live.Settings
	if d.Settings != nil {
		s := *d.Settings
		errs = append(errs, model.PrefixPaths(path+".settings", s.Validate())...)
		settings, res.Settings = s, &s
	}
	segs := map[string]bool{}
	for _, s := range live.Segments {
		segs[s.ID] = true
	}
	env := flows.Env{Stages: settings.Pipeline, Segment: func(id string) bool { return segs[id] }}
	seen := map[string]bool{}
	for i, doc := range d.Add {
		p := fmt.Sprintf("%s.add[%d]", path, i)
		f, err := flows.Parse(doc)
		if err != nil {
			errs = append(errs, model.FieldError{Path: p, Message: err.Error()})
			continue
		}
		errs = append(errs, model.PrefixPaths(p, flows.Validate(f, env))...)
		if f.ID != "" && seen[f.ID] {
			errs = append(errs, model.FieldError{Path: p + ".id", Message: fmt.Sprintf("flow %q is added twice", f.ID)})
		}
		seen[f.ID] = true
		f.Version, f.CreatedAt, f.UpdatedAt = 0, nil, nil
		b, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("encode draft flow %s: %w", f.ID, err)
		}
		res.Add = append(res.Add, store.FlowRecord{ID: f.ID, Name: f.Name, Enabled: f.Enabled, Doc: b})
	}
	liveIDs := map[string]bool{}
	for _, r := range live.Flows {
		liveIDs[r.ID] = true
	}
	for i, id := range d.Remove {
		p := fmt.Sprintf("%s.remove[%d]", path, i)
		switch {
		case !liveIDs[id]:
			errs = append(errs, model.FieldError{Path: p, Message: fmt.Sprintf("no live flow %q", id)})
		case seen[id]:
			errs = append(errs, model.FieldError{Path: p, Message: fmt.Sprintf("flow %q is both added and removed", id)})
		default:
			res.Remove = append(res.Remove, id)
		}
	}
	if len(errs) > 0 {
		return nil, model.Invalid("invalid_model", "the draft model is invalid: "+errs[0].Path+" "+errs[0].Message, errs...)
	}
	return res, nil
}

// Apply builds the draft's model over the live one: added flows replace
// live ones of the same id (one version up), removed ones go.
func (r *Resolved) Apply(live engine.Model) engine.Model {
	out := engine.Model{Settings: live.Settings, Segments: live.Segments}
	if r.Settings != nil {
		out.Settings = *r.Settings
	}
	versions := map[string]int{}
	for _, f := range live.Flows {
		versions[f.ID] = f.Version
		if slices.Contains(r.Remove, f.ID) || slices.ContainsFunc(r.Add, func(a store.FlowRecord) bool { return a.ID == f.ID }) {
			continue
		}
		out.Flows = append(out.Flows, f)
	}
	for _, a := range r.Add {
		a.Version = versions[a.ID] + 1
		out.Flows = append(out.Flows, a)
	}
	return out
}
