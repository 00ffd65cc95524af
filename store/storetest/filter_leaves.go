package storetest

import "encoding/json"

// LeafFilters is every op on every kind of contact field and of event
// property (in a behaviour leaf's where, within a window and counted to
// zero), with each of values, as raw contact filters: each leaf alone,
// negated, and ORed with a score test. Those a backend's compiler takes
// must be true or false for every contact, never NULL, so that NOT (expr)
// selects exactly the others. Many do not parse (an op the value or field
// does not take); the caller skips them.
func LeafFilters(values []any) []string {
	fields := []string{"score", "score.fit", "score.none", "grade", "deal_stage", "tags", "segments", "disqualified",
		"created_at", "last_activity_at", "attributes.a", "attributes.a.b", "attributes.a.b.c", "attributes.s", "attributes.n", "attributes.none"}
	props := []string{"a", "a.b", "a.b.c", "s", "n", "none"}
	ops := []string{"eq", "neq", "gt", "gte", "lt", "lte", "in", "nin", "contains", "not_contains", "exists", "not_exists",
		"starts_with", "ends_with", "older_than", "newer_than"}
	var leaves []string
	for _, op := range ops {
		for _, v := range values {
			for _, f := range fields {
				leaves = append(leaves, leafJSON(map[string]any{"field": f, "op": op, "value": v}))
			}
			for _, p := range props {
				where := leafJSON(map[string]any{"field": p, "op": op, "value": v})
				leaves = append(leaves, `{"event":"t","within":"60d","where":`+where+`}`,
					`{"event":"t","where":`+where+`,"count":{"op":"eq","value":0}}`)
			}
		}
	}
	for _, op := range ops {
		for _, v := range values {
			for _, f := range []string{"score_change", "score_change.fit"} {
				leaves = append(leaves, leafJSON(map[string]any{"field": f, "within": "7d", "op": op, "value": v}))
			}
		}
	}
	var out []string
	for _, leaf := range leaves {
		out = append(out, leaf, `{"not":`+leaf+`}`, `{"any":[`+leaf+`,{"field":"score","op":"gt","value":100}]}`)
	}
	return out
}

func leafJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
