package flows

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The scoring matrix reads flows the way marketers write a scoring sheet:
// one row per path from a trigger to an adjust_score action, with the
// conditions and delays met on the way.

// ScoringRule is one row of the scoring matrix.
type ScoringRule struct {
	FlowID      string          `json:"flow_id"`
	FlowName    string          `json:"flow_name"`
	FlowVersion int             `json:"flow_version"`
	NodeID      string          `json:"node_id"` // the adjust_score node
	Trigger     RuleTrigger     `json:"trigger"`
	TriggerText string          `json:"trigger_text"`
	Conditions  []RuleCondition `json:"conditions"`
	Delays      []string        `json:"delays"`
	Entry       Entry           `json:"entry"`
	Dimension   string          `json:"dimension"`
	Points      int64           `json:"points"`
}

// RuleTrigger is the trigger a rule starts from.
type RuleTrigger struct {
	NodeID string         `json:"node_id"`
	Type   string         `json:"type"`
	Config map[string]any `json:"config,omitempty"`
}

// RuleCondition is a condition on a rule's path: Branch "yes" means it must
// hold, "no" that it must not. The flow's audience is a condition with no
// node id.
type RuleCondition struct {
	NodeID string `json:"node_id"`
	Branch string `json:"branch"`
	Where  any    `json:"where"`
	Text   string `json:"text"`
}

// maxRulesPerFlow bounds the paths walked in one flow: a DAG of many
// diamonds has exponentially many paths, and a sheet of thousands of rows
// from one flow says nothing more.
const maxRulesPerFlow = 500

