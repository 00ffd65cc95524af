package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"

	"github.com/scoreflow/scoreflow/examples"
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// LoadExamples loads the reference model and the disqualification playbook
// into a database that has no flows yet; a database with flows is left
// alone, so restarts never duplicate.
func LoadExamples(ctx context.Context, st store.Store, log *slog.Logger) error {
	return LoadModel(ctx, st, log, true)
}

// LoadModel loads the reference model, and the playbook when asked, into a
// database without flows.
func LoadModel(ctx context.Context, st store.Store, log *slog.Logger, playbook bool) error {
	if store.ActorOf(ctx) == "" {
		ctx = store.WithActor(ctx, store.ActorExamples) // how the audit log names these changes
	}
	existing, err := st.ListFlows(ctx)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		log.Info("examples not loaded: the database already has flows", "flows", len(existing))
		return nil
	}
	settings, docs, err := ReferenceModel()
	if err != nil {
		return err
	}
	var segs []model.Segment
	var pbFlows []*flows.Flow
	if playbook {
		if segs, pbFlows, err = Playbook(); err != nil {
			return err
		}
	}
	if err := st.PutSettings(ctx, settings); err != nil {
		return fmt.Errorf("load example settings: %w", err)
	}
	for _, s := range segs {
		if _, err := st.CreateSegment(ctx, s); err != nil {
			return fmt.Errorf("load example segment %s: %w", s.ID, err)
		}
	}
	docs = append(docs, pbFlows...)
	for _, f := range docs {
		doc, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if _, err := st.CreateFlow(ctx, store.FlowRecord{ID: f.ID, Name: f.Name, Enabled: f.Enabled, Doc: doc}); err != nil {
			return fmt.Errorf("load example flow %s: %w", f.ID, err)
		}
	}
	log.Info("loaded the reference scoring model and the disqualification playbook", "flows", len(docs), "segments", len(segs))
	return nil
}

// Playbook returns the disqualification playbook's segments and flows,
// validated (segments against each other, flows against the pipeline and
// the segments).
func Playbook() ([]model.Segment, []*flows.Flow, error) {
	settings, _, err := ReferenceModel()
	if err != nil {
		return nil, nil, err
	}
	names, err := fs.Glob(examples.Playbook, "playbook/segments/*.json")
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	var segs []model.Segment
	var compiled []*segments.Segment
	ids := map[string]bool{}
	for _, name := range names {
		raw, err := fs.ReadFile(examples.Playbook, name)
		if err != nil {
			return nil, nil, err
		}
		var s model.Segment
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, nil, fmt.Errorf("example %s: %w", path.Base(name), err)
		}
		c, errs := segments.Compile(s)
		if len(errs) > 0 {
			return nil, nil, model.Invalid("invalid_segment", "example segment "+s.ID+" is invalid", errs...)
		}
		segs, compiled, ids[s.ID] = append(segs, s), append(compiled, c), true
	}
	if _, err := segments.NewSet(compiled); err != nil {
		return nil, nil, fmt.Errorf("example segments: %w", err)
	}
	docs, err := readFlows(examples.Playbook, "playbook/flows/*.json", flows.Env{
		Stages: settings.Pipeline, Segment: func(id string) bool { return ids[id] }})
	return segs, docs, err
}

func readFlows(fsys fs.FS, pattern string, env flows.Env) ([]*flows.Flow, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]*flows.Flow, 0, len(names))
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, err := flows.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("example %s: %w", path.Base(name), err)
		}
		if _, err := flows.Compile(f, env); err != nil {
			return nil, fmt.Errorf("example %s: %w", path.Base(name), err)
		}
		out = append(out, f)
	}
	return out, nil
}

// ReferenceModel returns the example settings and flows, validated.
func ReferenceModel() (model.Settings, []*flows.Flow, error) {
	var settings model.Settings
	raw, err := fs.ReadFile(examples.Reference, "reference/settings.json")
	if err != nil {
		return settings, nil, fmt.Errorf("read example settings: %w", err)
	}
	if err := json.Unmarshal(raw, &settings); err != nil {
		return settings, nil, fmt.Errorf("decode example settings: %w", err)
	}
	if errs := settings.Validate(); len(errs) > 0 {
		return settings, nil, model.Invalid("invalid_settings", "example settings are invalid", errs...)
	}
	out, err := readFlows(examples.Reference, "reference/flows/*.json", flows.Env{Stages: settings.Pipeline})
	if err != nil {
		return settings, nil, err
	}
	return settings, out, nil
}
