package engine

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// Model is a scoring model as the engine runs it: settings, flows (enabled
// ones run) and segments.
type Model struct {
	Settings model.Settings
	Flows    []store.FlowRecord
	Segments []model.Segment
}

// SandboxOptions configure a Sandbox.
type SandboxOptions struct {
	// KeepHistory keeps every ledger row, for History (tests, rescore).
	KeepHistory bool
	// MaxCascadeDepth caps chains of internal events; default 8, as live.
	MaxCascadeDepth int
	// ReadEvents are event types whose history the caller's own filters
	// read (Match), kept beside those the model reads.
	ReadEvents []string
	// ReadScoreChange says the caller's own filters read score_change.
	ReadScoreChange bool
}

// Sandbox replays events through a model with the live engine's own unit of
// work (apply, cascade, segments, entry modes, caps, delays, decay, grades)
// over memory (memTx): one code path with the live engine, no second
// interpreter. The clock is the replay's: each event is applied at its own
// timestamp, and before it the scheduled passes run as they would at that
// moment (parked runs wake, time-based segments move, scores decay), so a
// replay equals a live engine whose scheduler ran just before each event.
// Nothing reaches a store: no webhook, no counter, no OnRun hook.
//
// A Sandbox is not safe for concurrent use.
type Sandbox struct {
	eng  *Engine
	tx   *memTx
	fs   *flowSet
	u    *unit
	now  time.Time
	seen map[string]bool

	keepHistory bool
	read        map[string]bool // event types a filter of the model reads
	scoreWindow bool            // a filter reads score_change: keep the score rows
}

// NewSandbox compiles a model into a sandbox. Flows that do not compile are
// skipped, as the live engine skips them.
func NewSandbox(m Model, opt SandboxOptions) (*Sandbox, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fs, err := sandboxFlowSet(m, log)
	if err != nil {
		return nil, err
	}
	return newSandbox(fs, log, opt), nil
}

// newSandbox runs a compiled flow set (a model's, or the live engine's own
// for a rescore).
func newSandbox(fs *flowSet, log *slog.Logger, opt SandboxOptions) *Sandbox {
	eng := &Engine{log: log, maxDepth: opt.MaxCascadeDepth, now: time.Now}
	if eng.maxDepth <= 0 {
		eng.maxDepth = 8
	}
	// The sandbox's contacts live in its memTx; the engine's cache stays
	// empty (it is only filled after a live commit).
	eng.contacts, _ = lru.New[string, *store.ContactRecord](1)
	// Likewise the alias cache: merges resolve through the memTx.
	eng.aliases, _ = lru.New[string, string](1)
	// Parked runs resume on the flow version they started on, which is
	// always one of the model's: the version cache holds them all.
	eng.versions, _ = lru.New[string, *flows.Compiled](max(1024, 2*len(fs.flows)))
	for _, c := range fs.flows {
		eng.versions.Add(fmt.Sprintf("%s@%d", c.Flow.ID, c.Flow.Version), c)
	}
	eng.flows.Store(fs)
	read, window := historyTypes(fs)
	s := &Sandbox{eng: eng, fs: fs, seen: map[string]bool{}, keepHistory: opt.KeepHistory, read: read, scoreWindow: window || opt.ReadScoreChange}
	for _, t := range opt.ReadEvents {
		s.read[t] = true
	}
	s.u = &unit{eng: eng, flows: fs, settings: &fs.settings,
		contacts: map[string]*contactState{}, stats: map[statKey]*store.NodeStats{}, hookKeys: map[string]int{}, seen: s.seen}
	s.Reset()
	return s
}

// Reset forgets every contact and rewinds the clock, keeping the compiled
// model: a rescore replays one contact after another on one sandbox.
func (s *Sandbox) Reset() {
	s.tx = newMemTx(&s.fs.settings, s.keepHistory)
	s.tx.read, s.tx.scoreWindow = s.read, s.scoreWindow
	s.u.tx = s.tx
	s.u.aliases = map[string]string{} // a replayed merge records its alias here, as the live unit does
	s.now = time.Time{}
}