// ScoringRules lists the scoring rules of a flow, in trigger then path order.
func ScoringRules(f *Flow, reg *Registry) []ScoringRule {
	nodes := make(map[string]*Node, len(f.Nodes))
	for i := range f.Nodes {
		nodes[f.Nodes[i].ID] = &f.Nodes[i]
	}
	out := map[string][]Edge{}
	for _, e := range f.Edges {
		out[e.From] = append(out[e.From], e)
	}
	// The audience is a condition of every rule: the fit criteria of the
	// reference model are written that way.
	var base []RuleCondition
	if len(f.Audience) > 0 && string(f.Audience) != "null" {
		var where any
		dec := json.NewDecoder(strings.NewReader(string(f.Audience)))
		dec.UseNumber()
		if dec.Decode(&where) == nil {
			base = []RuleCondition{{NodeID: "", Branch: "yes", Where: where, Text: DescribeFilterValue(where)}}
		}
	}
	var rules []ScoringRule
	type step struct {
		id    string
		conds []RuleCondition
		waits []string
	}
	for _, t := range f.Nodes {
		if !strings.HasPrefix(t.Type, "trigger.") {
			continue
		}
		trig := RuleTrigger{NodeID: t.ID, Type: t.Type, Config: t.Config}
		text := DescribeNode(&t, reg)
		// Depth-first, children in edge order, so rows follow the canvas.
		stack := []step{{id: t.ID, conds: base}}
		seen := 0
		for len(stack) > 0 && len(rules) < maxRulesPerFlow {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen++; seen > 100*maxRulesPerFlow {
				break // a malformed (cyclic) document never loops forever
			}
			n := nodes[s.id]
			if n == nil {
				continue
			}
			switch {
			case n.Type == "action.adjust_score":
				rules = append(rules, ScoringRule{FlowID: f.ID, FlowName: f.Name, FlowVersion: f.Version, NodeID: n.ID,
					Trigger: trig, TriggerText: text, Conditions: nonNil(s.conds), Delays: nonNil(s.waits),
					Entry: f.Entry, Dimension: configString(n.Config, "score"), Points: configInt(n.Config, "points")})
			case n.Type == "delay.wait":
				s.waits = append(append([]string{}, s.waits...), configString(n.Config, "for"))
			}
			next := out[n.ID]
			for i := len(next) - 1; i >= 0; i-- {
				e := next[i]
				child := step{id: e.To, conds: s.conds, waits: s.waits}
				if n.Type == "condition.if" {
					where := n.Config["where"]
					child.conds = append(append([]RuleCondition{}, s.conds...), RuleCondition{
						NodeID: n.ID, Branch: e.Branch, Where: where, Text: DescribeFilterValue(where)})
				}
				stack = append(stack, child)
			}
		}
	}
	return rules
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func configString(cfg map[string]any, key string) string {
	if v, ok := cfg[key]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

func configInt(cfg map[string]any, key string) int64 {
	switch v := cfg[key].(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

// DescribeNode says in a few words what a node does, for the matrix and logs:
// `Custom event "Booked call"`, `Page visited: url contains "/careers"`.
func DescribeNode(n *Node, reg *Registry) string {
	title := n.Type
	var spec *Spec
	if reg != nil {
		if s, ok := reg.Lookup(n.Type); ok {
			spec, title = s, s.Title
		}
	}
	c := n.Config
	switch n.Type {
	case "trigger.event":
		s := fmt.Sprintf("%s %q", title, configString(c, "name"))
		if w, ok := c["where"]; ok && w != nil {
			s += " where " + DescribeFilterValue(w)
		}
		return s
	case "trigger.page_visited":
		match := configString(c, "match")
		if match == "" {
			match = "contains"
		}
		return fmt.Sprintf("%s: url %s %q", title, match, configString(c, "url"))
	}
	var parts []string
	keys := make([]string, 0, len(c))
	if spec != nil {
		for _, f := range spec.Fields {
			keys = append(keys, f.Name)
		}
	} else {
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	}
	for _, k := range keys {
		v, ok := c[k]
		if !ok || v == nil || v == "" {
			continue
		}
		parts = append(parts, k+" "+describeValue(v))
	}
	if len(parts) == 0 {
		return title
	}
	return title + ": " + strings.Join(parts, ", ")
}

// DescribeFilterValue renders a filter (as decoded JSON) as one line:
// `job_title in ["CEO", "CMO"] and score >= 50`.
func DescribeFilterValue(v any) string {
	switch m := v.(type) {
	case map[string]any:
		if list, ok := m["all"].([]any); ok {
			return describeGroup(list, " and ")
		}
		if list, ok := m["any"].([]any); ok {
			return describeGroup(list, " or ")
		}
		if inner, ok := m["not"]; ok {
			return "not (" + DescribeFilterValue(inner) + ")"
		}
		if ev, ok := m["event"]; ok {
			return describeBehaviour(fmt.Sprint(ev), m)
		}
		if field, ok := m["field"]; ok {
			name := strings.TrimPrefix(fmt.Sprint(field), "attributes.")
			op := fmt.Sprint(m["op"])
			if op == "exists" || op == "not_exists" {
				return name + " " + strings.ReplaceAll(op, "_", " ")
			}
			return name + " " + opWords[op] + " " + describeValue(m["value"])
		}
	case nil:
		return "always"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var opWords = map[string]string{
	"eq": "=", "neq": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "in", "nin": "not in",
	"contains": "contains", "not_contains": "does not contain", "starts_with": "starts with",
	"ends_with": "ends with", "older_than": "older than", "newer_than": "newer than",
}

func describeGroup(list []any, sep string) string {
	if len(list) == 0 {
		return "always"
	}
	parts := make([]string, len(list))
	for i, c := range list {
		s := DescribeFilterValue(c)
		if m, ok := c.(map[string]any); ok && (m["all"] != nil || m["any"] != nil) && len(list) > 1 {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, sep)
}

func describeBehaviour(event string, m map[string]any) string {
	s := event
	if cnt, ok := m["count"].(map[string]any); ok {
		op, val := fmt.Sprint(cnt["op"]), describeValue(cnt["value"])
		switch {
		case (op == "eq" || op == "lte") && val == "0":
			s = "no " + event
		case op == "gte":
			s = fmt.Sprintf("%s at least %s times", event, val)
		case op == "eq":
			s = fmt.Sprintf("%s exactly %s times", event, val)
		default:
			s = fmt.Sprintf("%s count %s %s", event, opWords[op], val)
		}
	}
	if w, ok := m["where"]; ok && w != nil {
		s += " where " + DescribeFilterValue(w)
	}
	if within, ok := m["within"]; ok && within != nil {
		s += " in the last " + fmt.Sprint(within)
	}
	return s
}

func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = describeValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}
