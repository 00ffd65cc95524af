package storetest

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// The property test's generator: random contacts (raw JSON attributes and
// event properties full of edge cases: number spellings, RFC 3339 corner
// cases, Unicode case folding, nesting, dotted keys) and random valid
// filters whose values are often taken from what the contacts hold.

// propGen draws contacts and filters from small pools, so that filters often
// meet the values contacts hold.
type propGen struct {
	r *rand.Rand
	// What generated contacts and events hold, decoded: filters often
	// take their values from here.
	attrs, props []map[string]any
	// The population's accounts (filter_accounts.go): ids contacts join
	// and the attributes they hold.
	accountIDs   []string
	accountAttrs []map[string]any
	// noNUL stands U+0001 for NUL in the texts drawn, for a backend whose
	// text cannot hold NUL (PostgreSQL): data it refuses to store is no
	// data it must filter, and filters drawn from the same texts still
	// meet what contacts hold.
	noNUL bool
}

// str is a text of the pools as this backend can store it.
func (g *propGen) str(s string) string {
	if g.noNUL {
		return strings.ReplaceAll(s, "\x00", "\x01")
	}
	return s
}

func (g *propGen) pick(list []string) string { return list[g.r.IntN(len(list))] }
func (g *propGen) chance(p float64) bool     { return g.r.Float64() < p }

var propSpans = []string{"1h", "1d", "30d", "60d", "90d", "36h"}

func propSpan(s string) time.Duration {
	d, err := model.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return time.Duration(d)
}

// propBoundaryTimes are instants on and around now-span for every span.
func propBoundaryTimes() []time.Time {
	var out []time.Time
	for _, s := range propSpans {
		b := filterNow.Add(-propSpan(s))
		out = append(out, b, b.Add(-time.Nanosecond), b.Add(time.Nanosecond), b.Truncate(time.Millisecond),
			b.Truncate(time.Millisecond).Add(time.Millisecond), b.Truncate(time.Second))
	}
	return out
}

// propTexts are the strings contacts and filters hold, by kind; a key's last
// label picks its kind (propKeyKind), so a filter on a key meets the kind of
// values contacts hold there and matches often enough to test something.
var propTexts = map[string][]string{
	"role": {"student", "Student", "STUDENT", "unemployed", "CEO", "ceo", "", "a", "B", "vip", "VIP", "/blog/go",
		"https://x.io/BLOG/post", "/pricing", "blog", "k", "i", "it's", "%_%", "*?["},
	"num": {"25", "+25", "25.0", "-25", "2_5", "_25", "25_", "2__5", "1e3", "1E3", "1e+3", "1e-3", "1_0e1_0", "1e_3", ".5", "5.", ".",
		"-0", "+.5e-2", "1e400", "-1e400", "1e-400", "12345678901234567", "007", "0_7", "Inf", "+Inf", "NaN", " 25", "25 ",
		"1.5.5", "e5", "1e", "--1", "+-1", "1,5", "١٢", "3", "0.1", "60", "1000", "1e999999999", "0e999999999", "1x", "25\x00", "1\x00x", "2\x005"},
	"time": {"2025-03-10T12:00:00Z", "2025-03-10T12:00:00.123456789Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
		"2025-03-10T2:00:00.5Z", "2025-03-10T2:00:00Z", "2025-03-10T02:00:00,5+01:00", "2025-03-10T02:00:00+24:60",
		"2025-03-10T02:00:00+25:00", "2025-03-10T02:00:00+01:61", "2025-03-10t02:00:00Z", "2025-03-10T02:00:00z",
		"2025-03-10T02:00:00.Z", "2025-03-10T02:00:60Z", "2025-03-10T24:00:00Z", "0000-01-01T00:00:00Z", "0000-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "9999-12-31T23:59:59.999999999999Z", "2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z",
		"2025-03-10T02:00:00.1234567891-00:30", "2025-03-10T02:00:00-0030", "2025-03-10 02:00:00Z", "2025-03-10T02:00:00+01:00junk",
		"2025-03-10T02:00:00Z ", " 2025-03-10T02:00:00Z", "2025-03-10T02:0:00Z", "2025-03-10T123:00:00Z", "2025-04-31T00:00:00Z",
		"2025-03-10T12:00:00-00:00", "2025-03-10T12:00:00+00:00", "2025-03-10T2:00:00+01:00", "2025-03-10T02:00:00.5,5Z",
		"2024-12-01T00:00:00Z", "2020-01-01T00:00:00+05:00", "2025-01-09T09:00:00-03:00", "1999-12-31T23:59:59.9Z", "2025-03-10T12:00:00Z\x00", "2025-03-10T12:00:00\x00Z"},
	"fold": {"\u212Aelvin", "kelvin", "KELVIN", "\u0130stanbul", "istanbul", "İSTANBUL", "café", "CAFÉ", "Café", "straße", "STRAẞE",
		"ǅ", "ǆ", "Ǆ", "σ", "Σ", "ς", "Ω", "ω", "\u2126", "x\x00y", "X\x00Y", "\x00", "日本", "emoji😀", "Å", "\u212B", "å",
		`he said "hi"`, `back\slash`, "<tag>&amp;", "İ", "i̇"},
}

