package flows

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/model"
)

// FilterKind says what a filter is evaluated against.
type FilterKind int

const (
	// ContactFilter reads a contact: attributes.<name>, score, score.<dim>,
	// grade, tags, segments, deal_stage, disqualified, created_at,
	// last_activity_at; behaviour leaves are allowed.
	ContactFilter FilterKind = iota
	// EventFilter reads an event's properties by name (any non-empty name; a
	// dotted name such as "context.page" reaches into nested objects);
	// behaviour leaves are not allowed.
	EventFilter
)

func (k FilterKind) String() string {
	switch k {
	case ContactFilter:
		return "contact filter"
	case EventFilter:
		return "event filter"
	}
	return "filter kind " + strconv.Itoa(int(k))
}

// Limits that keep a hostile or runaway filter cheap to parse and to match.
const (
	MaxFilterDepth = 32
	MaxFilterNodes = 1000
)

// maxFilterErrors bounds the details one bad filter reports; past it the
// editor has enough to fix and the rest would be noise.
const maxFilterErrors = 50

// ErrNoEventHistory is what Match returns when a behaviour leaf meets a
// Subject that cannot count events.
var ErrNoEventHistory = errors.New("behaviour filters need event history")

// Subject is what a filter reads. Value receives the field name as written in
// the filter ("attributes.job_title", "score.fit", "context.page").
type Subject interface {
	Value(field string) (any, bool)
}

// EventCounter is implemented by subjects that can answer behaviour leaves.
type EventCounter interface {
	CountEvents(q BehaviourQuery) (int, error)
}

// BehaviourQuery asks how many of a contact's events match a behaviour leaf.
type BehaviourQuery struct {
	Type  string
	Where *Filter   // EventFilter on the event's properties, nil = any
	Since time.Time // zero = all time; else only events with timestamp >= Since
	// Now is the time the filter is evaluated at: pass it to Where.Match so
	// older_than/newer_than on event properties agree with the outer filter.
	Now time.Time
}

// PropertiesSubject lets a filter read a map of event properties; nested
// objects are reached by dotted names through Filter's own lookup.
type PropertiesSubject map[string]any

// Value returns the property named field.
func (p PropertiesSubject) Value(field string) (any, bool) {
	v, ok := p[field]
	return v, ok
}

// Filter is a parsed, validated filter (CONTRACT §4): immutable and safe for
// concurrent use. A nil *Filter matches everything.
//
// Evaluation is meant to be predictable for marketers:
//
//   - Field lookup: the Subject is asked for the field name as written; if it
//     has no such value and the name is dotted, it is asked for ever shorter
//     dotted prefixes and the first value found is walked through nested
//     objects, one dot per level ("context.page" finds {"context": {"page": …}}).
//   - Values: strings, numbers (float64, int, int64 and other Go integers,
//     json.Number), bools, nil, time.Time (or *time.Time), []string, []any and
//     map[string]any. A nil slice, map or pointer counts as nil. Objects never
//     match a comparison, and values of other types never match.
//   - Missing or nil fields: neq, nin, not_contains and not_exists are true,
//     every other op is false. exists means present and not nil: an empty
//     string or an empty array is present.
//   - Negated ops are exactly the negation of their positive op: neq = not eq,
//     nin = not in, not_contains = not contains, not_exists = not exists.
//   - Strings compare case-insensitively (both sides lowercased) for eq, in,
//     contains, starts_with and ends_with. contains on a string field is a
//     substring test.
//   - Numbers compare numerically across Go number types. A numeric string is
//     still a string: "25" eq 25 is false. Only gt/gte/lt/lte read a string
//     field that parses as a number numerically against a number value.
//   - Times: a time.Time, or a string in RFC3339 / RFC3339Nano. gt/gte/lt/lte
//     with a time value compare as times; eq with a time value matches a
//     time.Time field at the same instant (string fields compare as text).
//     older_than D: field time < now-D; newer_than D: field time >= now-D;
//     a field that is not a time matches neither.
//   - Booleans: eq true/false matches bool fields only. In a contact filter,
//     disqualified reads missing or nil as false and any non-bool value (the
//     disqualification record) as true.
//   - Arrays (tags, segments, array attributes or properties): a positive op
//     matches when any element matches it, except that contains tests element
//     equality rather than substrings; neq, nin and not_contains are true
//     when no element matches. Nested arrays and objects inside an array
//     never match.
//   - Behaviour leaves: the Subject must implement EventCounter, else Match
//     returns ErrNoEventHistory. Events of the type since now-within (all
//     time without within) that match where are counted and the count is
//     compared with count (default gte 1).
//   - Score velocity: a score_change (or score_change.<dimension>) leaf
//     takes "within" and compares, as a number, the sum the Subject's
//     ScoreChanger gives for history rows with event_at in (now-within,
//     now]; a Subject without it makes Match return ErrNoScoreHistory. Like
//     behaviour leaves it reads history, so it is evaluated late.
//   - all of nothing is true, any of nothing is false; evaluation
//     short-circuits, field leaves before behaviour leaves (which query the
//     event history) and otherwise left to right, so an error after a
//     decided result is not reached.
type Filter struct {
	kind   FilterKind
	root   FilterNode
	fields []string
	events []string
}

