package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// unit is the unit of work of one batch: it owns the transaction, caches
// the contacts the batch touches (written once each at commit, however many
// events they had), and collects run counters.
type unit struct {
	eng      *Engine
	tx       store.Tx
	now      time.Time
	flows    *flowSet
	settings *model.Settings
	seen     map[string]bool // ids applied before this batch or earlier in it
	contacts map[string]*contactState
	windows  windowMemo // what an evaluation read, for its time pass (window_memo.go)
	timedBuf []*segments.Segment
	stats    map[statKey]*store.NodeStats
	applied  int // events inserted in this batch, for the per-minute counter
	failures []store.RunFailure
	ended    []runEnd
	forget   []string // contacts changed behind the unit: drop from the cache after commit
	purge    bool     // many contacts changed behind the unit: drop the whole cache
	// quiet: membership moves raise no segment events (a back-fill without fire).
	quiet    bool
	webhooks int
	hookKeys map[string]int
	result   batchResult
	// aliases are the ids merged in this batch, to their survivors;
	// settled are anonymous ids found merged into their event's contact,
	// for the engine's cache (see merge.go).
	aliases map[string]string
	settled [][2]string
	merges  int
	// departed are contacts merged away in this batch: gone from contacts,
	// but their account must still lose them at flush (accounts.go).
	departed []*contactState
	// accounts the batch read or changed (accounts.go); accountErr is a
	// failure to read one inside a filter, which fails the batch.
	accounts   map[string]*accountState
	accountErr error
	watch      int8 // whether segments read account fields: 0 unknown, 1 yes, -1 no
	// emails finds a batch contact by email without visiting them all (an
	// identify asks for every new email it names); see contactIDByEmail.
	emails map[string]string
	// epochs: the owned partitions when the unit began (the fence);
	// forwards: events resolved to contacts of partitions owned elsewhere
	// (partitions.go).
	epochs   map[int]int64
	forwards []forwarded
	// relays: steps of merges across partitions, published after commit
	// (merge_cross.go).
	relays []store.MergeRelay
}

type contactState struct {
	c   *model.Contact
	rec *store.ContactRecord // c plus the encodings of its unchanged JSON columns
	// dirty: the row must be written whole; touched: only email and
	// last_activity_at changed, which a much cheaper update writes.
	dirty, touched bool
	// changes not yet seen by segment evaluation, each once.
	changes []segments.Change
	acct    accountSnap // the account membership as loaded (accounts.go)
	// fresh: the store had no row of this contact before the batch and
	// nothing was merged into it, so its only flow entries are those the
	// batch recorded (entries) and an entry limit needs no query: most of
	// a million new visitors' first events asked the store and found none.
	fresh   bool
	entries []entryMark
	// shared: the parts of c still shared with the cached record it was
	// loaded from (own copies one before the unit changes it).
	shared parts
}

// parts are a contact's maps and slices, the parts a batch changes in place.
type parts uint8

const (
	partAttributes parts = 1 << iota
	partScores
	partTags
	partSegments
	allParts = partAttributes | partScores | partTags | partSegments
)

// own gives the contact its own copy of the parts p before the unit changes
// them in place, so the cached record (and a batch that rolls back) keeps
// what was committed. Most events change one part or none: copying all of
// them at load was a fifth of a batch's allocations.
func (cs *contactState) own(p parts) {
	p &= cs.shared
	if p == 0 {
		return
	}
	cs.shared &^= p
	c := cs.c
	if p&partAttributes != 0 {
		c.Attributes = cloneMap(c.Attributes)
	}
	if p&partScores != 0 {
		c.Scores = cloneMap(c.Scores)
	}
	if p&partTags != 0 {
		c.Tags = slices.Clone(c.Tags)
	}
	if p&partSegments != 0 {
		c.Segments = slices.Clone(c.Segments)
	}
}

// cloneMap is maps.Clone, but never nil: the unit writes to the copy.
func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return maps.Clone(m)
}

// newState makes the batch's state of a loaded contact.
func newState(rec *store.ContactRecord, shared parts) *contactState {
	return &contactState{c: rec.Contact, rec: rec, shared: shared}
}

// entryMark is a flow entry recorded in this batch for a fresh contact.
type entryMark struct {
	flow string
	at   time.Time
}

// entriesSince counts a fresh contact's entries of a flow at or after
// since, as the store's CountEntries would.
func (cs *contactState) entriesSince(flowID string, since time.Time) int {
	n := 0
	for _, e := range cs.entries {
		if e.flow == flowID && !e.at.Before(since) {
			n++
		}
	}
	return n
}

