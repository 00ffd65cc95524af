package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// TestCachedContactUnchangedByBatch: a batch shares a cached contact's maps
// and slices until it changes one, so every way an event changes a part
// (score, tags added and removed, an attribute set and cleared, a segment
// entered) must copy it first: the cached record, which a rolled-back batch
// falls back to, keeps what was committed.
func TestCachedContactUnchangedByBatch(t *testing.T) {
	f, err := flows.Parse([]byte(`{"id": "f", "name": "f", "enabled": true,
		"nodes": [{"id": "t", "type": "trigger.event", "config": {"name": "Visit"}},
		          {"id": "s", "type": "action.adjust_score", "config": {"score": "engagement", "points": 5}},
		          {"id": "a", "type": "action.add_tag", "config": {"tag": "hot"}},
		          {"id": "r", "type": "action.remove_tag", "config": {"tag": "cold"}}],
		"edges": [{"from": "t", "to": "s"}, {"from": "s", "to": "a"}, {"from": "a", "to": "r"}]}`))
	require.NoError(t, err)
	doc, err := json.Marshal(f)
	require.NoError(t, err)
	seg := model.Segment{ID: "scored", Name: "scored", Where: json.RawMessage(`{"field": "score", "op": "gte", "value": 5}`)}
	sb, err := NewSandbox(Model{Settings: model.DefaultSettings(), Flows: []store.FlowRecord{{ID: "f", Name: "f", Enabled: true, Version: 1, Doc: doc}},
		Segments: []model.Segment{seg}}, SandboxOptions{})
	require.NoError(t, err)

	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	committed := func() *store.ContactRecord {
		return &store.ContactRecord{Contact: &model.Contact{ID: "c1", CreatedAt: now.Add(-time.Hour),
			Attributes: map[string]any{"plan": "free", "city": "Oslo"}, Scores: map[string]int64{"engagement": 1}, Score: 1,
			Tags: make([]string, 2, 8), Segments: make([]string, 0, 8)}}
	}
	cached := committed()
	// Spare capacity: an append or insert in place would reach the cache's
	// backing arrays too.
	cached.Contact.Tags[0], cached.Contact.Tags[1] = "cold", "lead"
	want := committed()
	want.Contact.Tags = []string{"cold", "lead"}
	want.Contact.Segments = []string{}
	sb.eng.contacts.Add("c1", cached)

	u := sb.begin(now)
	u.aliases = map[string]string{}
	require.NoError(t, u.apply(&model.Event{ID: "e1", Type: "Visit", ContactID: "c1", Timestamp: now,
		Traits: map[string]any{"plan": "pro", "city": nil}}))

	got := u.contacts["c1"].c
	assert.Equal(t, map[string]int64{"engagement": 6}, got.Scores)
	assert.Equal(t, []string{"lead", "hot"}, got.Tags)
	assert.Equal(t, map[string]any{"plan": "pro"}, got.Attributes)
	assert.Equal(t, []string{"scored"}, got.Segments)

	assert.Equal(t, want.Contact.Scores, cached.Contact.Scores)
	assert.Equal(t, want.Contact.Attributes, cached.Contact.Attributes)
	assert.Equal(t, want.Contact.Tags, cached.Contact.Tags)
	assert.Equal(t, want.Contact.Segments, cached.Contact.Segments)
	assert.Equal(t, []string{"cold", "lead", ""}, cached.Contact.Tags[:3], "nothing written past the cache's tags either")
	assert.Empty(t, cached.Contact.Segments[:1][0], "nor past its segments")
}

// TestOwnCopiesOnlySharedParts: own copies a part once, and only a part
// still shared; a contact from the store or new owns every part already.
func TestOwnCopiesOnlySharedParts(t *testing.T) {
	rec := &store.ContactRecord{Contact: &model.Contact{ID: "c", Attributes: map[string]any{"a": 1}, Scores: map[string]int64{"s": 1},
		Tags: []string{"t"}, Segments: []string{"g"}}}
	cs := newState(share(rec), allParts)
	cs.own(partScores)
	cs.c.Scores["s"] = 2
	assert.Equal(t, int64(1), rec.Contact.Scores["s"])
	scores := cs.c.Scores
	cs.own(partScores)
	cs.c.Scores["s"] = 3
	assert.Equal(t, int64(3), scores["s"], "a part is copied once")
	assert.Equal(t, partAttributes|partTags|partSegments, cs.shared)
	cs.c.Attributes["a"] = 2 // still shared: visible in the record, which is why own comes first
	assert.Equal(t, 2, rec.Contact.Attributes["a"])

	owned := newState(rec, 0)
	before := owned.c.Scores
	owned.own(allParts)
	owned.c.Scores["s"] = 9
	assert.Equal(t, int64(9), before["s"], "an owned part is not copied")

	empty := newState(share(&store.ContactRecord{Contact: &model.Contact{ID: "n"}}), allParts)
	empty.own(partAttributes)
	empty.c.Attributes["x"] = 1 // a nil map shared becomes a map of its own
	assert.Equal(t, map[string]any{"x": 1}, empty.c.Attributes)
}