// ParseFilter parses a filter from raw JSON. Error paths are relative to the
// filter root: "" for the root itself, then e.g. "all[1].op", "not.value",
// "any[0].where.field".
func ParseFilter(raw json.RawMessage, kind FilterKind) (*Filter, []model.FieldError) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, []model.FieldError{{Path: "", Message: "a filter is required"}}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// Numbers stay exact until validation so out-of-range values get a path.
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, []model.FieldError{{Path: "", Message: "the filter is not valid JSON: " + err.Error()}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, []model.FieldError{{Path: "", Message: "the filter must be a single JSON object"}}
	}
	return ParseFilterValue(v, kind)
}

// ParseFilterValue parses a filter from already-decoded JSON (map[string]any,
// []any, string, float64, json.Number, int64, bool, nil).
func ParseFilterValue(v any, kind FilterKind) (*Filter, []model.FieldError) {
	if kind != ContactFilter && kind != EventFilter {
		return nil, []model.FieldError{{Path: "", Message: fmt.Sprintf("unknown %s", kind)}}
	}
	p := &filterParser{}
	root := p.node(v, "", kind, 1)
	if p.failures > 0 {
		return nil, p.errs
	}
	return newFilter(root, kind), nil
}

func newFilter(root FilterNode, kind FilterKind) *Filter {
	fields, events := map[string]struct{}{}, map[string]struct{}{}
	collectNames(root, fields, events)
	return &Filter{
		kind:   kind,
		root:   root,
		fields: slices.Sorted(maps.Keys(fields)),
		events: slices.Sorted(maps.Keys(events)),
	}
}

// Kind says whether the filter reads contacts or event properties.
func (f *Filter) Kind() FilterKind { return f.kind }

// Match evaluates the filter against s at time now (the reference point of
// older_than, newer_than and within). It fails only for behaviour leaves.
func (f *Filter) Match(s Subject, now time.Time) (bool, error) {
	if f == nil {
		return true, nil
	}
	return f.root.match(s, now)
}

// MarshalJSON writes the filter as JSON that ParseFilter reads back.
func (f *Filter) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	return json.Marshal(f.root.jsonValue())
}

// Fields lists, sorted and once each, every field the filter's field leaves
// read. Fields of a behaviour leaf's where are event properties, not fields
// of the subject, so they are not listed (see its Where's own Fields).
func (f *Filter) Fields() []string {
	if f == nil {
		return nil
	}
	return slices.Clone(f.fields)
}

// BehaviourEvents lists, sorted and once each, the event types of the
// filter's behaviour leaves.
func (f *Filter) BehaviourEvents() []string {
	if f == nil {
		return nil
	}
	return slices.Clone(f.events)
}

// FilterNode is one node of a parsed filter (see filter_tree.go).
type FilterNode interface {
	match(s Subject, now time.Time) (bool, error)
	// jsonValue returns what MarshalJSON encodes for the node.
	jsonValue() any
}

// AllNode holds when every child does (true when empty).
type AllNode []FilterNode

