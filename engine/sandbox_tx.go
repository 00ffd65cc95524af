package engine

import (
	"container/heap"
	"fmt"
	"slices"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// memTx is store.Tx over memory, for the lab's sandbox (sandbox.go): the
// engine's own unit of work runs over it, so a replay has exactly the live
// semantics with no SQL per event. It is one long-lived "transaction" that
// never commits anywhere: nothing reaches the live tables, webhooks are
// only counted, run counters and failures are dropped. Filters it cannot
// evaluate in bulk answer store.ErrNoSQL, so the engine's Go fallback runs.
//
// Beside the state the Tx methods read and write, it keeps the worklists
// the store's scheduled-pass queries would answer (DueRuns, DueContacts,
// DecayDue) as heaps, so advancing the replay clock costs nothing when
// nothing is due.
type memTx struct {
	contacts map[string]*store.ContactRecord
	byEmail  map[string]string
	events   map[string]map[string][]memEvent // contact → type → events, oldest first
	entries  map[entryKey][]time.Time
	decayed  map[decayKey]time.Time

	parked  map[int64]store.WaitingRun
	runs    runHeap
	lastRun int64

	evals      dueHeap          // contacts by next_eval_at
	evalQueued map[string]int64 // the moment each contact is queued for

	decay map[string]*decayQueue // by dimension, for dimensions that decay
	// read: the event types the model's filters read (nil = all); only
	// those are kept for the behaviour leaves.
	read map[string]bool
	// scoreRows: each contact's history rows as score velocity reads them,
	// kept when a filter reads score_change (scoreWindow).
	scoreRows   map[string][]scoreRow
	scoreWindow bool
	history     map[string][]model.LedgerEntry
	keepHistory bool
	webhooks    int
	// aliases and anonymous are the merges' state (sandbox_identity.go).
	aliases   map[string]string
	anonymous map[string]bool
	accts     *memAccounts // nil until an account is seen (sandbox_accounts.go)
}

type scoreRow struct {
	eventAt   int64 // Unix ms
	delta     int64
	dimension string
}

type memEvent struct {
	ts    time.Time
	props map[string]any
}

type entryKey struct{ flow, contact string }
type decayKey struct{ contact, dimension string }

// decayQueue holds, per contact with points in a dimension, the moment it
// becomes due for decay (last decay, or creation, plus the period).
type decayQueue struct {
	every  time.Duration
	due    dueHeap
	queued map[string]int64
}

func newMemTx(settings *model.Settings, keepHistory bool) *memTx {
	t := &memTx{
		contacts: map[string]*store.ContactRecord{}, byEmail: map[string]string{},
		events: map[string]map[string][]memEvent{}, entries: map[entryKey][]time.Time{},
		decayed: map[decayKey]time.Time{}, parked: map[int64]store.WaitingRun{},
		evalQueued: map[string]int64{}, decay: map[string]*decayQueue{}, keepHistory: keepHistory,
		scoreRows: map[string][]scoreRow{},
	}
	if keepHistory {
		t.history = map[string][]model.LedgerEntry{}
	}
	for _, dim := range settings.Scores {
		if dim.Decay != nil && dim.Decay.Every > 0 {
			t.decay[dim.Name] = &decayQueue{every: time.Duration(dim.Decay.Every), queued: map[string]int64{}}
		}
	}
	return t
}

var _ store.Tx = (*memTx)(nil)

func (t *memTx) SeenEvents(ids []string) (map[string]bool, error) { return map[string]bool{}, nil }

// LoadContact returns the stored record itself: the sandbox has no
// rollback to protect it for, and copying every contact per event would
// cost more than the replay.
func (t *memTx) LoadContact(id string) (*store.ContactRecord, error) { return t.contacts[id], nil }

func (t *memTx) PrefetchContacts([]string) error { return nil }

func (t *memTx) ContactIDByEmail(email string) (string, error) { return t.byEmail[email], nil }

func (t *memTx) SaveContact(r *store.ContactRecord) error {
	t.keep(r)
	for dim, q := range t.decay {
		id := r.Contact.ID
		if _, ok := q.queued[id]; ok || r.Contact.Scores[dim] == 0 {
			continue
		}
		last, ok := t.decayed[decayKey{id, dim}]
		if !ok {
			last = r.Contact.CreatedAt
		}
		q.push(id, last.Add(q.every))
	}
	return nil
}

func (t *memTx) TouchContact(r *store.ContactRecord) error {
	t.keep(r)
	return nil
}

// keep stores a record and queues its next time-based pass.
func (t *memTx) keep(r *store.ContactRecord) {
	c := r.Contact
	t.contacts[c.ID] = r
	t.trackMember(c)
	if c.Email != "" {
		t.byEmail[c.Email] = c.ID
	}
	if r.NextEvalAt != 0 && t.evalQueued[c.ID] != r.NextEvalAt {
		t.evalQueued[c.ID] = r.NextEvalAt
		heap.Push(&t.evals, dueItem{at: r.NextEvalAt, id: c.ID})
	}
}

func (t *memTx) InsertEvent(ev *model.Event, contactID string, _ time.Time) error {
	if t.read != nil && !t.read[ev.Type] {
		return nil
	}
	byType := t.events[contactID]
	if byType == nil {
		byType = map[string][]memEvent{}
		t.events[contactID] = byType
	}
	list := byType[ev.Type]
	e := memEvent{ts: ev.Timestamp.UTC().Truncate(time.Millisecond), props: ev.Properties}
	// Replays are in time order, so this is an append; an out-of-order
	// event is inserted where it belongs, as the store's index would sort it.
	i := len(list)
	for i > 0 && list[i-1].ts.After(e.ts) {
		i--
	}
	byType[ev.Type] = slices.Insert(list, i, e)
	return nil
}

func (t *memTx) CountEvents(time.Time, int) error { return nil }

func (t *memTx) InsertLedger(e *model.LedgerEntry) error {
	if t.scoreWindow {
		t.scoreRows[e.ContactID] = append(t.scoreRows[e.ContactID], scoreRow{eventAt: e.CausedAt().UnixMilli(), delta: e.Delta, dimension: e.Score})
	}
	if t.keepHistory {
		t.history[e.ContactID] = append(t.history[e.ContactID], *e)
	}
	return nil
}

func (t *memTx) CountEntries(flowID, contactID string, since time.Time) (int, error) {
	n := 0
	for _, at := range t.entries[entryKey{flowID, contactID}] {
		if !at.Before(since) {
			n++
		}
	}
	return n, nil
}

func (t *memTx) RecordEntry(flowID, contactID string, at time.Time) error {
	k := entryKey{flowID, contactID}
	t.entries[k] = append(t.entries[k], at.UTC().Truncate(time.Millisecond))
	return nil
}

func (t *memTx) RecordRunFailure(store.RunFailure) error { return nil }
func (t *memTx) AddNodeStats([]store.NodeStats) error    { return nil }

// EnqueueWebhook counts: a replay never calls anyone.
func (t *memTx) EnqueueWebhook(model.WebhookDelivery) error {
	t.webhooks++
	return nil
}

// since returns the events of a type at or after since (zero = all).
func (t *memTx) since(contactID, eventType string, since time.Time) []memEvent {
	list := t.events[contactID][eventType]
	if since.IsZero() {
		return list
	}
	i, _ := slices.BinarySearchFunc(list, since, func(e memEvent, s time.Time) int { return e.ts.Compare(s) })
	return list[i:]
}

func (t *memTx) ContactEvents(contactID, eventType string, since time.Time, fn func(props map[string]any) bool) error {
	list := t.since(contactID, eventType, since)
	for i := len(list) - 1; i >= 0; i-- { // newest first, as the stores read them
		props := list[i].props
		if props == nil {
			props = map[string]any{}
		}
		if !fn(props) {
			return nil
		}
	}
	return nil
}

func (t *memTx) CountContactEvents(contactID, eventType string, since time.Time) (int, error) {
	return len(t.since(contactID, eventType, since)), nil
}

func (t *memTx) OldestContactEvents(contactID, eventType string, since time.Time, fn func(ts time.Time, props map[string]any) bool) error {
	for _, e := range t.since(contactID, eventType, since) {
		props := e.props
		if props == nil {
			props = map[string]any{}
		}
		if !fn(e.ts, props) {
			return nil
		}
	}
	return nil
}

func (t *memTx) OldestContactEvent(contactID, eventType string, since time.Time) (time.Time, bool, error) {
	if list := t.since(contactID, eventType, since); len(list) > 0 {
		return list[0].ts, true, nil
	}
	return time.Time{}, false, nil
}

// SetMembership has nothing to do: the contact's Segments hold membership.
func (t *memTx) SetMembership(string, string, bool, time.Time) error { return nil }

func (t *memTx) ParkRun(r store.WaitingRun) error {
	t.lastRun++
	r.ID = t.lastRun
	t.parked[r.ID] = r
	heap.Push(&t.runs, r)
	return nil
}

func (t *memTx) TakeRun(id int64) (bool, error) {
	_, ok := t.parked[id]
	delete(t.parked, id)
	return ok, nil
}

func (t *memTx) MarkDecayed(contactID, dimension string, at time.Time) error {
	at = at.UTC().Truncate(time.Millisecond)
	t.decayed[decayKey{contactID, dimension}] = at
	if q := t.decay[dimension]; q != nil {
		q.push(contactID, at.Add(q.every))
	}
	return nil
}

func (t *memTx) DecayedAt(contactID, dimension string) (time.Time, error) {
	return t.decayed[decayKey{contactID, dimension}], nil
}

func (t *memTx) DeleteContact(id string) (bool, error) {
	r, ok := t.contacts[id]
	if !ok {
		return false, nil
	}
	delete(t.contacts, id)
	t.forgetMember(id)
	if r.Contact.Email != "" && t.byEmail[r.Contact.Email] == id {
		delete(t.byEmail, r.Contact.Email)
	}
	delete(t.events, id)
	delete(t.scoreRows, id)
	delete(t.evalQueued, id)
	return true, nil
}

func (t *memTx) SegmentMovers(string, *flows.Filter, time.Time) ([]string, []string, error) {
	return nil, nil, fmt.Errorf("sandbox segment movers: %w", store.ErrNoSQL)
}

func (t *memTx) ApplySegmentMoves(string, []string, []string, time.Time) error {
	return fmt.Errorf("sandbox: bulk segment moves are not replayed: %w", store.ErrNoSQL)
}

func (t *memTx) DueAll(at time.Time) error {
	for _, r := range t.contacts {
		r.NextEvalAt = at.UnixMilli()
		t.keep(r)
	}
	return nil
}

func (t *memTx) ScheduleBoundaries(*flows.Filter, time.Time) error {
	return fmt.Errorf("sandbox schedule boundaries: %w", store.ErrNoSQL)
}

// ScoreChange implements store.ScoreWindow over the kept rows, with the
// stores' bounds: since < event_at <= until, in whole milliseconds.
func (t *memTx) ScoreChange(contactID, dimension string, since, until time.Time) (float64, error) {
	lo, hi := since.UnixMilli(), until.UnixMilli()
	var sum float64
	for _, r := range t.scoreRows[contactID] {
		if r.eventAt > lo && r.eventAt <= hi && (dimension == "" || r.dimension == dimension) {
			sum += float64(r.delta)
		}
	}
	return sum, nil
}

// ScoreChangeEdges implements store.ScoreWindow over the kept rows.
func (t *memTx) ScoreChangeEdges(contactID, dimension string, since, now time.Time) (time.Time, time.Time, error) {
	lo, at := since.UnixMilli(), now.UnixMilli()
	var oldest, ahead int64
	for _, r := range t.scoreRows[contactID] {
		if r.eventAt <= lo || (dimension != "" && r.dimension != dimension) {
			continue
		}
		if r.eventAt <= at {
			if oldest == 0 || r.eventAt < oldest {
				oldest = r.eventAt
			}
		} else if ahead == 0 || r.eventAt < ahead {
			ahead = r.eventAt
		}
	}
	return msTime(oldest), msTime(ahead), nil
}

// EventWindow implements store.WindowFacts over the kept events.
func (t *memTx) EventWindow(contactID, eventType string, since time.Time) (int, time.Time, error) {
	list := t.since(contactID, eventType, since)
	if len(list) == 0 {
		return 0, time.Time{}, nil
	}
	return len(list), list[0].ts, nil
}

// ScoreWindowFacts implements store.WindowFacts over the kept rows.
func (t *memTx) ScoreWindowFacts(contactID, dimension string, since, now time.Time) (float64, time.Time, time.Time, error) {
	sum, err := t.ScoreChange(contactID, dimension, since, now)
	if err != nil {
		return 0, time.Time{}, time.Time{}, err
	}
	oldest, ahead, err := t.ScoreChangeEdges(contactID, dimension, since, now)
	return sum, oldest, ahead, err
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (t *memTx) SaveLabJob(store.LabJob) error { return nil }
func (t *memTx) Commit() error                 { return nil }
func (t *memTx) Rollback() error               { return nil }

// dueRuns takes the parked runs due by now, by wake time then id.
func (t *memTx) dueRuns(now time.Time) []store.WaitingRun {
	var out []store.WaitingRun
	for len(t.runs) > 0 && !t.runs[0].WakeAt.After(now) {
		r := heap.Pop(&t.runs).(store.WaitingRun)
		if _, ok := t.parked[r.ID]; ok {
			out = append(out, r)
		}
	}
	return out
}

// dueContacts takes the contacts whose time-based pass is due by now.
func (t *memTx) dueContacts(now time.Time) []string {
	var out []string
	limit := now.UnixMilli()
	for len(t.evals) > 0 && t.evals[0].at <= limit {
		it := heap.Pop(&t.evals).(dueItem)
		r, ok := t.contacts[it.id]
		if !ok || t.evalQueued[it.id] != it.at || r.NextEvalAt != it.at {
			continue
		}
		delete(t.evalQueued, it.id)
		out = append(out, it.id)
	}
	return out
}

// decayDue takes, sorted by id, the contacts due for a dimension's decay
// by now that hold points in it.
func (t *memTx) decayDue(dimension string, now time.Time) []string {
	q := t.decay[dimension]
	if q == nil {
		return nil
	}
	var out []string
	limit := now.UnixMilli()
	for len(q.due) > 0 && q.due[0].at <= limit {
		it := heap.Pop(&q.due).(dueItem)
		if q.queued[it.id] != it.at {
			continue
		}
		delete(q.queued, it.id)
		if r, ok := t.contacts[it.id]; ok && r.Contact.Scores[dimension] != 0 {
			out = append(out, it.id)
		}
	}
	slices.Sort(out)
	return out
}

func (q *decayQueue) push(id string, at time.Time) {
	ms := at.UnixMilli()
	if q.queued[id] == ms {
		return
	}
	q.queued[id] = ms
	heap.Push(&q.due, dueItem{at: ms, id: id})
}

// dueItem is a contact due at a moment (Unix ms); stale items (the
// contact was queued again since) are skipped when popped.
type dueItem struct {
	at int64
	id string
}

type dueHeap []dueItem

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].id < h[j].id
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

type runHeap []store.WaitingRun

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if !h[i].WakeAt.Equal(h[j].WakeAt) {
		return h[i].WakeAt.Before(h[j].WakeAt)
	}
	return h[i].ID < h[j].ID
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(store.WaitingRun)) }
func (h *runHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// FencePartitions implements store.Tx: a sandbox owns no partitions.
func (t *memTx) FencePartitions(map[int]int64) error { return nil }