// Match evaluates a contact filter against a replayed contact at the replay
// clock, behaviour leaves reading the replayed timeline; false when the
// contact never appeared.
func (s *Sandbox) Match(f *flows.Filter, id string) (bool, error) {
	r := s.tx.contacts[id]
	if r == nil {
		return false, nil
	}
	s.u.tx = s.tx
	return f.Match(contactSubject{u: s.u, c: r.Contact}, s.now)
}

// sandboxFlowSet builds the flow set of a model as loadFlowSet does from
// the store: enabled flows in id order, indexed by trigger.
func sandboxFlowSet(m Model, log *slog.Logger) (*flowSet, error) {
	m.Settings.Validate() // sorts grades, as the store does on read
	fs := &flowSet{settings: m.Settings, byKey: map[flows.TriggerKey][]triggerRef{}, flows: map[string]*flows.Compiled{}}
	compiled := make([]*segments.Segment, 0, len(m.Segments))
	for _, seg := range m.Segments {
		c, errs := segments.Compile(seg)
		if len(errs) > 0 {
			return nil, model.Invalid("invalid_segment", fmt.Sprintf("segment %s does not compile", seg.ID), errs...)
		}
		compiled = append(compiled, c)
	}
	set, err := segments.NewSet(compiled)
	if err != nil {
		return nil, fmt.Errorf("sandbox segments: %w", err)
	}
	fs.segments = set
	records := slices.Clone(m.Flows)
	sort.Slice(records, func(i, j int) bool { return records[i].ID < records[j].ID })
	for _, rec := range records {
		if !rec.Enabled {
			continue
		}
		c, err := compileRecord(rec)
		if err != nil {
			log.Error("sandbox flow skipped", "flow", rec.ID, "err", err)
			continue
		}
		fs.flows[rec.ID] = c
		for _, t := range c.Triggers {
			fs.byKey[t.Trigger.Key()] = append(fs.byKey[t.Trigger.Key()], triggerRef{flow: c, nodeID: t.NodeID, trig: t.Trigger})
		}
	}
	return fs, nil
}