func (n AllNode) match(s Subject, now time.Time) (bool, error) {
	// Field leaves first: a false one settles the result without the
	// event-history queries of behaviour leaves (all and any commute).
	for _, costly := range [2]bool{false, true} {
		for _, c := range n {
			if readsHistory(c) != costly {
				continue
			}
			if ok, err := c.match(s, now); err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

// readsHistory reports whether a node has a behaviour leaf.
func readsHistory(n FilterNode) bool {
	switch t := n.(type) {
	case *EventCond:
		return true
	case *FieldCond:
		return t.within > 0 // score_change reads the score history
	case AllNode:
		for _, c := range t {
			if readsHistory(c) {
				return true
			}
		}
	case AnyNode:
		for _, c := range t {
			if readsHistory(c) {
				return true
			}
		}
	case NotNode:
		return readsHistory(t.child)
	}
	return false
}

func (n AllNode) jsonValue() any {
	return struct {
		AllNode []any `json:"all"`
	}{childrenJSON(n)}
}

// AnyNode holds when some child does (false when empty).
type AnyNode []FilterNode

func (n AnyNode) match(s Subject, now time.Time) (bool, error) {
	for _, costly := range [2]bool{false, true} {
		for _, c := range n {
			if readsHistory(c) != costly {
				continue
			}
			if ok, err := c.match(s, now); err != nil || ok {
				return ok && err == nil, err
			}
		}
	}
	return false, nil
}

func (n AnyNode) jsonValue() any {
	return struct {
		AnyNode []any `json:"any"`
	}{childrenJSON(n)}
}

func childrenJSON(nodes []FilterNode) []any {
	out := make([]any, len(nodes)) // never nil: "all": [] must not become null
	for i, c := range nodes {
		out[i] = c.jsonValue()
	}
	return out
}

// NotNode negates its child.
type NotNode struct{ child FilterNode }

func (n NotNode) match(s Subject, now time.Time) (bool, error) {
	ok, err := n.child.match(s, now)
	if err != nil {
		return false, err
	}
	return !ok, nil
}

func (n NotNode) jsonValue() any {
	return struct {
		NotNode any `json:"not"`
	}{n.child.jsonValue()}
}

func collectNames(n FilterNode, fields, events map[string]struct{}) {
	switch t := n.(type) {
	case AllNode:
		for _, c := range t {
			collectNames(c, fields, events)
		}
	case AnyNode:
		for _, c := range t {
			collectNames(c, fields, events)
		}
	case NotNode:
		collectNames(t.child, fields, events)
	case *FieldCond:
		fields[t.field] = struct{}{}
	case *EventCond:
		events[t.event] = struct{}{}
	}
}

// Op is a field-leaf or count operator.
type Op uint8

const (
	OpEq Op = iota + 1
	OpNeq
	OpGt
	OpGte
	OpLt
	OpLte
	OpIn
	OpNin
	OpContains
	OpNotContains
	OpExists
	OpNotExists
	OpStartsWith
	OpEndsWith
	OpOlderThan
	OpNewerThan
)

var filterOpNames = [...]string{
	OpEq: "eq", OpNeq: "neq", OpGt: "gt", OpGte: "gte", OpLt: "lt", OpLte: "lte",
	OpIn: "in", OpNin: "nin", OpContains: "contains", OpNotContains: "not_contains",
	OpExists: "exists", OpNotExists: "not_exists", OpStartsWith: "starts_with",
	OpEndsWith: "ends_with", OpOlderThan: "older_than", OpNewerThan: "newer_than",
}

const (
	opList      = "eq, neq, gt, gte, lt, lte, in, nin, contains, not_contains, exists, not_exists, starts_with, ends_with, older_than, newer_than"
	countOpList = "eq, neq, gt, gte, lt, lte"
)

func (o Op) String() string {
	if int(o) < len(filterOpNames) && filterOpNames[o] != "" {
		return filterOpNames[o]
	}
	return "op " + strconv.Itoa(int(o))
}

func parseFilterOp(s string) (Op, bool) {
	for o, name := range filterOpNames {
		if name != "" && name == s {
			return Op(o), true
		}
	}
	return 0, false
}

// positive splits a negated op into the op it negates, so a negated op is
// by construction the exact negation of its positive.
func (o Op) positive() (Op, bool) {
	switch o {
	case OpNeq:
		return OpEq, true
	case OpNin:
		return OpIn, true
	case OpNotContains:
		return OpContains, true
	case OpNotExists:
		return OpExists, true
	}
	return o, false
}

func (o Op) isOrder() bool { return o >= OpGt && o <= OpLte }

// holds reports whether a comparison result c (as from cmp.Compare) satisfies o.
func (o Op) holds(c int) bool {
	switch o {
	case OpEq:
		return c == 0
	case OpNeq:
		return c != 0
	case OpGt:
		return c > 0
	case OpGte:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLte:
		return c <= 0
	}
	return false
}

// holdsFloat is holds for numbers, where NaN satisfies nothing.
func (o Op) holdsFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return false
	}
	return o.holds(cmp.Compare(a, b))
}

type scalarKind uint8

const (
	nullScalar scalarKind = iota
	stringScalar
	numberScalar
	boolScalar
)

// filterScalar is a filter value prepared at parse time, so Match never
// lowercases or parses the filter's side.
type filterScalar struct {
	kind   scalarKind
	lower  string // stringScalar, lowercased
	num    float64
	b      bool
	t      time.Time // when a stringScalar is an RFC3339 time
	isTime bool
}

// scalarOf prepares v, returning also the plain value MarshalJSON writes.
func scalarOf(v any) (filterScalar, any, bool) {
	switch x := v.(type) {
	case nil:
		return filterScalar{kind: nullScalar}, nil, true
	case string:
		s := filterScalar{kind: stringScalar, lower: strings.ToLower(x)}
		s.t, s.isTime = parseTime(x)
		return s, x, true
	case bool:
		return filterScalar{kind: boolScalar, b: x}, x, true
	}
	if f, ok := toNumber(v); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return filterScalar{kind: numberScalar, num: f}, f, true
	}
	return filterScalar{}, nil, false
}

// setIndexMin is the list length from which in/nin look values up in maps
// rather than scanning the list.
const setIndexMin = 16

