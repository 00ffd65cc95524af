// Package segments keeps segment membership: which segments a change to a
// contact can affect, in what order to evaluate them (a segment may use
// another's membership), and when a membership can next change by time
// alone. The engine evaluates membership inside the transaction of every
// change; the scheduler re-evaluates time-based segments when their moment
// comes; a whole-database pass hands the filter to the store, whose
// backend compiles it to its own SQL.
package segments

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// Change names what changed on a contact, to find the segments that read it.
type Change string

// Changes a contact can go through.
const (
	ChangeScore      Change = "score" // any dimension: score, score.<d> and grade read it
	ChangeTags       Change = "tags"
	ChangeSegments   Change = "segments"
	ChangeDealStage  Change = "deal_stage"
	ChangeDisqualify Change = "disqualified"
	ChangeActivity   Change = "last_activity_at"
	ChangeEmail      Change = "email"
	ChangeCreated    Change = "created" // a new contact: every segment applies
	ChangeAccount    Change = "account" // its account, or the account's traits or scores: account.* reads it
)

// AttributeChange is the change of one attribute.
func AttributeChange(name string) Change { return Change("attributes." + name) }

// EventChange is a new event of a type (behaviour leaves read it).
func EventChange(eventType string) Change {
	if c, ok := eventChanges.Load(eventType); ok {
		return c.(Change)
	}
	c := Change("event:" + eventType)
	if internedEventChanges.Add(1) <= maxInternedEventChanges {
		eventChanges.Store(eventType, c)
	}
	return c
}

// eventChanges interns EventChange's answers: one is asked for every event,
// and a workspace's event types are few. Types are the senders' to name,
// though, so the table stops growing at maxInternedEventChanges; past it a
// new type costs its concatenation, as every type did before.
var (
	eventChanges         sync.Map
	internedEventChanges atomic.Int64
)

const maxInternedEventChanges = 4096

// Segment is a compiled segment.
type Segment struct {
	ID     string
	Name   string
	Filter *flows.Filter
	// TimeBased: its membership can change with time alone (a behaviour leaf
	// with a window, or older_than/newer_than).
	TimeBased bool
	deps      []Change
	refs      []string // segments whose membership it reads
	tree      *timeNode
	order     int
}

// Set is an immutable set of compiled segments in evaluation order.
type Set struct {
	List   []*Segment // referenced segments come before those that use them
	byID   map[string]*Segment
	byDep  map[Change][]*Segment
	timed  []*Segment
	anyRef bool
}

// Compile parses one segment's filter.
func Compile(s model.Segment) (*Segment, []model.FieldError) {
	var errs []model.FieldError
	if !validID(s.ID) {
		errs = append(errs, model.FieldError{Path: "id", Message: "must be 1 to 128 letters, digits, '_', '-', '.' or ':', starting with a letter or digit"})
	}
	if strings.TrimSpace(s.Name) == "" {
		errs = append(errs, model.FieldError{Path: "name", Message: "is required"})
	}
	if len(s.Where) == 0 || string(s.Where) == "null" {
		errs = append(errs, model.FieldError{Path: "where", Message: "is required: a filter such as {\"field\": \"score\", \"op\": \"gte\", \"value\": 50}"})
		return nil, errs
	}
	f, details := flows.ParseFilter(s.Where, flows.ContactFilter)
	errs = append(errs, model.PrefixPaths("where", details)...)
	if len(errs) > 0 {
		return nil, errs
	}
	seg := &Segment{ID: s.ID, Name: s.Name, Filter: f}
	seg.refs = references(f)
	seg.TimeBased = len(f.TimeLeaves()) > 0
	seg.tree = buildTimeTree(f)
	seg.deps = dependencies(f)
	return seg, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !ok && (i == 0 || !strings.ContainsRune("_-.:", r)) {
			return false
		}
	}
	return true
}