// historyTypes lists the event types whose history a model can read:
// those of the behaviour leaves of its segments, audiences and node
// configs (a condition's filter), and whether any of them reads score
// velocity (score_change). The sandbox keeps only that history, so its
// memory grows with what the model reads, not with the whole stream. Node
// configs are searched for any "event" key and any score_change field, so
// history is kept when in doubt, never dropped when read.
func historyTypes(fs *flowSet) (map[string]bool, bool) {
	read := map[string]bool{}
	window := false
	filter := func(f *flows.Filter) {
		for _, t := range f.BehaviourEvents() {
			read[t] = true
		}
		window = window || ReadsScoreChange(f)
	}
	for _, seg := range fs.segments.List {
		filter(seg.Filter)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "event" {
					read[s] = true
				}
				if s, ok := e.(string); ok && k == "field" && strings.HasPrefix(s, scoreChangeField) {
					window = true
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, c := range fs.flows {
		filter(c.Audience)
		for _, n := range c.Flow.Nodes {
			walk(n.Config)
		}
	}
	return read, window
}

const scoreChangeField = "score_change"

// ReadsScoreChange reports whether a filter has a score_change leaf.
func ReadsScoreChange(f *flows.Filter) bool {
	for _, field := range f.Fields() {
		if strings.HasPrefix(field, scoreChangeField) {
			return true
		}
	}
	return false
}

// begin readies the sandbox's one unit for a new unit of work at now:
// what a live batch starts with, without allocating a new one.
func (s *Sandbox) begin(now time.Time) *unit {
	u := s.u
	u.now = now
	clear(u.contacts)
	clear(u.emails)
	clear(u.stats)
	clear(u.hookKeys)
	clear(s.seen)
	u.applied, u.webhooks = 0, 0
	u.failures, u.ended, u.forget, u.purge, u.quiet = u.failures[:0], u.ended[:0], u.forget[:0], false, false
	u.result = batchResult{applied: u.result.applied[:0]}
	return u
}

// end finishes a unit of work: what a live batch writes before commit goes
// to memory.
func (s *Sandbox) end(u *unit) error { return u.flush() }

// Apply advances the clock to the event's timestamp (running what is due)
// and applies the event. The event is changed as the engine changes it
// (its contact id resolved).
func (s *Sandbox) Apply(ev *model.Event) error {
	if err := s.Advance(ev.Timestamp); err != nil {
		return err
	}
	return s.ApplyOnly(ev)
}

// ApplyOnly applies an event at its timestamp without advancing the
// clock's passes first (the caller did, with Advance).
func (s *Sandbox) ApplyOnly(ev *model.Event) error {
	now := ev.Timestamp.UTC().Truncate(time.Millisecond)
	if now.After(s.now) {
		s.now = now
	}
	u := s.begin(now)
	if err := u.apply(ev); err != nil {
		return err
	}
	return s.end(u)
}

// Advance moves the replay clock to now and runs what the scheduler would
// find due then, in the order the live jobs run: parked runs, time-based
// segments, decay. Each pass works in chunks, one unit of work per chunk,
// as the live passes do.
func (s *Sandbox) Advance(now time.Time) error {
	now = now.UTC().Truncate(time.Millisecond)
	if now.Before(s.now) {
		now = s.now
	}
	s.now = now
	if err := sandboxChunks(s, s.tx.dueRuns(now), (*unit).resume); err != nil {
		return err
	}
	if err := sandboxChunks(s, s.tx.dueContacts(now), func(u *unit, id string) error {
		cs, err := u.existing(id)
		if err != nil || cs == nil {
			return err
		}
		return u.timePass(cs)
	}); err != nil {
		return err
	}
	for _, dim := range s.fs.settings.Scores {
		if dim.Decay == nil || s.tx.decay[dim.Name] == nil {
			continue
		}
		before := now.Add(-time.Duration(dim.Decay.Every))
		if err := sandboxChunks(s, s.tx.decayDue(dim.Name, now), func(u *unit, id string) error { return u.decay(id, dim, before) }); err != nil {
			return err
		}
	}
	return nil
}

func sandboxChunks[T any](s *Sandbox, items []T, apply func(u *unit, item T) error) error {
	for start := 0; start < len(items); start += chunk {
		u := s.begin(s.now)
		for _, it := range items[start:min(start+chunk, len(items))] {
			if err := apply(u, it); err != nil {
				return err
			}
		}
		if err := s.end(u); err != nil {
			return err
		}
	}
	return nil
}

// Now is the replay clock.
func (s *Sandbox) Now() time.Time { return s.now }

// Contact returns a contact as the replay left it (nil when it never
// appeared). The contact is the sandbox's own: read it, do not keep it
// across calls that apply events.
func (s *Sandbox) Contact(id string) *model.Contact {
	if r := s.tx.contacts[id]; r != nil {
		return r.Contact
	}
	return nil
}

// Contacts calls fn with every contact, in id order.
func (s *Sandbox) Contacts(fn func(c *model.Contact)) {
	ids := make([]string, 0, len(s.tx.contacts))
	for id := range s.tx.contacts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fn(s.tx.contacts[id].Contact)
	}
}

// Len is how many contacts the replay holds.
func (s *Sandbox) Len() int { return len(s.tx.contacts) }

// History is a contact's ledger rows in the order they were written (with
// SandboxOptions.KeepHistory).
func (s *Sandbox) History(id string) []model.LedgerEntry { return s.tx.history[id] }

// Webhooks counts the webhooks the replay would have queued.
func (s *Sandbox) Webhooks() int { return s.tx.webhooks }

// Settings are the model's settings as the sandbox runs them.
func (s *Sandbox) Settings() model.Settings { return s.fs.settings }