// propKinds lists propTexts' keys in a fixed order.
var propKinds = []string{"role", "num", "time", "fold"}

func init() {
	for _, t := range propBoundaryTimes() {
		propTexts["time"] = append(propTexts["time"], t.Format(time.RFC3339Nano), t.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339Nano))
	}
}

// propKeyKind is the kind of values held under a key (by its last label).
func propKeyKind(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	switch name {
	case "job_role", "plan", "b", "url", "page", "tags":
		return "role"
	case "n", "flag", "a", "0", "c", "engagement":
		return "num"
	case "t", "context", "x", "created":
		return "time"
	}
	return "fold"
}

// propNumbers holds JSON number spellings (raw), so both readers decode
// exactly what is stored.
var propNumbers = []string{
	"0", "-0", "1", "2", "3", "25", "25.0", "25.5", "-3", "1e2", "1E-7", "0.1", "100000000000000000000",
	"9007199254740993", "9007199254740992", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
	"1.7976931348623157e308", "5e-324", "123456789012345678", "3.14159", "60", "50",
}

// propFilterNumbers are the numbers filters compare with.
var propFilterNumbers = []any{0.0, 1.0, 2.0, 3.0, 25.0, 25.5, -3.0, 100.0, 1e-7, 0.1, 1e20, 9007199254740992.0, 50.0, 60.0, -1e300, 1000.0, 0.005}

var (
	propAttrKeys   = []string{"job_role", "plan", "n", "s", "t", "arr", "a", "a.b", "a.b.c", "b", `q"k`, `bs\k`, "<&>", "ü", "", "x.", "context", "context.page", "flag"}
	propPropKeys   = []string{"url", "n", "context", "context.page", "page", "tags", "a.b", "a", "flag", "", "x."}
	propNestKeys   = []string{"b", "c", "page", "b.c", "", "0"}
	propGrades     = []string{"", "", "hot", "Warm", "COLD", "50", "k", "\u212A", "2025-03-10T12:00:00Z"}
	propStages     = []string{"", "", "mql", "SQL", "lost", "25", "2025-01-10T12:00:00Z"}
	propTags       = []string{"vip", "VIP", "Student", "42", "kelvin", "\u212Aelvin", "2025-01-01T00:00:00Z", "", "x\x00y", "1_0"}
	propSegments   = []string{"mql", "dead-end", "Hot", "hot"}
	propDims       = []string{"fit", "engagement", "a.b", ""}
	propEventTypes = []string{"email_opened", "page_visited", "Booked call"}
	propDimFields  = []string{"score.fit", "score.engagement", "score.a.b", "score.missing", "score.a"}
	// propChangeFields are score velocity's fields, which take "within".
	propChangeFields = []string{"score_change", "score_change.fit", "score_change.engagement", "score_change.a.b", "score_change.missing"}
	propOps          = []string{"eq", "neq", "gt", "gte", "lt", "lte", "in", "nin", "contains", "not_contains", "exists", "not_exists", "starts_with", "ends_with", "older_than", "newer_than"}
	propCountOps     = []string{"eq", "neq", "gt", "gte", "lt", "lte"}
)

