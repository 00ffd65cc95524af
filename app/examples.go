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
	"github.com/scoreflow/scoreflow/store"
)

// LoadExamples loads the reference model into a database that has no flows
// yet; a database with flows is left alone, so restarts never duplicate.
func LoadExamples(ctx context.Context, st store.Store, log *slog.Logger) error {
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
	if err := st.PutSettings(ctx, settings); err != nil {
		return fmt.Errorf("load example settings: %w", err)
	}
	for _, f := range docs {
		doc, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if _, err := st.CreateFlow(ctx, store.FlowRecord{ID: f.ID, Name: f.Name, Enabled: f.Enabled, Doc: doc}); err != nil {
			return fmt.Errorf("load example flow %s: %w", f.ID, err)
		}
	}
	log.Info("loaded the reference scoring model", "flows", len(docs))
	return nil
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
	names, err := fs.Glob(examples.Reference, "reference/flows/*.json")
	if err != nil {
		return settings, nil, err
	}
	sort.Strings(names)
	out := make([]*flows.Flow, 0, len(names))
	for _, name := range names {
		raw, err := fs.ReadFile(examples.Reference, name)
		if err != nil {
			return settings, nil, err
		}
		f, err := flows.Parse(raw)
		if err != nil {
			return settings, nil, fmt.Errorf("example %s: %w", path.Base(name), err)
		}
		if _, err := flows.Compile(f, flows.Env{Stages: settings.Pipeline}); err != nil {
			return settings, nil, fmt.Errorf("example %s: %w", path.Base(name), err)
		}
		out = append(out, f)
	}
	return settings, out, nil
}
