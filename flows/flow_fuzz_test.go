package flows_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// flowSeeds are broken and unusual variants of the contract flow for the fuzzer
// to start from; the contract flow and the reference flows are added too.
var flowSeeds = []string{
	``,
	`null`,
	`{}`,
	`[]`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.event", "config": {"name": "Signed up"}}]}`,
	`{"id": "x", "name": "X", "entry": {"mode": "limited", "max": 2, "window": "1.5d"}, "nodes": [{"id": "t1", "type": "trigger.tag_added", "config": {"tag": "vip"}}, {"id": "a1", "type": "action.set_field", "config": {"field": "attributes.tier", "value": {"n": [1, 2.5, 1e21, -0, null]}}}], "edges": [{"from": "t1", "to": "a1"}]}`,
	`{"id": "x", "name": "X", "audience": {"any": [{"field": "score", "op": "gte", "value": 10}, {"event": "page_visited", "within": "60d", "count": {"op": "gte", "value": 2}}]}, "include_disqualified": true, "nodes": [{"id": "t1", "type": "trigger.page_visited", "config": {"url": "/blog/*", "match": "glob"}}, {"id": "a1", "type": "action.webhook", "config": {"url": "https://hooks.test/x", "headers": {"X-Key": "k"}}}], "edges": [{"from": "t1", "to": "a1"}]}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.page_visited", "config": {"url": "^https://acme\\.test/(pricing|plans)$", "match": "regex"}}, {"id": "a1", "type": "action.change_deal_stage", "config": {"stage": "mql"}}, {"id": "a2", "type": "action.disqualify", "config": {"reason": "competitor"}}, {"id": "a3", "type": "action.requalify", "config": {}}], "edges": [{"from": "t1", "to": "a1"}, {"from": "a1", "to": "a2"}, {"from": "a2", "to": "a3"}]}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.email_clicked", "config": {"email": "*", "link": "*pricing*"}}, {"id": "t2", "type": "trigger.field_changed", "config": {"field": "deal_stage"}}, {"id": "a1", "type": "action.add_tag", "config": {"tag": "engaged"}}], "edges": [{"from": "t1", "to": "a1"}, {"from": "t2", "to": "a1"}]}`,
	// Broken: each names one rule.
	`{"id": "x", "name": "X", "nodes": 3}`,
	`{"id": "x", "enabled": "yes"}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.page_visited", "config": {"url": "/p"}}]}}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.page_visited", "config": {"url": "(", "match": "regex"}}]}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.page_visited", "config": {"url": "/p"}}, {"id": "a1", "type": "action.adjust_score", "config": {"score": "fit", "points": "ten"}}], "edges": [{"from": "t1", "to": "a1"}]}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.page_visited", "config": {"url": "/p"}}, {"id": "a1", "type": "action.adjust_score", "config": {"score": "fit", "points": 1e400}}], "edges": [{"from": "t1", "to": "a1"}, {"from": "a1", "to": "a1"}]}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.tag_added", "config": {"tag": "a"}}, {"id": "a1", "type": "action.add_tag", "config": {"tag": "b"}}, {"id": "a2", "type": "action.add_tag", "config": {"tag": "c"}}], "edges": [{"from": "t1", "to": "a1"}, {"from": "a1", "to": "a2"}, {"from": "a2", "to": "a1"}, {"from": "a2", "to": "t1"}]}`,
	`{"id": "x", "name": "X", "nodes": [{"id": "t1", "type": "trigger.tag_added", "config": {"tag": "a"}}, {"id": "c1", "type": "condition.if", "config": {"where": {"not": {"field": "tags", "op": "contains", "value": "b"}}}}, {"id": "a1", "type": "action.remove_tag", "config": {"tag": "a"}}], "edges": [{"from": "t1", "to": "c1", "branch": "yes"}, {"from": "c1", "to": "a1"}, {"from": "c1", "to": "a1", "branch": "maybe"}, {"from": "c1", "to": "a1", "branch": "yes"}, {"from": "c1", "to": "a1", "branch": "yes"}]}`,
	`{"id": "x", "name": "X", "entry": {"mode": "limited"}, "audience": {"field": "score", "op": "like"}, "nodes": [{"id": "t1", "type": "trigger.nope"}, {"id": "t1", "type": "trigger.event", "config": {"name": "e", "where": {"event": "x"}}}]}`,
	`{"id": "x", "name": "X", "entry": {"mode": "limited", "max": 1, "window": "soon"}}`,
	`{"id": "x", "name": "X", "entry": {"mode": "sometimes", "max": -1, "window": "1ns"}, "nodes": [{"id": "", "type": ""}], "edges": [{"from": "", "to": ""}]}`,
	`{"id": "x\u0000", "name": "\ud800", "nodes": [{"id": "\u00e9", "type": "trigger.event", "config": {"name": "\u2028"}}]}`,
}

