package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// What the segment-matching tests write through a backend and read back as
// the engine does, so the backend's compiled filters are checked against
// flows.Filter.Match on the engine's own view of the same rows.

// filterNow has a sub-millisecond part, so every ms/ns boundary rule is used.
var filterNow = time.Date(2025, 3, 10, 12, 0, 0, 123456789, time.UTC)

const day = 24 * time.Hour

// filterContact is a contact to write: attributes as raw JSON text (so
// number spellings and escapes reach the backend exactly as written), and
// its events.
type filterContact struct {
	c      *model.Contact
	attrs  string // raw JSON object; "" = encode c.Attributes
	events []filterEvent
	ledger []filterLedger // score history rows, for score_change
}

// filterLedger is one score history row; what score_change reads of it.
type filterLedger struct {
	dim     string
	delta   int64
	eventAt time.Time
}

type filterEvent struct {
	typ   string
	ts    time.Time
	props string // raw JSON object; "" = no properties
}

// writeFilterContacts saves contacts and their events in one transaction.
func writeFilterContacts(t *testing.T, s store.Store, contacts []filterContact) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) {
		seq := 0
		for _, fc := range contacts {
			noErr(t, tx.SaveContact(&store.ContactRecord{Contact: fc.c, Attributes: fc.attrs}))
			for _, ev := range fc.events {
				seq++
				e := &model.Event{ID: fmt.Sprintf("%s-ev%d", fc.c.ID, seq), Type: ev.typ, ContactID: fc.c.ID, Timestamp: ev.ts}
				if ev.props != "" {
					if err := json.Unmarshal([]byte(ev.props), &e.Properties); err != nil {
						t.Fatalf("event properties %s: %v", ev.props, err)
					}
					e.RawProperties = json.RawMessage(ev.props)
				}
				noErr(t, tx.InsertEvent(e, fc.c.ID, filterNow))
			}
			for _, l := range fc.ledger {
				noErr(t, tx.InsertLedger(&model.LedgerEntry{ContactID: fc.c.ID, At: filterNow, EventAt: l.eventAt,
					Score: l.dim, Delta: l.delta, Value: fc.c.Scores[l.dim]}))
			}
		}
	})
}

// engineView is a contact as the engine's subject (engine/subject.go) sees
// it inside a transaction: fields through flows.ContactValue, the engine's
// own accessor, on the contact as the backend loads it; behaviour leaves
// counted by the backend (CountContactEvents) or, with a where, over the
// properties it decodes (ContactEvents) matched in Go; score_change leaves
// summed by the backend (ScoreChange). Answers are cached per event type
// and window start (per query for sums), so thousands of filters over one
// population cost the backend a few queries per contact.
type engineView struct {
	tx      store.Tx
	c       *model.Contact
	written filterContact // for failure messages
	counts  map[eventWindow]int
	props   map[eventWindow][]map[string]any
	sums    map[flows.ScoreChangeQuery]float64
	// the contact's account, loaded at the first account field read
	account       *model.Account
	accountLoaded bool
}

type eventWindow struct {
	typ   string
	since time.Time
}

var (
	_ flows.EventCounter = (*engineView)(nil)
	_ flows.ScoreChanger = (*engineView)(nil)
)

// loadViews loads every written contact through tx.
func loadViews(t *testing.T, tx store.Tx, contacts []filterContact) map[string]*engineView {
	t.Helper()
	out := make(map[string]*engineView, len(contacts))
	for _, fc := range contacts {
		r, err := tx.LoadContact(fc.c.ID)
		noErr(t, err)
		if r == nil {
			t.Fatalf("contact %s was saved but does not load", fc.c.ID)
		}
		out[fc.c.ID] = &engineView{tx: tx, c: r.Contact, written: fc,
			counts: map[eventWindow]int{}, props: map[eventWindow][]map[string]any{}, sums: map[flows.ScoreChangeQuery]float64{}}
	}
	return out
}

func (v *engineView) Value(field string) (any, bool) {
	if isAccountField(field) {
		return v.accountValue(field)
	}
	return flows.ContactValue(v.c, field)
}

// ScoreChange sums score history as the engine's subject does, through the
// backend's ScoreChange.
func (v *engineView) ScoreChange(q flows.ScoreChangeQuery) (float64, error) {
	if sum, ok := v.sums[q]; ok {
		return sum, nil
	}
	sum, err := v.tx.ScoreChange(v.c.ID, q.Dimension, q.Since, q.Until)
	if err != nil {
		return 0, err
	}
	v.sums[q] = sum
	return sum, nil
}

func (v *engineView) CountEvents(q flows.BehaviourQuery) (int, error) {
	key := eventWindow{q.Type, q.Since}
	if q.Where == nil {
		n, ok := v.counts[key]
		if !ok {
			var err error
			if n, err = v.tx.CountContactEvents(v.c.ID, q.Type, q.Since); err != nil {
				return 0, err
			}
			v.counts[key] = n
		}
		return n, nil
	}
	list, ok := v.props[key]
	if !ok {
		list = []map[string]any{}
		if err := v.tx.ContactEvents(v.c.ID, q.Type, q.Since, func(p map[string]any) bool {
			list = append(list, p)
			return true
		}); err != nil {
			return 0, err
		}
		v.props[key] = list
	}
	n := 0
	for _, p := range list {
		ok, err := q.Where.Match(flows.PropertiesSubject(p), q.Now)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (v *engineView) String() string {
	c := v.c
	attrs, _ := json.Marshal(c.Attributes)
	var b strings.Builder
	fmt.Fprintf(&b, "contact %s: attributes=%s (written %s) scores=%v score=%d grade=%q deal_stage=%q tags=%q segments=%q disqualified=%v created_at=%s last_activity_at=%v",
		c.ID, attrs, v.written.attrs, c.Scores, c.Score, c.Grade, c.DealStage, c.Tags, c.Segments, c.Disqualified != nil,
		c.CreatedAt.Format(time.RFC3339Nano), c.LastActivityAt)
	for _, e := range v.written.events {
		fmt.Fprintf(&b, "\n  event %q ts=%s properties=%s", e.typ, e.ts.Format(time.RFC3339Nano), e.props)
	}
	for _, l := range v.written.ledger {
		fmt.Fprintf(&b, "\n  history %q %+d event_at=%s", l.dim, l.delta, l.eventAt.Format(time.RFC3339Nano))
	}
	return b.String()
}

// goMatches is the sorted ids f matches in Go.
func goMatches(t *testing.T, f *flows.Filter, views map[string]*engineView) []string {
	t.Helper()
	out := []string{}
	for _, id := range sortedKeys(views) {
		ok, err := f.Match(views[id], filterNow)
		noErr(t, err)
		if ok {
			out = append(out, id)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func parseContactFilter(t *testing.T, raw string) *flows.Filter {
	t.Helper()
	f, errs := flows.ParseFilter(json.RawMessage(raw), flows.ContactFilter)
	if len(errs) > 0 {
		t.Fatalf("filter %s: %v", raw, errs)
	}
	return f
}

func msOf(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func ptr[T any](v T) *T { return &v }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