// valueSet is the prepared value list of in/nin.
type valueSet struct {
	items    []filterScalar
	strs     map[string]struct{}  // lowercased; only for long lists
	nums     map[float64]struct{} // only for long lists
	hasTrue  bool
	hasFalse bool
	hasTimes bool
}

func newValueSet(items []filterScalar) *valueSet {
	s := &valueSet{items: items}
	for _, it := range items {
		switch {
		case it.kind == boolScalar && it.b:
			s.hasTrue = true
		case it.kind == boolScalar:
			s.hasFalse = true
		case it.isTime:
			s.hasTimes = true
		}
	}
	if len(items) < setIndexMin {
		return s
	}
	s.strs, s.nums = map[string]struct{}{}, map[float64]struct{}{}
	for _, it := range items {
		switch it.kind {
		case stringScalar:
			s.strs[it.lower] = struct{}{}
		case numberScalar:
			s.nums[it.num] = struct{}{}
		}
	}
	return s
}

func (s *valueSet) hasString(v string) bool {
	if s.strs != nil {
		_, ok := s.strs[strings.ToLower(v)]
		return ok
	}
	for _, it := range s.items {
		if it.kind == stringScalar && equalLower(v, it.lower) {
			return true
		}
	}
	return false
}

func (s *valueSet) hasNumber(f float64) bool {
	if s.nums != nil {
		_, ok := s.nums[f]
		return ok
	}
	for _, it := range s.items {
		if it.kind == numberScalar && it.num == f {
			return true
		}
	}
	return false
}

func (s *valueSet) hasBool(b bool) bool {
	if b {
		return s.hasTrue
	}
	return s.hasFalse
}

func (s *valueSet) hasTime(t time.Time) bool {
	if !s.hasTimes {
		return false
	}
	for _, it := range s.items {
		if it.isTime && it.t.Equal(t) {
			return true
		}
	}
	return false
}

// FieldCond is a field leaf: {"field": F, "op": OP, "value": V}.
type FieldCond struct {
	field  string
	op     Op // as written
	base   Op // op with negation removed
	negate bool
	value  any // as MarshalJSON writes it
	want   filterScalar
	set    *valueSet     // in, nin
	span   time.Duration // older_than, newer_than
	// within is the window of a Window field (score_change), 0 for every
	// other field; withinText is it as written, for MarshalJSON.
	within     time.Duration
	withinText string
	dimension  string // score_change.<dimension>; "" for score_change
	// boolean marks a contact's disqualified, read as a bool whatever the
	// Subject holds (nil, or the disqualification record).
	boolean bool
}

func (c *FieldCond) match(s Subject, now time.Time) (bool, error) {
	if c.within > 0 {
		return c.matchScoreChange(s, now)
	}
	v := plainValue(lookupField(s, c.field))
	if c.boolean {
		v = truthy(v)
	}
	var hit bool
	if c.base == OpExists {
		hit = v != nil
	} else {
		hit = c.matchValue(v, now)
	}
	return hit != c.negate, nil
}

// matchValue applies the positive op to a field value; arrays match when
// any element does.
func (c *FieldCond) matchValue(v any, now time.Time) bool {
	elemOp := c.base
	if elemOp == OpContains {
		elemOp = OpEq // contains on an array means "has this element"
	}
	switch x := v.(type) {
	case nil, map[string]any:
		return false
	case []string:
		for _, e := range x {
			if c.matchString(e, elemOp, now) {
				return true
			}
		}
		return false
	case []any:
		for _, e := range x {
			if c.matchScalar(plainValue(e), elemOp, now) {
				return true
			}
		}
		return false
	}
	return c.matchScalar(v, c.base, now)
}

func (c *FieldCond) matchScalar(v any, op Op, now time.Time) bool {
	switch x := v.(type) {
	case string:
		return c.matchString(x, op, now)
	case bool:
		return c.matchBool(x, op)
	case time.Time:
		return c.matchTime(x, op, now)
	}
	if f, ok := toNumber(v); ok {
		return c.matchNumber(f, op)
	}
	return false
}

func (c *FieldCond) matchString(s string, op Op, now time.Time) bool {
	w := &c.want
	switch op {
	case OpEq:
		return w.kind == stringScalar && equalLower(s, w.lower)
	case OpIn:
		return c.set.hasString(s)
	case OpContains:
		return w.kind == stringScalar && containsLower(s, w.lower)
	case OpStartsWith:
		return hasPrefixLower(s, w.lower)
	case OpEndsWith:
		return hasSuffixLower(s, w.lower)
	case OpGt, OpGte, OpLt, OpLte:
		if w.isTime {
			t, ok := parseTime(s)
			return ok && op.holds(t.Compare(w.t))
		}
		if w.kind == numberScalar {
			f, ok := parseNumber(s)
			return ok && op.holdsFloat(f, w.num)
		}
	case OpOlderThan, OpNewerThan:
		t, ok := parseTime(s)
		return ok && c.matchAge(t, op, now)
	}
	return false
}

