package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Sizes of one population of the property test: every filter runs over
// every contact.
const (
	propContacts = 250
	propFilters  = 2400 // a sixth nested filters, the rest single leaves (which nesting would often mask)
	// propSampleEvery is how often a filter's MatchContacts sample is
	// checked in full (ids and order), besides its count every time.
	propSampleEvery = 25
)

// propSegment is the segment whose membership SegmentMovers compares with.
const propSegment = "property-test"

// FilterProperty is the property test of a backend's filter compiler:
// random filters over random contacts, the backend's answer against
// flows.Filter.Match on the engine's view of the same rows (engineView).
// It drives the backend only through store.Store and store.Tx: contacts and
// events are saved through a Tx, a random half of the contacts made members
// of a segment, then for each filter SegmentMovers gives the matching set
// ((members − exited) ∪ entered) and MatchContacts its count (and, now and
// then, its sample). cases is how many filter×contact pairs to check; each
// population of propContacts contacts (a fresh store from open) takes up to
// propFilters filters. SCOREFLOW_PROPERTY_CASES overrides cases and
// SCOREFLOW_PROPERTY_SEED the seed, to explore further. For a backend that
// cannot store NUL in text (storesNUL; PostgreSQL cannot) the generated
// texts hold U+0001 in its place.
func FilterProperty(t *testing.T, open func(t *testing.T) store.Store, cases int) {
	if s := os.Getenv("SCOREFLOW_PROPERTY_CASES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("SCOREFLOW_PROPERTY_CASES=%q: want a positive number", s)
		}
		cases = n
	}
	seed := uint64(20250310)
	if s := os.Getenv("SCOREFLOW_PROPERTY_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SCOREFLOW_PROPERTY_SEED=%q: %v", s, err)
		}
	}
	filters := (cases + propContacts - 1) / propContacts
	total := propTally{leafHits: map[string][2]int{}}
	for pop := uint64(0); filters > 0 && !t.Failed(); pop++ {
		n := min(filters, propFilters)
		filters -= n
		s := open(t)
		p := &propRun{t: t, s: s, tally: &total,
			g: &propGen{r: rand.New(rand.NewPCG(seed+pop, (seed+pop)^0x5c0ef10e)), noNUL: !storesNUL(t, s)}}
		p.run(n)
	}
	t.Logf("seed %d: %d filter×contact cases, %d matched in Go", seed, total.cases, total.matched)
	if testing.Verbose() {
		for _, k := range sortedKeys(total.leafHits) {
			t.Logf("  %-32s matched %6d, not %6d", k, total.leafHits[k][0], total.leafHits[k][1])
		}
	}
	// A generator that matched (almost) nothing or everything tests little.
	if total.matched <= total.cases/20 || total.matched >= total.cases*19/20 {
		t.Errorf("filters matched %d of %d cases: the generator tests little", total.matched, total.cases)
	}
}

// storesNUL reports whether the backend stores text holding NUL, in an
// attribute and a tag; the probe is rolled back. A backend may refuse it
// (PostgreSQL's text cannot hold NUL) at the write or at the next read.
func storesNUL(t *testing.T, s store.Store) bool {
	tx, err := s.Begin(context.Background())
	noErr(t, err)
	defer tx.Rollback()
	c := &model.Contact{ID: "nul-probe", Tags: []string{"x\x00y"}, CreatedAt: filterNow}
	if err := tx.SaveContact(&store.ContactRecord{Contact: c, Attributes: `{"s":"x\u0000y"}`}); err != nil {
		return false
	}
	r, err := tx.LoadContact(c.ID)
	return err == nil && r != nil && len(r.Contact.Tags) == 1 && r.Contact.Tags[0] == "x\x00y" && r.Contact.Attributes["s"] == "x\x00y"
}

type propTally struct {
	cases, matched int
	leafHits       map[string][2]int // "field-kind op" → contacts matched, not matched
}

// propRun is one population: a store, its contacts and the filters drawn
// for them.
type propRun struct {
	t       *testing.T
	s       store.Store
	g       *propGen
	tally   *propTally
	tx      store.Tx
	views   map[string]*engineView
	ids     []string
	members map[string]bool
}

func (p *propRun) run(filters int) {
	t := p.t
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	accounts := p.g.accountSet()
	contacts := make([]filterContact, propContacts)
	for i := range contacts {
		contacts[i] = p.g.contact(fmt.Sprintf("c%03d", i))
	}
	writeFilterAccounts(t, p.s, accounts)
	writeFilterContacts(t, p.s, contacts)
	p.members = map[string]bool{}
	inTx(t, p.s, func(tx store.Tx) {
		for _, c := range contacts {
			if p.g.chance(0.5) {
				p.members[c.c.ID] = true
				noErr(t, tx.SetMembership(propSegment, c.c.ID, true, filterNow))
			}
		}
	})
	tx, err := p.s.Begin(ctx)
	noErr(t, err)
	defer tx.Rollback()
	p.tx = tx
	p.views = loadViews(t, tx, contacts)
	p.ids = sortedKeys(p.views)

	nested, failures := filters/6, 0
	for i := 0; i < filters && failures < 5; i++ {
		var raw any
		switch {
		case i < nested:
			raw = p.g.filter(0)
		case i%4 == 0:
			raw = p.g.behaviour(0)
		default:
			raw = p.g.leaf(flows.ContactFilter)
		}
		f, errs := flows.ParseFilterValue(raw, flows.ContactFilter)
		if len(errs) > 0 {
			t.Fatalf("generated an invalid filter %s: %v", jsonText(raw), errs)
		}
		got, err := p.matching(f)
		if err != nil {
			t.Fatalf("filter %s: %v", jsonText(raw), err)
		}
		p.checkMatchContacts(ctx, f, raw, got, i%propSampleEvery == 0)
		for _, id := range p.ids {
			want, err := f.Match(p.views[id], filterNow)
			noErr(t, err)
			p.count(raw, i >= nested, want)
			if got[id] == want {
				continue
			}
			failures++
			fj, _ := f.MarshalJSON()
			t.Errorf("filter %s\n%s\nGo: %v, backend: %v\nsmallest disagreeing part: %s",
				fj, p.views[id], want, got[id], p.culprit(raw, id))
			break
		}
	}
}

