package flows

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// Limits that keep one flow from making a run unbounded.
const (
	MaxNodes = 500
	MaxEdges = 2000
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// Env carries what validation can check beyond the document itself; nil
// fields are not checked (the offline `validate` command knows no settings).
type Env struct {
	Stages   []string          // the deal pipeline
	Segment  func(string) bool // whether a segment id exists
	Registry *Registry         // node types; nil = the default registry
}

// Compiled is a validated flow ready to run: its triggers, a step per
// non-trigger node, and the outgoing edges of every node.
type Compiled struct {
	Flow     *Flow
	Audience *Filter
	Window   time.Duration
	Triggers []CompiledTrigger
	Steps    map[string]Step
	Next     map[string][]Edge
}

// CompiledTrigger is one trigger node of a flow.
type CompiledTrigger struct {
	NodeID  string
	Trigger Trigger
}

// Validate checks a flow against every rule of CONTRACT §3 and returns one
// detail per problem, each naming the node and field.
func Validate(f *Flow, env Env) []model.FieldError {
	_, errs := compile(f, env)
	return errs
}

// Compile validates a flow and builds it; a bad flow is an InvalidError.
func Compile(f *Flow, env Env) (*Compiled, error) {
	c, errs := compile(f, env)
	if len(errs) > 0 {
		return nil, model.Invalid("invalid_flow", invalidMessage(f, errs), errs...)
	}
	return c, nil
}

// invalidMessage names the first error; one inside a node names the node
// by its id, as the canvas shows it, with the index path (CONTRACT §3).
func invalidMessage(f *Flow, errs []model.FieldError) string {
	first := errs[0]
	if first.Path == "" {
		return "the flow is invalid: " + first.Message
	}
	var i int
	if _, err := fmt.Sscanf(first.Path, "nodes[%d]", &i); err == nil && i >= 0 && i < len(f.Nodes) && f.Nodes[i].ID != "" {
		return fmt.Sprintf("the flow is invalid: node %q (%s) %s", f.Nodes[i].ID, first.Path, first.Message)
	}
	return fmt.Sprintf("the flow is invalid: %s %s", first.Path, first.Message)
}

func compile(f *Flow, env Env) (*Compiled, []model.FieldError) {
	reg := env.Registry
	if reg == nil {
		reg = Nodes
	}
	var errs []model.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, model.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	c := &Compiled{Flow: f, Steps: map[string]Step{}, Next: map[string][]Edge{}}

	if !idPattern.MatchString(f.ID) {
		add("id", "must be 1 to 128 letters, digits, '_', '-', '.' or ':', starting with a letter or digit")
	}
	if f.Name == "" {
		add("name", "is required")
	}
	errs = append(errs, checkEntry(f, c)...)
	if len(f.Audience) > 0 && string(f.Audience) != "null" {
		flt, details := ParseFilter(f.Audience, ContactFilter)
		errs = append(errs, model.PrefixPaths("audience", details)...)
		c.Audience = flt
	}

	if len(f.Nodes) > MaxNodes {
		add("nodes", "a flow may have at most %d nodes", MaxNodes)
		return nil, errs
	}
	if len(f.Edges) > MaxEdges {
		add("edges", "a flow may have at most %d edges", MaxEdges)
		return nil, errs
	}
	specs := map[string]*Spec{} // by node id; nil for a node of unknown type
	for i, n := range f.Nodes {
		p := fmt.Sprintf("nodes[%d]", i)
		if n.ID == "" {
			add(p+".id", "is required")
			continue
		}
		if _, dup := specs[n.ID]; dup {
			add(p+".id", "duplicate node id %q", n.ID)
			continue
		}
		spec, ok := reg.Lookup(n.Type)
		specs[n.ID] = spec
		if !ok {
			add(p+".type", "unknown node type %q", n.Type)
			continue
		}
		cfg, details := checkConfig(spec, n.Config)
		details = append(details, checkPickers(spec, cfg, env)...)
		if len(details) > 0 {
			errs = append(errs, model.PrefixPaths(p+".config", details)...)
			continue
		}
		if err := build(spec, cfg, n.ID, c); err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				add(p+".config."+ce.Field, "%s", ce.Message)
			} else {
				add(p+".config", "%s", err.Error())
			}
		}
	}
	if len(c.Triggers) == 0 && !hasTriggerSpec(specs) {
		add("nodes", "a flow needs at least one trigger node")
	}
	errs = append(errs, checkEdges(f, specs, c)...)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func hasTriggerSpec(specs map[string]*Spec) bool {
	for _, s := range specs {
		if s != nil && s.Kind == KindTrigger {
			return true
		}
	}
	return false
}

func build(spec *Spec, cfg Config, nodeID string, c *Compiled) error {
	if spec.Kind == KindTrigger {
		t, err := spec.NewTrigger(cfg)
		if err != nil {
			return err
		}
		c.Triggers = append(c.Triggers, CompiledTrigger{NodeID: nodeID, Trigger: t})
		return nil
	}
	s, err := spec.NewStep(cfg)
	if err != nil {
		return err
	}
	c.Steps[nodeID] = s
	return nil
}