// mark records a change for segment evaluation.
func (cs *contactState) mark(c segments.Change) {
	if !slices.Contains(cs.changes, c) {
		cs.changes = append(cs.changes, c)
	}
}

// share copies a cached record's fields for the unit to change; its maps
// and slices stay shared until contactState.own copies them: a batch that
// rolls back must leave the cache as committed. Attribute values, the
// disqualification and the time pointers are replaced, never mutated, so
// one level of copying is enough.
func share(r *store.ContactRecord) *store.ContactRecord {
	c := *r.Contact
	out := *r
	out.Contact = &c
	return &out
}

type statKey struct{ flow, node string }

// runEnd is a run that ended in this batch, for the OnRun hook.
type runEnd struct{ flow, outcome string }

// batchResult is what a committed batch reports.
type batchResult struct {
	applied    []string // ids of events applied
	duplicates int
	runs       int
	failedRuns int
	entered    int // segment moves
	exited     int
	parked     int // runs parked at a delay
	forwarded  int // events sent to the partition that owns their contact
	// mergeSteps are the steps of merges across partitions applied: relays
	// between writers, not events anyone sent, so not counted as applied.
	mergeSteps []string
}

func (u *unit) contact(ev *model.Event) (*contactState, error) {
	id := ev.ContactID
	if id == "" && ev.Email == "" {
		id = ev.AnonymousID
	}
	if id == "" {
		var err error
		if id, err = u.contactIDByEmail(ev.Email); err != nil {
			return nil, err
		}
	}
	if into, ok := u.aliases[id]; ok {
		id = into // merged earlier in this batch
	}
	if cs, ok := u.contacts[id]; ok {
		return cs, nil
	}
	if !u.owns(id) {
		return nil, &forwardTo{contact: id}
	}
	rec, shared, err := u.load(id)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		// An id merged into another contact names the survivor forever;
		// only an id no contact has pays this lookup.
		into, err := u.resolveAlias(id)
		if err != nil {
			return nil, err
		}
		if into != "" {
			id = into
			if cs, ok := u.contacts[id]; ok {
				return cs, nil
			}
			if !u.owns(id) {
				return nil, &forwardTo{contact: id}
			}
			if rec, shared, err = u.load(id); err != nil {
				return nil, err
			}
		}
	}
	isNew := rec == nil
	if isNew && ev.AnonymousID != "" && ev.AnonymousID == id {
		if err := u.tx.MarkAnonymous(id); err != nil {
			return nil, err
		}
	}
	if isNew {
		created := u.now
		if !ev.Timestamp.IsZero() && ev.Timestamp.Before(created) {
			created = ev.Timestamp
		}
		// A new contact starts in the pipeline's first stage, as a new lead does.
		stage := ""
		if len(u.settings.Pipeline) > 0 {
			stage = u.settings.Pipeline[0]
		}
		rec = &store.ContactRecord{Contact: &model.Contact{ID: id, Attributes: map[string]any{}, Scores: map[string]int64{}, Tags: []string{},
			Segments: []string{}, DealStage: stage, CreatedAt: created.UTC().Truncate(time.Millisecond), Grade: u.settings.GradeFor(0)}}
	}
	cs := newState(rec, shared)
	cs.dirty, cs.fresh = isNew, isNew
	u.snapshotAccount(cs)
	if isNew {
		cs.mark(segments.ChangeCreated)
	}
	u.track(cs)
	return cs, nil
}

// track makes cs part of the batch, findable by its id and its email.
func (u *unit) track(cs *contactState) {
	u.contacts[cs.c.ID] = cs
	u.noteEmail(cs)
}

// noteEmail indexes a batch contact's email; called whenever one is set.
func (u *unit) noteEmail(cs *contactState) {
	if cs.c.Email == "" {
		return
	}
	if u.emails == nil {
		u.emails = map[string]string{}
	}
	u.emails[cs.c.Email] = cs.c.ID
}

// load reads a committed contact for the unit to change: a copy of the
// cached one, or the store's (nil when it does not exist).
func (u *unit) load(id string) (*store.ContactRecord, parts, error) {
	if cached, ok := u.eng.contacts.Get(id); ok {
		return share(cached), allParts, nil
	}
	rec, err := u.tx.LoadContact(id)
	return rec, 0, err
}