func (p *propRun) count(raw any, single, want bool) {
	p.tally.cases++
	if want {
		p.tally.matched++
	}
	if !single {
		return
	}
	k := propLeafKind(raw)
	h := p.tally.leafHits[k]
	if want {
		h[0]++
	} else {
		h[1]++
	}
	p.tally.leafHits[k] = h
}

// matching is the set of contacts the backend says f matches, from the
// segment's movers: the members that do not exit and those that enter.
func (p *propRun) matching(f *flows.Filter) (map[string]bool, error) {
	entered, exited, err := p.tx.SegmentMovers(propSegment, f, filterNow)
	if err != nil {
		return nil, err
	}
	got := make(map[string]bool, len(p.ids))
	for id := range p.members {
		got[id] = true
	}
	for _, id := range exited {
		if !p.members[id] {
			return nil, fmt.Errorf("%s exits but was not a member", id)
		}
		delete(got, id)
	}
	for _, id := range entered {
		if p.members[id] {
			return nil, fmt.Errorf("%s enters but was a member", id)
		}
		got[id] = true
	}
	if !slices.IsSorted(entered) || !slices.IsSorted(exited) {
		return nil, errors.New("movers are not sorted by id")
	}
	return got, nil
}

// checkMatchContacts checks MatchContacts agrees with the movers: its count
// always, and when full, its sample (every match, by score then id).
func (p *propRun) checkMatchContacts(ctx context.Context, f *flows.Filter, raw any, got map[string]bool, full bool) {
	t := p.t
	sample := 0
	if full {
		sample = len(p.ids)
	}
	n, list, err := p.s.MatchContacts(ctx, f, filterNow, sample)
	if err != nil {
		t.Fatalf("filter %s: MatchContacts: %v", jsonText(raw), err)
	}
	if int(n) != len(got) {
		t.Errorf("filter %s: MatchContacts counts %d, SegmentMovers find %d", jsonText(raw), n, len(got))
	}
	if !full {
		return
	}
	var want []string
	for _, id := range p.ids {
		if got[id] {
			want = append(want, id)
		}
	}
	slices.SortStableFunc(want, func(a, b string) int { return cmp.Compare(p.views[b].c.Score, p.views[a].c.Score) })
	if gotIDs := ids(list); !slices.Equal(gotIDs, want) {
		t.Errorf("filter %s: MatchContacts sample\n got  %v\n want %v (by score, then id)", jsonText(raw), gotIDs, want)
	}
}

// culprit finds the deepest part of a filter on which the backend and Go
// disagree for one contact, to make a failure readable.
func (p *propRun) culprit(raw any, id string) string {
	var found string
	var walk func(v any)
	walk = func(v any) {
		m, ok := v.(map[string]any)
		if !ok || found != "" {
			return
		}
		for _, key := range []string{"all", "any"} {
			if list, ok := m[key].([]any); ok {
				for _, c := range list {
					walk(c)
				}
			}
		}
		if c, ok := m["not"]; ok {
			walk(c)
		}
		if found != "" {
			return
		}
		f, errs := flows.ParseFilterValue(v, flows.ContactFilter)
		if len(errs) > 0 {
			return
		}
		got, err := p.matching(f)
		want, _ := f.Match(p.views[id], filterNow)
		if err != nil || got[id] != want {
			found = fmt.Sprintf("%s (Go %v, backend %v, err %v)", jsonText(v), want, got[id], err)
		}
	}
	walk(raw)
	return found
}

// propLeafKind names a single leaf's field kind and op, for coverage counts.
func propLeafKind(raw any) string {
	m := raw.(map[string]any)
	if _, ok := m["event"]; ok {
		k := "event"
		if _, ok := m["where"]; ok {
			k += "+where"
		}
		if c, ok := m["count"].(map[string]any); ok {
			k += " " + c["op"].(string)
		}
		return k
	}
	field := m["field"].(string)
	switch {
	case strings.HasPrefix(field, "attributes."):
		field = "attributes"
	case strings.HasPrefix(field, "score."):
		field = "score.<d>"
	case strings.HasPrefix(field, "score_change."):
		field = "score_change.<d>"
	}
	return field + " " + m["op"].(string)
}