func (c *FieldCond) matchNumber(f float64, op Op) bool {
	switch op {
	case OpEq:
		return c.want.kind == numberScalar && f == c.want.num
	case OpIn:
		return c.set.hasNumber(f)
	case OpGt, OpGte, OpLt, OpLte:
		return c.want.kind == numberScalar && op.holdsFloat(f, c.want.num)
	}
	return false
}

func (c *FieldCond) matchBool(b bool, op Op) bool {
	switch op {
	case OpEq:
		return c.want.kind == boolScalar && b == c.want.b
	case OpIn:
		return c.set.hasBool(b)
	}
	return false
}

func (c *FieldCond) matchTime(t time.Time, op Op, now time.Time) bool {
	switch op {
	case OpEq:
		return c.want.isTime && t.Equal(c.want.t)
	case OpIn:
		return c.set.hasTime(t)
	case OpGt, OpGte, OpLt, OpLte:
		return c.want.isTime && op.holds(t.Compare(c.want.t))
	case OpOlderThan, OpNewerThan:
		return c.matchAge(t, op, now)
	}
	return false
}

func (c *FieldCond) matchAge(t time.Time, op Op, now time.Time) bool {
	older := t.Before(now.Add(-c.span))
	return older == (op == OpOlderThan)
}

func (c *FieldCond) jsonValue() any {
	if c.within > 0 {
		return struct {
			Field  string `json:"field"`
			Within string `json:"within"`
			Op     string `json:"op"`
			Value  any    `json:"value"`
		}{c.field, c.withinText, c.op.String(), c.value}
	}
	if c.base == OpExists {
		return struct {
			Field string `json:"field"`
			Op    string `json:"op"`
		}{c.field, c.op.String()}
	}
	return struct {
		Field string `json:"field"`
		Op    string `json:"op"`
		Value any    `json:"value"`
	}{c.field, c.op.String(), c.value}
}

// EventCond is a behaviour leaf:
// {"event": TYPE, "where": <EventFilter>, "within": "60d", "count": {"op": "gte", "value": 2}}.
type EventCond struct {
	event      string
	where      *Filter
	within     time.Duration
	withinText string // as written, so the editor gets "72h" back rather than "3d"
	countOp    Op
	count      int
}

func (b *EventCond) match(s Subject, now time.Time) (bool, error) {
	counter, ok := s.(EventCounter)
	if !ok {
		return false, fmt.Errorf("filter on %q events: %w", b.event, ErrNoEventHistory)
	}
	q := BehaviourQuery{Type: b.event, Where: b.where, Now: now}
	if b.within > 0 {
		q.Since = now.Add(-b.within)
	}
	n, err := counter.CountEvents(q)
	if err != nil {
		return false, fmt.Errorf("count %q events: %w", b.event, err)
	}
	return b.countOp.holds(cmp.Compare(n, b.count)), nil
}

type countJSON struct {
	Op    string `json:"op"`
	Value int    `json:"value"`
}

func (b *EventCond) jsonValue() any {
	out := struct {
		Event  string     `json:"event"`
		Where  *Filter    `json:"where,omitempty"`
		Within string     `json:"within,omitempty"`
		Count  *countJSON `json:"count,omitempty"`
	}{Event: b.event, Where: b.where, Within: b.withinText}
	if b.countOp != OpGte || b.count != 1 { // gte 1 is the default
		out.Count = &countJSON{Op: b.countOp.String(), Value: b.count}
	}
	return out
}

// lookupField reads field from s, walking nested objects for dotted names
// the Subject does not know as a whole.
func lookupField(s Subject, field string) any {
	if v, ok := s.Value(field); ok {
		return v
	}
	for end := strings.LastIndexByte(field, '.'); end > 0; end = strings.LastIndexByte(field[:end], '.') {
		if v, ok := s.Value(field[:end]); ok {
			return walkObject(v, field[end+1:])
		}
	}
	return nil
}

// walkObject follows a dotted path through nested map[string]any values.
func walkObject(v any, path string) any {
	for {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		key, rest, more := strings.Cut(path, ".")
		if v, ok = m[key]; !ok || !more {
			return v
		}
		path = rest
	}
}

// plainValue maps the ways Go spells "nothing" (nil slices, maps and time
// pointers) to nil and dereferences *time.Time.
func plainValue(v any) any {
	switch x := v.(type) {
	case *time.Time:
		if x == nil {
			return nil
		}
		return *x
	case []string:
		if x == nil {
			return nil
		}
	case []any:
		if x == nil {
			return nil
		}
	case map[string]any:
		if x == nil {
			return nil
		}
	}
	return v
}

// truthy reads a contact's disqualified: missing, nil or a nil pointer is
// false, a bool is itself, anything else (the disqualification record) true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return !rv.IsNil()
	}
	return true
}