func checkEntry(f *Flow, c *Compiled) []model.FieldError {
	var errs []model.FieldError
	if f.Entry.Mode != EntryLimited && (f.Entry.Max != 0 || f.Entry.Window != nil) {
		errs = append(errs, model.FieldError{Path: "entry.mode", Message: "max and window apply to mode limited only"})
	}
	switch f.Entry.Mode {
	case "":
		f.Entry.Mode = EntryEveryTime
	case EntryEveryTime, EntryOnce:
	case EntryLimited:
		if f.Entry.Max < 1 {
			errs = append(errs, model.FieldError{Path: "entry.max", Message: "must be at least 1 for mode limited"})
		}
		if f.Entry.Window == nil {
			errs = append(errs, model.FieldError{Path: "entry.window", Message: "is required for mode limited, such as \"30d\""})
		} else {
			c.Window = time.Duration(*f.Entry.Window)
		}
	default:
		errs = append(errs, model.FieldError{Path: "entry.mode", Message: "must be every_time, once or limited"})
	}
	return errs
}

func checkPickers(spec *Spec, cfg Config, env Env) []model.FieldError {
	var errs []model.FieldError
	for _, fld := range spec.Fields {
		v, ok := cfg[fld.Name].(string)
		if !ok || v == "" {
			continue
		}
		switch {
		case fld.Picker == PickStage && env.Stages != nil && !contains(env.Stages, v):
			errs = append(errs, model.FieldError{Path: fld.Name, Message: fmt.Sprintf("%q is not a stage of the pipeline %v", v, env.Stages)})
		case fld.Picker == PickSegment && env.Segment != nil && !env.Segment(v):
			errs = append(errs, model.FieldError{Path: fld.Name, Message: fmt.Sprintf("segment %q does not exist", v)})
		}
	}
	return errs
}

func checkEdges(f *Flow, specs map[string]*Spec, c *Compiled) []model.FieldError {
	var errs []model.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, model.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	type pair struct{ from, to, branch string }
	seen := map[pair]bool{}
	for i, e := range f.Edges {
		p := fmt.Sprintf("edges[%d]", i)
		from, okFrom := specs[e.From]
		to, okTo := specs[e.To]
		if !okFrom {
			add(p+".from", "no node %q in this flow", e.From)
		}
		if !okTo {
			add(p+".to", "no node %q in this flow", e.To)
		}
		if !okFrom || !okTo || from == nil || to == nil {
			continue // a node of unknown type is reported on the node itself
		}
		if e.From == e.To {
			add(p+".to", "a node cannot link to itself")
			continue
		}
		if to.Kind == KindTrigger {
			add(p+".to", "node %q is a trigger: triggers start runs and take no incoming edge", e.To)
			continue
		}
		switch {
		case len(from.Branches) > 0 && !contains(from.Branches, e.Branch):
			add(p+".branch", "edges leaving %s node %q must carry branch %v", from.Type, e.From, from.Branches)
			continue
		case len(from.Branches) == 0 && e.Branch != "":
			add(p+".branch", "node %q (%s) has no branches; remove branch %q", e.From, from.Type, e.Branch)
			continue
		}
		k := pair{e.From, e.To, e.Branch}
		if seen[k] {
			add(p, "duplicate edge from %q to %q", e.From, e.To)
			continue
		}
		seen[k] = true
		c.Next[e.From] = append(c.Next[e.From], e)
	}
	if len(errs) == 0 {
		if cyc := findCycle(f, c.Next); cyc != "" {
			add("edges", "the flow has a cycle through node %q; flows must be acyclic", cyc)
		}
	}
	return errs
}

// findCycle returns a node on a cycle, or "".
func findCycle(f *Flow, next map[string][]Edge) string {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(id string) string
	visit = func(id string) string {
		state[id] = active
		for _, e := range next[id] {
			switch state[e.To] {
			case active:
				return e.To
			case unseen:
				if c := visit(e.To); c != "" {
					return c
				}
			}
		}
		state[id] = done
		return ""
	}
	for _, n := range f.Nodes {
		if state[n.ID] == unseen {
			if c := visit(n.ID); c != "" {
				return c
			}
		}
	}
	return ""
}

// Build checks one node's config against its type's spec and builds it; it
// returns either a trigger or a step. Errors name fields relative to the config.
func (r *Registry) Build(typ string, raw map[string]any) (Trigger, Step, []model.FieldError) {
	spec, ok := r.Lookup(typ)
	if !ok {
		return nil, nil, []model.FieldError{{Path: "type", Message: fmt.Sprintf("unknown node type %q", typ)}}
	}
	cfg, errs := checkConfig(spec, raw)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	c := &Compiled{Steps: map[string]Step{}}
	if err := build(spec, cfg, "node", c); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			return nil, nil, []model.FieldError{{Path: ce.Field, Message: ce.Message}}
		}
		return nil, nil, []model.FieldError{{Message: err.Error()}}
	}
	if len(c.Triggers) > 0 {
		return c.Triggers[0].Trigger, nil, nil
	}
	return nil, c.Steps["node"], nil
}