// dependencies maps the fields and event types a filter reads to changes.
func dependencies(f *flows.Filter) []Change {
	seen := map[Change]bool{ChangeCreated: true}
	for _, field := range f.Fields() {
		mark := flows.ChangeOf(field)
		if mark == "" {
			continue
		}
		seen[Change(mark)] = true
		if name, ok := strings.CutPrefix(mark, "attributes."); ok {
			// A dotted read (attributes.address.city) also depends on the
			// attributes it may walk through (address).
			for i := strings.IndexByte(name, '.'); i > 0; i = nextDot(name, i) {
				seen[AttributeChange(name[:i])] = true
			}
		}
	}
	for _, ev := range f.BehaviourEvents() {
		seen[EventChange(ev)] = true
	}
	out := make([]Change, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// references lists, sorted, the segment ids the filter's leaves on
// "segments" name, whatever their op (a behaviour leaf's where reads event
// properties, not segments).
func references(f *flows.Filter) []string {
	seen := map[string]bool{}
	var walk func(n flows.FilterNode)
	walk = func(n flows.FilterNode) {
		switch t := n.(type) {
		case flows.AllNode:
			for _, c := range t {
				walk(c)
			}
		case flows.AnyNode:
			for _, c := range t {
				walk(c)
			}
		case flows.NotNode:
			walk(t.Child())
		case *flows.FieldCond:
			if t.Field() != "segments" {
				return
			}
			switch v := t.Value().(type) {
			case string:
				seen[v] = true
			case []any:
				for _, e := range v {
					if s, ok := e.(string); ok {
						seen[s] = true
					}
				}
			}
		}
	}
	walk(f.Root())
	return slices.Sorted(maps.Keys(seen))
}

func nextDot(s string, i int) int {
	if j := strings.IndexByte(s[i+1:], '.'); j >= 0 {
		return i + 1 + j
	}
	return -1
}

// References reports whether the segment reads another's membership.
func (s *Segment) References(id string) bool {
	for _, r := range s.refs {
		if r == id {
			return true
		}
	}
	return false
}

// Backfill reports a whole-database pass over one segment.
type Backfill struct {
	Contacts int   `json:"contacts"` // evaluated
	Entered  int   `json:"entered"`
	Exited   int   `json:"exited"`
	Fired    bool  `json:"fired"` // whether flows ran for the moves
	Millis   int64 `json:"duration_ms"`
}

// CycleError names the segments that reference each other in a loop.
type CycleError struct{ Path []string }

func (e *CycleError) Error() string {
	return "segments reference each other in a cycle: " + strings.Join(e.Path, " → ")
}

// NewSet orders segments so that a segment comes after every segment it
// references, and indexes them by what they read. A reference cycle or a
// reference to a missing segment is an error.
func NewSet(list []*Segment) (*Set, error) {
	s := &Set{byID: map[string]*Segment{}, byDep: map[Change][]*Segment{}}
	for _, seg := range list {
		s.byID[seg.ID] = seg
	}
	ids := make([]string, 0, len(list))
	for _, seg := range list {
		ids = append(ids, seg.ID)
		for _, r := range seg.refs {
			if _, ok := s.byID[r]; !ok {
				return nil, fmt.Errorf("segment %q uses segment %q, which does not exist", seg.ID, r)
			}
		}
	}
	sort.Strings(ids)
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) error
	visit = func(id string) error {
		state[id] = active
		stack = append(stack, id)
		refs := append([]string(nil), s.byID[id].refs...)
		sort.Strings(refs)
		for _, r := range refs {
			switch state[r] {
			case active:
				start := 0
				for i, x := range stack {
					if x == r {
						start = i
					}
				}
				return &CycleError{Path: append(append([]string(nil), stack[start:]...), r)}
			case unseen:
				if err := visit(r); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		s.byID[id].order = len(s.List)
		s.List = append(s.List, s.byID[id])
		return nil
	}
	for _, id := range ids {
		if state[id] == unseen {
			if err := visit(id); err != nil {
				return nil, err
			}
		}
	}
	for _, seg := range s.List {
		for _, d := range seg.deps {
			s.byDep[d] = append(s.byDep[d], seg)
		}
		if len(seg.refs) > 0 {
			s.anyRef = true
		}
		if seg.TimeBased {
			s.timed = append(s.timed, seg)
		}
	}
	return s, nil
}

// Get returns a segment by id.
func (s *Set) Get(id string) (*Segment, bool) {
	seg, ok := s.byID[id]
	return seg, ok
}

// HasDependents reports whether another segment reads this one's membership.
func (s *Set) HasDependents(id string) bool {
	for _, seg := range s.List {
		if seg.References(id) {
			return true
		}
	}
	return false
}

// Timed lists the segments whose membership can change with time alone.
func (s *Set) Timed() []*Segment { return s.timed }

// Affected returns, in evaluation order, the segments that read any of the
// changes. Membership changes chain: when one segment's membership changes,
// the caller evaluates again with ChangeSegments. It runs for nearly every
// event, so it keeps to one allocation: a contact's changes are a few, and
// so are the segments they reach.
func (s *Set) Affected(changes []Change) []*Segment {
	if s == nil || len(changes) == 0 {
		return nil
	}
	if slices.Contains(changes, ChangeCreated) {
		return s.List
	}
	var out []*Segment
	for _, c := range changes {
		for _, seg := range s.byDep[c] {
			if !slices.Contains(out, seg) {
				out = append(out, seg)
			}
		}
	}
	slices.SortFunc(out, func(a, b *Segment) int { return a.order - b.order })
	return out
}