// toNumber reads any Go number (and json.Number) as a float64.
func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint8:
		return float64(x), true
	case float32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// parseNumber reads a numeric string field for gt/gte/lt/lte. The first-byte
// check keeps ordinary strings from paying for a failed ParseFloat, and
// "Inf"/"NaN" stay strings.
func parseNumber(s string) (float64, bool) {
	if s == "" || !strings.ContainsRune("+-.0123456789", rune(s[0])) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// parseTime reads an RFC3339 (or RFC3339Nano) time. The shape check first
// keeps ordinary strings from paying for a failed time.Parse.
func parseTime(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// equalLower reports whether s, lowercased rune by rune as strings.ToLower
// does, equals lower, without allocating.
func equalLower(s, lower string) bool {
	rest, ok := trimPrefixLower(s, lower)
	return ok && rest == ""
}

// hasPrefixLower reports whether s lowercased starts with lower.
func hasPrefixLower(s, lower string) bool {
	_, ok := trimPrefixLower(s, lower)
	return ok
}

// trimPrefixLower matches lower against the start of s lowercased and
// returns what of s is left.
func trimPrefixLower(s, lower string) (string, bool) {
	for lower != "" {
		if s == "" {
			return "", false
		}
		r, n := utf8.DecodeRuneInString(s)
		q, m := utf8.DecodeRuneInString(lower)
		if unicode.ToLower(r) != q {
			return "", false
		}
		s, lower = s[n:], lower[m:]
	}
	return s, true
}

// containsLower reports whether s lowercased contains lower. Short inputs
// are scanned in place, which does not allocate; long ones are lowercased
// once so the cost stays linear.
func containsLower(s, lower string) bool {
	if len(s)*len(lower) > 1<<14 {
		return strings.Contains(strings.ToLower(s), lower)
	}
	for i := 0; ; {
		if hasPrefixLower(s[i:], lower) {
			return true
		}
		if i >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
}

// hasSuffixLower reports whether s lowercased ends with lower.
func hasSuffixLower(s, lower string) bool {
	for lower != "" {
		if s == "" {
			return false
		}
		r, n := utf8.DecodeLastRuneInString(s)
		q, m := utf8.DecodeLastRuneInString(lower)
		if unicode.ToLower(r) != q {
			return false
		}
		s, lower = s[:len(s)-n], lower[:len(lower)-m]
	}
	return true
}

// filterParser checks a whole filter in one pass, collecting every problem
// so the editor can show them together.
type filterParser struct {
	errs     []model.FieldError
	failures int  // counts every failure, also those past maxFilterErrors
	nodes    int  // nodes seen, against MaxFilterNodes
	stop     bool // a limit was hit: give up
}

func (p *filterParser) fail(path, format string, args ...any) {
	p.failures++
	if len(p.errs) >= maxFilterErrors {
		p.stop = true
		return
	}
	p.errs = append(p.errs, model.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func filterPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func filterIndexPath(base string, i int) string {
	return base + "[" + strconv.Itoa(i) + "]"
}

const nodeShapes = `{"all": [...]}, {"any": [...]}, {"not": {...}}, a field condition {"field", "op", "value"} (with "within" for score_change) or a behaviour condition {"event", "where", "within", "count"}`

// shapeOfKey tells which kind of node each allowed key belongs to.
var shapeOfKey = map[string]string{
	"all": `"all"`, "any": `"any"`, "not": `"not"`,
	"field": "a field condition", "op": "a field condition", "value": "a field condition",
	"event": "a behaviour condition", "where": "a behaviour condition",
	"within": "a behaviour condition", "count": "a behaviour condition",
}

func (p *filterParser) node(v any, path string, kind FilterKind, depth int) FilterNode {
	if p.stop {
		return nil
	}
	p.nodes++
	if p.nodes > MaxFilterNodes {
		p.fail(path, "the filter has more than %d conditions; split it up, e.g. into segments", MaxFilterNodes)
		p.stop = true
		return nil
	}
	if depth > MaxFilterDepth {
		p.fail(path, "the filter is nested more than %d levels deep", MaxFilterDepth)
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "must be a filter object: %s", nodeShapes)
		return nil
	}
	switch p.shape(obj, path) {
	case `"all"`:
		return AllNode(p.children(obj["all"], filterPath(path, "all"), kind, depth))
	case `"any"`:
		return AnyNode(p.children(obj["any"], filterPath(path, "any"), kind, depth))
	case `"not"`:
		return NotNode{p.node(obj["not"], filterPath(path, "not"), kind, depth+1)}
	case "a field condition":
		return p.fieldCond(obj, path, kind)
	case "a behaviour condition":
		return p.eventCond(obj, path, kind, depth)
	}
	return nil
}

// shape reports which single kind of node obj is, failing on unknown keys
// and on keys of different kinds.
func (p *filterParser) shape(obj map[string]any, path string) string {
	var found []string
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		s, ok := shapeOfKey[key]
		if _, field := obj["field"]; key == "within" && field {
			s = "a field condition" // score_change's window
		}
		if !ok {
			p.fail(filterPath(path, key), "unknown key %q; a filter node is one of %s", key, nodeShapes)
			continue
		}
		if !slices.Contains(found, s) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		p.fail(path, "must be one of %s", nodeShapes)
		return ""
	case 1:
		return found[0]
	}
	p.fail(path, "mixes %s and %s; a filter node is exactly one of %s", found[0], found[1], nodeShapes)
	return ""
}

func (p *filterParser) children(v any, path string, kind FilterKind, depth int) []FilterNode {
	arr, ok := v.([]any)
	if !ok {
		p.fail(path, "must be an array of filters")
		return nil
	}
	out := make([]FilterNode, 0, min(len(arr), MaxFilterNodes))
	for i, c := range arr {
		if p.stop {
			break
		}
		out = append(out, p.node(c, filterIndexPath(path, i), kind, depth+1))
	}
	return out
}

func (p *filterParser) fieldCond(obj map[string]any, path string, kind FilterKind) FilterNode {
	before := p.failures
	c := &FieldCond{field: p.fieldName(obj, path, kind)}
	c.op = p.op(obj, path)
	valueOK := false
	if c.op != 0 {
		c.base, c.negate = c.op.positive()
		beforeValue := p.failures
		p.fieldValue(c, obj, path)
		valueOK = p.failures == beforeValue
	}
	p.window(c, obj, path, kind, valueOK)
	if kind == ContactFilter && p.failures == before {
		p.contactRules(c, path)
	}
	if p.failures != before {
		return nil
	}
	return c
}

func (p *filterParser) fieldName(obj map[string]any, path string, kind FilterKind) string {
	path = filterPath(path, "field")
	raw, has := obj["field"]
	name, ok := raw.(string)
	switch {
	case !has:
		p.fail(path, "is required")
	case !ok:
		p.fail(path, "must be a string")
	case name == "":
		p.fail(path, "must not be empty")
	case kind == ContactFilter && !isContactField(name):
		p.fail(path, "unknown field %q; use %s", name, ContactFieldNames())
	}
	return name
}

func isContactField(name string) bool {
	_, _, ok := LookupContactField(name)
	return ok
}

func (p *filterParser) op(obj map[string]any, path string) Op {
	path = filterPath(path, "op")
	raw, has := obj["op"]
	s, ok := raw.(string)
	if !has {
		p.fail(path, "is required; use one of %s", opList)
		return 0
	}
	o, known := parseFilterOp(s)
	if !ok || !known {
		p.fail(path, "unknown op %s; use one of %s", describe(raw), opList)
		return 0
	}
	return o
}

// fieldValue checks and prepares the value the op needs.
func (p *filterParser) fieldValue(c *FieldCond, obj map[string]any, path string) {
	if c.base == OpExists {
		return // exists and not_exists take no value; one given is ignored
	}
	path = filterPath(path, "value")
	raw, has := obj["value"]
	if !has {
		p.fail(path, "is required for op %s", c.op)
		return
	}
	switch {
	case c.base == OpIn:
		c.set, c.value = p.valueList(raw, path, c.op)
	case c.op == OpOlderThan || c.op == OpNewerThan:
		c.span, c.value = p.duration(raw, path)
	default:
		want, plain, ok := scalarOf(raw)
		if !ok || !scalarFits(c.op, want) {
			p.fail(path, "%s", valueHint(c.op))
			return
		}
		c.want, c.value = want, plain
	}
}

// scalarFits reports whether a scalar value suits op; in, nin, older_than and
// newer_than are checked elsewhere.
func scalarFits(op Op, v filterScalar) bool {
	switch {
	case op.isOrder():
		return v.kind == numberScalar || v.isTime
	case op == OpStartsWith || op == OpEndsWith:
		return v.kind == stringScalar
	}
	return true
}

func valueHint(op Op) string {
	switch {
	case op.isOrder():
		return fmt.Sprintf("must be a number or an RFC3339 time such as \"2024-01-31T09:00:00Z\" for op %s", op)
	case op == OpStartsWith || op == OpEndsWith:
		return fmt.Sprintf("must be a string for op %s", op)
	}
	return fmt.Sprintf("must be a string, number, boolean or null for op %s", op)
}

func (p *filterParser) valueList(raw any, path string, op Op) (*valueSet, any) {
	var list []any
	switch x := raw.(type) {
	case []any:
		list = x
	case []string:
		for _, s := range x {
			list = append(list, s)
		}
	default:
		p.fail(path, "must be an array of values for op %s, e.g. [\"a\", \"b\"]", op)
		return nil, nil
	}
	items := make([]filterScalar, 0, len(list))
	plain := make([]any, 0, len(list)) // never nil: "value": [] must not become null
	for i, e := range list {
		s, v, ok := scalarOf(e)
		if !ok {
			p.fail(filterIndexPath(path, i), "must be a string, number, boolean or null")
			continue
		}
		items, plain = append(items, s), append(plain, v)
	}
	return newValueSet(items), plain
}

// duration reads a span such as "60d"; it returns the text as written (but
// trimmed) for MarshalJSON, so "72h" stays "72h".
func (p *filterParser) duration(raw any, path string) (time.Duration, string) {
	s, ok := raw.(string)
	if !ok {
		p.fail(path, "must be a duration such as \"30m\", \"72h\" or \"60d\"")
		return 0, ""
	}
	d, err := model.ParseDuration(s)
	if err != nil {
		p.fail(path, "%s", err.Error())
		return 0, ""
	}
	return time.Duration(d), strings.TrimSpace(s)
}

// contactRules checks what only makes sense for contact fields, by their
// type in the table of contact fields.
func (p *filterParser) contactRules(c *FieldCond, path string) {
	field, _, _ := LookupContactField(c.field)
	switch {
	case field.Window:
		// window checked the op and the value
	case field.Type == FieldBool:
		c.boolean = true
		if c.base != OpEq {
			p.fail(filterPath(path, "op"), "%s is a boolean: use eq or neq with true or false", c.field)
		} else if c.want.kind != boolScalar {
			p.fail(filterPath(path, "value"), "must be true or false: %s is a boolean", c.field)
		}
	case (c.op == OpOlderThan || c.op == OpNewerThan) && !IsTimeField(c.field):
		p.fail(filterPath(path, "op"), "%s needs a time field: %s", c.op, timeFieldNames())
	}
}

// timeFieldNames lists the fields older_than and newer_than take.
func timeFieldNames() string {
	var names []string
	for _, f := range contactFields {
		if f.Type == FieldTime {
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, ", ") + " or attributes.<name>"
}

func (p *filterParser) eventCond(obj map[string]any, path string, kind FilterKind, depth int) FilterNode {
	if kind == EventFilter {
		p.fail(filterPath(path, "event"), "behaviour conditions cannot be used inside a filter on an event's properties")
		return nil
	}
	before := p.failures
	b := &EventCond{event: p.eventType(obj, path), countOp: OpGte, count: 1}
	if raw := obj["where"]; raw != nil {
		if n := p.node(raw, filterPath(path, "where"), EventFilter, depth+1); n != nil {
			b.where = newFilter(n, EventFilter)
		}
	}
	if raw := obj["within"]; raw != nil {
		b.within, b.withinText = p.duration(raw, filterPath(path, "within"))
	}
	if raw := obj["count"]; raw != nil {
		b.countOp, b.count = p.count(raw, filterPath(path, "count"))
	}
	if p.failures != before {
		return nil
	}
	return b
}

func (p *filterParser) eventType(obj map[string]any, path string) string {
	path = filterPath(path, "event")
	raw, has := obj["event"]
	s, ok := raw.(string)
	switch {
	case !has:
		p.fail(path, "is required")
	case !ok:
		p.fail(path, "must be a string (an event type)")
	case strings.TrimSpace(s) == "":
		p.fail(path, "must not be empty")
	}
	return s
}

// maxCount bounds count values so they fit an int everywhere.
const maxCount = math.MaxInt32

func (p *filterParser) count(raw any, path string) (Op, int) {
	obj, ok := raw.(map[string]any)
	if !ok {
		p.fail(path, "must be an object such as {\"op\": \"gte\", \"value\": 2}")
		return 0, 0
	}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		if key != "op" && key != "value" {
			p.fail(filterPath(path, key), "unknown key %q; count has op and value", key)
		}
	}
	opName, _ := obj["op"].(string)
	o, known := parseFilterOp(opName)
	if !known || !o.isOrder() && o != OpEq && o != OpNeq {
		if _, has := obj["op"]; !has {
			p.fail(filterPath(path, "op"), "is required; use one of %s", countOpList)
		} else {
			p.fail(filterPath(path, "op"), "unknown count op %s; use one of %s", describe(obj["op"]), countOpList)
		}
	}
	f, isNum := toNumber(obj["value"])
	if !isNum || f < 0 || f > maxCount || f != math.Trunc(f) {
		if _, has := obj["value"]; !has {
			p.fail(filterPath(path, "value"), "is required")
		} else {
			p.fail(filterPath(path, "value"), "must be a whole number of events, 0 or more")
		}
		return o, 0
	}
	return o, int(f)
}

// describe quotes a bad value for an error message, briefly.
func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	const limit = 60
	if len(b) <= limit {
		return string(b)
	}
	n := limit
	for n > 0 && !utf8.RuneStart(b[n]) { // cut on a character boundary
		n--
	}
	return string(b[:n]) + "…"
}