// jsonValue draws a raw JSON value, mostly of the key's kind.
func (g *propGen) jsonValue(key string, depth int) string {
	kind := propKeyKind(key)
	if g.chance(0.2) {
		kind = g.pick(propKinds)
	}
	switch n := g.r.IntN(20); {
	case n == 0:
		return "null"
	case n == 1:
		return "true"
	case n == 2:
		return "false"
	case n < 5 || n < 9 && kind == "num":
		return g.pick(propNumbers)
	case n < 16 || depth >= 2:
		return jsonText(g.str(g.pick(propTexts[kind])))
	case n < 18:
		k := g.r.IntN(4)
		parts := make([]string, k)
		for i := range parts {
			parts[i] = g.jsonValue(key, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		return g.object(propNestKeys, g.r.IntN(4), depth+1)
	}
}

// object draws a raw JSON object with distinct keys from keys.
func (g *propGen) object(keys []string, n, depth int) string {
	perm := g.r.Perm(len(keys))
	parts := []string{}
	for _, i := range perm[:min(n, len(keys))] {
		parts = append(parts, jsonText(keys[i])+":"+g.jsonValue(keys[i], depth))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g *propGen) someTime(around time.Time, spread time.Duration) time.Time {
	if g.chance(0.3) {
		bs := propBoundaryTimes()
		return bs[g.r.IntN(len(bs))]
	}
	return around.Add(-time.Duration(g.r.Int64N(int64(spread))))
}

func (g *propGen) strs(list []string) []string {
	for i, s := range list {
		list[i] = g.str(s)
	}
	return list
}

func (g *propGen) subset(pool []string) []string {
	out := []string{}
	for _, s := range pool {
		if g.chance(0.25) {
			out = append(out, s)
		}
	}
	return out
}

func (g *propGen) contact(id string) filterContact {
	c := &model.Contact{ID: id, Scores: map[string]int64{}, Grade: g.pick(propGrades), DealStage: g.pick(propStages),
		Tags: g.strs(g.subset(propTags)), Segments: g.subset(propSegments)}
	for _, d := range propDims {
		if g.chance(0.5) {
			v := g.r.Int64N(200) - 50
			if g.chance(0.05) {
				v = 1<<53 + 1
			}
			c.Scores[d] = v
			c.Score += v
		}
	}
	if g.chance(0.3) {
		c.Disqualified = &model.Disqualification{At: filterNow.Add(-day), Reason: "test"}
	}
	g.joinAccount(c)
	c.CreatedAt = msOf(g.someTime(filterNow, 200*day))
	if g.chance(0.7) {
		c.LastActivityAt = ptr(msOf(g.someTime(filterNow, 100*day)))
	}
	tc := filterContact{c: c, attrs: g.object(propAttrKeys, 6+g.r.IntN(14), 0)}
	g.attrs = append(g.attrs, propDecode(tc.attrs))
	for range g.r.IntN(7) {
		ev := filterEvent{typ: g.pick(propEventTypes), ts: g.someTime(filterNow, 120*day)}
		if g.chance(0.8) {
			ev.props = g.object(propPropKeys, 1+g.r.IntN(4), 0)
			g.props = append(g.props, propDecode(ev.props))
		}
		tc.events = append(tc.events, ev)
	}
	for range g.r.IntN(6) {
		// Around every window's edge, inside, outside, and now and then
		// stamped ahead of now (an event from the future).
		l := filterLedger{dim: g.pick(propDims), delta: g.r.Int64N(61) - 20, eventAt: msOf(g.someTime(filterNow, 100*day))}
		if g.chance(0.1) {
			l.eventAt = msOf(g.someTime(filterNow.Add(2*day), 2*day))
		}
		if g.chance(0.03) {
			l.delta = 1 << 52
		}
		tc.ledger = append(tc.ledger, l)
	}
	return tc
}

// filter draws a valid contact filter.
func (g *propGen) filter(depth int) any {
	n := g.r.IntN(10)
	switch {
	case depth < 3 && n < 2:
		return map[string]any{"all": g.children(depth)}
	case depth < 3 && n < 4:
		return map[string]any{"any": g.children(depth)}
	case depth < 3 && n < 5:
		return map[string]any{"not": g.filter(depth + 1)}
	case n < 7:
		return g.behaviour(depth)
	}
	return g.leaf(flows.ContactFilter)
}

func (g *propGen) children(depth int) []any {
	list := make([]any, g.r.IntN(4))
	for i := range list {
		list[i] = g.filter(depth + 1)
	}
	return list
}

func (g *propGen) eventFilter(depth int) any {
	n := g.r.IntN(10)
	switch {
	case depth < 2 && n < 2:
		return map[string]any{"all": g.eventChildren(depth)}
	case depth < 2 && n < 3:
		return map[string]any{"any": g.eventChildren(depth)}
	case depth < 2 && n < 4:
		return map[string]any{"not": g.eventFilter(depth + 1)}
	}
	return g.leaf(flows.EventFilter)
}

func (g *propGen) eventChildren(depth int) []any {
	list := make([]any, g.r.IntN(3))
	for i := range list {
		list[i] = g.eventFilter(depth + 1)
	}
	return list
}

func (g *propGen) behaviour(depth int) any {
	b := map[string]any{"event": g.pick(propEventTypes)}
	if g.chance(0.6) {
		b["where"] = g.eventFilter(depth + 1)
	}
	if g.chance(0.7) {
		b["within"] = g.pick(propSpans)
	}
	if g.chance(0.7) {
		b["count"] = map[string]any{"op": g.pick(propCountOps), "value": g.r.IntN(4)}
	}
	return b
}

func (g *propGen) contactField() string {
	switch n := g.r.IntN(22); {
	case n >= 20:
		return g.pick(propChangeFields)
	case n < 9:
		names := append(append([]string{}, propAttrKeys...), "a.b.x", "a.x", "arr.0", "x..y", "a..b", "missing", "context.page.b", "a.b.c.b")
		name := g.pick(names)
		if name == "" {
			name = "x."
		}
		return "attributes." + name
	case n < 11:
		return g.pick(propDimFields)
	case n < 12:
		return "score"
	case n < 14:
		return g.accountField()
	}
	return g.pick([]string{"grade", "deal_stage", "tags", "segments", "disqualified", "created_at", "last_activity_at"})
}

func (g *propGen) scalar(field string) any {
	switch n := g.r.IntN(20); {
	case n == 0:
		return nil
	case n == 1:
		return g.chance(0.5)
	case n < 4:
		return propFilterNumbers[g.r.IntN(len(propFilterNumbers))]
	case n < 6:
		var f float64
		if err := json.Unmarshal([]byte(g.pick(propNumbers)), &f); err != nil {
			panic(err)
		}
		return f
	}
	return g.text(field, false)
}

// text draws a string a field is likely to hold, in another case now and
// then, or a piece of one (for contains, starts_with, ends_with).
func (g *propGen) text(field string, piece bool) string {
	pool := propTexts[propKeyKind(field)]
	if g.chance(0.1) {
		pool = propTexts[g.pick(propKinds)]
	}
	switch field {
	case "grade":
		pool = propGrades
	case "deal_stage":
		pool = propStages
	case "tags":
		pool = propTags
	case "segments":
		pool = propSegments
	}
	s := g.str(g.pick(pool))
	switch g.r.IntN(4) {
	case 0:
		s = strings.ToUpper(s)
	case 1:
		s = strings.ToLower(s)
	}
	if piece {
		runes := []rune(s)
		i := g.r.IntN(len(runes) + 1)
		j := i + g.r.IntN(len(runes)-i+1)
		s = string(runes[i:j])
	}
	return s
}

// orderValue is a number or a valid RFC3339 time, as gt/gte/lt/lte need.
func (g *propGen) orderValue() any {
	if g.chance(0.5) {
		return propFilterNumbers[g.r.IntN(len(propFilterNumbers))]
	}
	for {
		s := g.pick(propTexts["time"])
		if _, err := time.Parse(time.RFC3339, s); err == nil && len(s) >= 20 {
			return s
		}
	}
}

func propDecode(raw string) map[string]any {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		panic(err)
	}
	return m
}

// heldValue draws a value that some contact or event holds at field (as
// flows' lookup finds it: whole key, then dotted prefixes walked), shaped
// for op: a piece of a string for contains/starts_with/ends_with, a
// number or time for gt/gte/lt/lte, a list for in/nin.
func (g *propGen) heldValue(field, op string, kind flows.FilterKind) (any, bool) {
	var docs []map[string]any
	name := field
	if kind == flows.EventFilter {
		docs = g.props
	} else if n, ok := strings.CutPrefix(field, "attributes."); ok {
		docs, name = g.attrs, n
	} else if n, ok := strings.CutPrefix(field, "account.attributes."); ok {
		docs, name = g.accountAttrs, n
	}
	if len(docs) == 0 {
		return nil, false
	}
	v := propLookup(docs[g.r.IntN(len(docs))], name)
	if arr, ok := v.([]any); ok && len(arr) > 0 {
		v = arr[g.r.IntN(len(arr))]
	}
	switch x := v.(type) {
	case string:
		switch g.r.IntN(3) {
		case 0:
			x = strings.ToUpper(x)
		case 1:
			x = strings.ToLower(x)
		}
		switch op {
		case "contains", "not_contains", "starts_with", "ends_with":
			runes := []rune(x)
			i := g.r.IntN(len(runes) + 1)
			j := i + g.r.IntN(len(runes)-i+1)
			if op == "starts_with" {
				i = 0
			}
			if op == "ends_with" {
				j = len(runes)
			}
			return string(runes[i:j]), true
		case "gt", "gte", "lt", "lte":
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f, true
			}
		case "in", "nin":
			return []any{x, g.scalar(field)}, true
		}
		return x, true
	case float64, bool:
		if op == "in" || op == "nin" {
			return []any{g.scalar(field), x}, true
		}
		return x, true
	}
	return nil, false
}

// propLookup is flows' field lookup over a decoded object.
func propLookup(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for end := strings.LastIndexByte(name, '.'); end > 0; end = strings.LastIndexByte(name[:end], '.') {
		v, ok := m[name[:end]]
		if !ok {
			continue
		}
		for _, label := range strings.Split(name[end+1:], ".") {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = obj[label]
		}
		return v
	}
	return nil
}

// leaf draws field leaves until one parses.
func (g *propGen) leaf(kind flows.FilterKind) any {
	for {
		field := g.contactField()
		if kind == flows.EventFilter {
			field = g.pick(append(append([]string{}, propPropKeys...), "context.page", "context.b", "a.b.c", "x..", "tags.0", "missing"))
			if field == "" {
				field = "x."
			}
		}
		op := g.pick(propOps)
		m := map[string]any{"field": field, "op": op}
		if kind == flows.ContactFilter && strings.HasPrefix(field, "score_change") {
			// Sums of a few deltas of -20..40: small whole numbers meet them.
			m["within"], m["value"] = g.pick(propSpans), float64(g.r.IntN(61)-20)
			if g.chance(0.3) {
				m["value"] = 0.0 // the sum of no rows, or of rows that cancel out
			}
			if _, errs := flows.ParseFilterValue(m, kind); len(errs) == 0 && g.chance(0.7) {
				return m
			}
		}
		if v, ok := g.heldValue(field, op, kind); ok && g.chance(0.6) {
			m["value"] = v
			if _, errs := flows.ParseFilterValue(m, kind); len(errs) == 0 {
				return m
			}
		}
		switch op {
		case "exists", "not_exists":
		case "in", "nin":
			n := g.r.IntN(5)
			if g.chance(0.1) {
				n = 20 + g.r.IntN(60) // long lists take other paths
			}
			list := make([]any, n)
			for i := range list {
				list[i] = g.scalar(field)
			}
			m["value"] = list
		case "gt", "gte", "lt", "lte":
			m["value"] = g.orderValue()
		case "starts_with", "ends_with":
			m["value"] = g.text(field, g.chance(0.5))
		case "contains", "not_contains":
			if g.chance(0.5) {
				m["value"] = g.text(field, true)
			} else {
				m["value"] = g.scalar(field)
			}
		case "older_than", "newer_than":
			m["value"] = g.pick(propSpans)
		default:
			m["value"] = g.scalar(field)
		}
		if field == "disqualified" && kind == flows.ContactFilter {
			m["op"] = g.pick([]string{"eq", "neq"})
			m["value"] = g.chance(0.5)
		}
		if _, errs := flows.ParseFilterValue(m, kind); len(errs) == 0 {
			return m
		}
	}
}