// FuzzParseFlow: no document makes Parse or Validate panic, and a flow that
// validates survives a JSON round trip and compiles.
func FuzzParseFlow(f *testing.F) {
	f.Add([]byte(contractFlow))
	names, err := filepath.Glob(filepath.Join(referenceFlows, "*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no reference flows in %s: %v", referenceFlows, err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range flowSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(strings.Replace(contractFlow, `"branch": "no"`, `"branch": "yes"`, 1)))
	f.Add([]byte(strings.Replace(contractFlow, `"to": "c1"`, `"to": "t1"`, 1)))
	f.Add([]byte(strings.Replace(contractFlow, `"points": 10`, `"points": "10"`, 1)))
	f.Add([]byte(strings.Replace(contractFlow, `"every_time"`, `"limited", "max": 3, "window": "30d"`, 1)))
	f.Add([]byte(contractFlow[:len(contractFlow)/2]))

	envs := []flows.Env{{}, {Stages: testStages}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, env := range envs {
			checkFlow(t, env, data)
		}
	})
}

// checkFlow parses and validates data; a flow that validates must compile and
// survive a JSON round trip.
func checkFlow(t *testing.T, env flows.Env, data []byte) {
	fl, err := flows.Parse(data)
	if err != nil {
		var inv *model.InvalidError
		if fl != nil || !errors.As(err, &inv) || inv.Code != "invalid_flow" || len(inv.Details) == 0 {
			t.Fatalf("Parse error is not an invalid_flow InvalidError with details: %#v", err)
		}
		return
	}
	errs := flows.Validate(fl, env)
	for _, e := range errs {
		if e.Path == "" || e.Message == "" {
			t.Fatalf("a detail without path or message: %#v", e)
		}
	}
	// Validate may fill in defaults, so Compile gets its own copy.
	fresh, err := flows.Parse(data)
	if err != nil {
		t.Fatalf("Parse is not deterministic: %v", err)
	}
	c, err := flows.Compile(fresh, env)
	if len(errs) > 0 {
		var inv *model.InvalidError
		if c != nil || !errors.As(err, &inv) || inv.Code != "invalid_flow" || !slices.Equal(inv.Details, errs) {
			t.Fatalf("Compile disagrees with Validate %v: %v", errs, err)
		}
		return
	}
	if err != nil || c == nil {
		t.Fatalf("a valid flow does not compile: %v\n%s", err, data)
	}

	// Round trip: the validated flow, written out and read back, is still valid.
	out, err := json.Marshal(fl)
	if err != nil {
		t.Fatalf("marshal a valid flow: %v", err)
	}
	back, err := flows.Parse(out)
	if err != nil {
		t.Fatalf("a valid flow does not re-parse: %v\n%s", err, out)
	}
	if errs := flows.Validate(back, env); len(errs) > 0 {
		t.Fatalf("a valid flow is invalid after a round trip: %v\n%s", errs, out)
	}
	back, _ = flows.Parse(out)
	c2, err := flows.Compile(back, env)
	if err != nil {
		t.Fatalf("a valid flow does not compile after a round trip: %v\n%s", err, out)
	}
	if len(c2.Triggers) != len(c.Triggers) || len(c2.Steps) != len(c.Steps) ||
		!maps.EqualFunc(c.Next, c2.Next, slices.Equal) || c.Window != c2.Window {
		t.Fatalf("the round trip changed the compiled flow\n%s", out)
	}
	for i := range c.Triggers {
		if c.Triggers[i].NodeID != c2.Triggers[i].NodeID || c.Triggers[i].Trigger.Key() != c2.Triggers[i].Trigger.Key() {
			t.Fatalf("the round trip changed trigger %d\n%s", i, out)
		}
	}
}
