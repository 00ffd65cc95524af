package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// flowSet is the immutable set of enabled flows and the trigger index the
// engine dispatches on: an event's cost grows with the triggers listening to
// its type, never with the number of flows.
type flowSet struct {
	generation int64
	settings   model.Settings
	byKey      map[flows.TriggerKey][]triggerRef
	flows      map[string]*flows.Compiled
	segments   *segments.Set
	pages      *pageIndex // nil: few page triggers, tried one by one
}

// triggerRef is one trigger node of one flow. Refs under a key are ordered
// by flow id then node order, so runs happen in a stable order.
type triggerRef struct {
	flow   *flows.Compiled
	nodeID string
	trig   flows.Trigger
}

// loadFlowSet compiles every enabled flow against the current settings.
// A stored flow that no longer compiles (a node type was removed, a stage
// left the pipeline) is skipped with an error log rather than stopping the
// engine.
func loadFlowSet(ctx context.Context, st store.Store, log *slog.Logger) (*flowSet, error) {
	gen, err := st.Generation(ctx)
	if err != nil {
		return nil, err
	}
	settings, err := st.GetSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	records, err := st.ListFlows(ctx)
	if err != nil {
		return nil, fmt.Errorf("load flows: %w", err)
	}
	fs := &flowSet{generation: gen, settings: settings, byKey: map[flows.TriggerKey][]triggerRef{}, flows: map[string]*flows.Compiled{}}
	if fs.segments, err = loadSegments(ctx, st, log); err != nil {
		return nil, err
	}
	sort.Slice(records, func(i, j int) bool { return records[i].ID < records[j].ID })
	for _, rec := range records {
		if !rec.Enabled {
			continue
		}
		c, err := compileRecord(rec)
		if err != nil {
			log.Error("flow skipped: it no longer compiles", "flow", rec.ID, "version", rec.Version, "err", err)
			continue
		}
		fs.flows[rec.ID] = c
		for _, t := range c.Triggers {
			k := t.Trigger.Key()
			fs.byKey[k] = append(fs.byKey[k], triggerRef{flow: c, nodeID: t.NodeID, trig: t.Trigger})
		}
	}
	fs.indexPages()
	return fs, nil
}

func compileRecord(rec store.FlowRecord) (*flows.Compiled, error) {
	f, err := flows.Parse(rec.Doc)
	if err != nil {
		return nil, fmt.Errorf("parse flow %s@%d: %w", rec.ID, rec.Version, err)
	}
	f.ID, f.Version, f.Enabled = rec.ID, rec.Version, rec.Enabled
	c, err := flows.Compile(f, flows.Env{})
	if err != nil {
		return nil, fmt.Errorf("compile flow %s@%d: %w", rec.ID, rec.Version, err)
	}
	return c, nil
}

// loadSegments compiles every stored segment. The API refuses bad segments
// and reference cycles, so a failure here means a hand-edited database: the
// bad segment is skipped, loudly.
func loadSegments(ctx context.Context, st store.Store, log *slog.Logger) (*segments.Set, error) {
	stored, err := st.ListSegments(ctx)
	if err != nil {
		return nil, fmt.Errorf("load segments: %w", err)
	}
	list := make([]*segments.Segment, 0, len(stored))
	for _, s := range stored {
		c, errs := segments.Compile(s)
		if len(errs) > 0 {
			log.Error("segment skipped: it does not compile", "segment", s.ID, "errors", fmt.Sprint(errs))
			continue
		}
		list = append(list, c)
	}
	set, err := segments.NewSet(list)
	if err != nil {
		log.Error("segments skipped", "err", err)
		return segments.NewSet(nil)
	}
	return set, nil
}