// contactIDByEmail resolves an email to a contact: one touched in this batch,
// one in the store, or a new contact whose id is the email (CONTRACT §2).
func (u *unit) contactIDByEmail(email string) (string, error) {
	if id, ok := u.emails[email]; ok {
		if cs, ok := u.contacts[id]; ok && cs.c.Email == email {
			return id, nil
		}
		// That contact changed its email or was merged away since; another
		// one may hold the email now (every setter indexes it, so an email
		// the index lacks is held by no batch contact).
		for id, cs := range u.contacts {
			if cs.c.Email == email {
				return id, nil
			}
		}
	}
	id, err := u.tx.ContactIDByEmail(email)
	if err != nil {
		return "", err
	}
	if id == "" {
		id = email
	}
	return id, nil
}

// stat returns the counters of one node in this batch.
func (u *unit) stat(flowID, nodeID string) *store.NodeStats {
	k := statKey{flowID, nodeID}
	s := u.stats[k]
	if s == nil {
		s = &store.NodeStats{FlowID: flowID, NodeID: nodeID, Minute: u.now.Truncate(time.Minute)}
		u.stats[k] = s
	}
	return s
}

// flush writes what the unit holds in memory before commit.
func (u *unit) flush() error {
	if u.accountErr != nil {
		return u.accountErr
	}
	for _, cs := range u.contacts {
		var err error
		switch {
		case cs.dirty:
			err = u.tx.SaveContact(cs.rec)
		case cs.touched:
			err = u.tx.TouchContact(cs.rec)
		}
		if err != nil {
			return err
		}
	}
	if err := u.flushAccounts(); err != nil {
		return err
	}
	for _, f := range u.failures {
		if err := u.tx.RecordRunFailure(f); err != nil {
			return err
		}
	}
	if u.applied > 0 {
		if err := u.tx.CountEvents(u.now, u.applied); err != nil {
			return err
		}
	}
	if len(u.stats) > 0 {
		list := make([]store.NodeStats, 0, len(u.stats))
		for _, s := range u.stats {
			list = append(list, *s)
		}
		if err := u.tx.AddNodeStats(list); err != nil {
			return err
		}
	}
	return nil
}

// effects applies actions to one contact on behalf of one run; it is
// flows.Effects, and every change it makes is recorded with its cause.
type effects struct {
	u     *unit
	cs    *contactState
	flow  *flows.Compiled
	node  string
	event *model.Event
	queue *[]*model.Event
}

var _ flows.Effects = (*effects)(nil)

func (e *effects) raise(typ string, props map[string]any) {
	*e.queue = append(*e.queue, e.u.internalEvent(e.event, typ, props))
}

// internalEvent derives an internal event from its cause: one hop deeper,
// same contact and timestamp.
func (u *unit) internalEvent(cause *model.Event, typ string, props map[string]any) *model.Event {
	return &model.Event{
		ID: cause.ID, Type: typ, ContactID: cause.ContactID, Timestamp: cause.Timestamp,
		Properties: props, Internal: true, Depth: cause.Depth + 1,
	}
}

func (e *effects) AdjustScore(dimension string, points int64) error {
	c := e.cs.c
	dim := e.u.settings.Dimension(dimension)
	old := c.Scores[dimension]
	next := dim.Clamp(saturatingAdd(old, points))
	delta := next - old
	if delta == 0 {
		return nil
	}
	e.cs.own(partScores)
	c.Scores[dimension] = next
	c.Score = saturatingAdd(c.Score, delta)
	c.Grade = e.u.settings.GradeFor(c.Score)
	e.cs.dirty, e.cs.rec.Scores = true, ""
	e.cs.mark(segments.ChangeScore)
	flowID, version, node, eventID := e.flow.Flow.ID, e.flow.Flow.Version, e.node, e.event.ID
	return asStoreFailure(e.u.tx.InsertLedger(&model.LedgerEntry{
		ContactID: c.ID, At: e.u.now, EventAt: e.event.Timestamp, Score: dimension, Delta: delta, Value: next,
		Flow: &flowID, FlowVersion: &version, Node: &node, EventID: &eventID,
	}))
}

func saturatingAdd(a, b int64) int64 {
	s := a + b
	if a > 0 && b > 0 && s < 0 {
		return math.MaxInt64
	}
	if a < 0 && b < 0 && s >= 0 {
		return math.MinInt64
	}
	return s
}

func (e *effects) AddTag(tag string) error {
	c := e.cs.c
	if c.HasTag(tag) {
		return nil
	}
	e.cs.own(partTags)
	c.Tags = append(c.Tags, tag)
	e.cs.dirty, e.cs.rec.Tags = true, ""
	e.cs.mark(segments.ChangeTags)
	e.raise(model.InternalTagAdded, map[string]any{"tag": tag})
	return nil
}

func (e *effects) RemoveTag(tag string) error {
	c := e.cs.c
	for i, t := range c.Tags {
		if t == tag {
			e.cs.own(partTags)
			c.Tags = append(c.Tags[:i:i], c.Tags[i+1:]...)
			e.cs.dirty, e.cs.rec.Tags = true, ""
			e.cs.mark(segments.ChangeTags)
			e.raise(model.InternalTagRemoved, map[string]any{"tag": tag})
			return nil
		}
	}
	return nil
}

func (e *effects) Disqualify(reason string) error {
	if e.cs.c.Disqualified != nil {
		return nil
	}
	e.cs.c.Disqualified = &model.Disqualification{At: e.u.now, Reason: reason}
	e.cs.dirty = true
	e.cs.mark(segments.ChangeDisqualify)
	return nil
}

func (e *effects) Requalify() error {
	if e.cs.c.Disqualified == nil {
		return nil
	}
	e.cs.c.Disqualified = nil
	e.cs.dirty = true
	e.cs.mark(segments.ChangeDisqualify)
	return nil
}

func (e *effects) SetDealStage(stage string) error {
	if !e.u.settings.HasStage(stage) {
		return fmt.Errorf("deal stage %q is not in the pipeline %v", stage, e.u.settings.Pipeline)
	}
	c := e.cs.c
	if c.DealStage == stage {
		return nil
	}
	old := c.DealStage
	c.DealStage = stage
	e.cs.dirty = true
	e.cs.mark(segments.ChangeDealStage)
	e.raise(model.InternalFieldChanged, map[string]any{"field": "deal_stage", "old": nilIfEmpty(old), "new": stage})
	return nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (e *effects) SetField(field string, value any) error {
	name, ok := strings.CutPrefix(field, "attributes.")
	if !ok || name == "" {
		return fmt.Errorf("set_field: %q is not attributes.<name>", field)
	}
	if changed := setAttribute(e.cs, name, value); changed != nil {
		*e.queue = append(*e.queue, e.u.internalEvent(e.event, model.InternalFieldChanged, changed))
	}
	return nil
}

// setAttribute sets (or, for nil, removes) one attribute and returns the
// field_changed properties when the value really changed.
func setAttribute(cs *contactState, name string, value any) map[string]any {
	old, had := cs.c.Attributes[name]
	if value == nil {
		if !had {
			return nil
		}
		cs.own(partAttributes)
		delete(cs.c.Attributes, name)
	} else {
		value = normalizeJSON(value)
		if had && reflect.DeepEqual(old, value) {
			return nil
		}
		cs.own(partAttributes)
		cs.c.Attributes[name] = value
	}
	cs.dirty, cs.rec.Attributes = true, ""
	cs.mark(segments.AttributeChange(name))
	return map[string]any{"field": "attributes." + name, "old": old, "new": value}
}

// normalizeJSON makes a value look as it will after a store round trip
// (numbers as float64), so "unchanged" compares equal across batches.
func normalizeJSON(v any) any {
	switch v.(type) {
	case string, bool, float64, nil:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func (e *effects) QueueWebhook(url string, headers map[string]string) error {
	body, err := json.Marshal(webhookBody{
		Contact: e.cs.c, Event: e.event,
		Flow: webhookFlow{ID: e.flow.Flow.ID, Version: e.flow.Flow.Version, Node: e.node},
		At:   e.u.now,
	})
	if err != nil {
		return fmt.Errorf("encode webhook body: %w", err)
	}
	// The key is stable for the cause, so a receiver can drop repeats; the
	// counter separates two calls of the same node for the same event.
	key := fmt.Sprintf("%s/%s@%d/%s", e.event.ID, e.flow.Flow.ID, e.flow.Flow.Version, e.node)
	e.u.hookKeys[key]++
	if n := e.u.hookKeys[key]; n > 1 {
		key = fmt.Sprintf("%s#%d", key, n)
	}
	e.u.webhooks++
	return asStoreFailure(e.u.tx.EnqueueWebhook(model.WebhookDelivery{
		Key: key, URL: url, Headers: headers, Body: body, NextAt: e.u.now, CreatedAt: e.u.now,
	}))
}

type webhookBody struct {
	Contact *model.Contact `json:"contact"`
	Event   *model.Event   `json:"event"`
	Flow    webhookFlow    `json:"flow"`
	At      time.Time      `json:"at"`
}

type webhookFlow struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Node    string `json:"node"`
}

func asStoreFailure(err error) error {
	if err == nil {
		return nil
	}
	return &storeFailure{err: err}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
