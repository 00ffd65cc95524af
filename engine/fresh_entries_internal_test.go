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

// TestFreshContactEntryLimits: a contact new in this batch answers its
// flows' entry limits from the entries the batch recorded, without the
// store; one that took a merged contact's entries asks the store again,
// so a once flow the merged visitor had entered is not entered twice.
func TestFreshContactEntryLimits(t *testing.T) {
	flow := func(id, event, entry string, points int) store.FlowRecord {
		t.Helper()
		f, err := flows.Parse([]byte(`{"id": "` + id + `", "name": "` + id + `", "enabled": true, "entry": ` + entry + `,
			"nodes": [{"id": "t", "type": "trigger.event", "config": {"name": "` + event + `"}},
			          {"id": "a", "type": "action.adjust_score", "config": {"score": "engagement", "points": ` + string(rune('0'+points)) + `}}],
			"edges": [{"from": "t", "to": "a"}]}`))
		require.NoError(t, err)
		doc, err := json.Marshal(f)
		require.NoError(t, err)
		return store.FlowRecord{ID: id, Name: id, Enabled: true, Version: 1, Doc: doc}
	}
	m := Model{Settings: model.DefaultSettings(), Flows: []store.FlowRecord{
		flow("signup", "Signup", `{"mode": "once"}`, 1),
		flow("demo", "Demo", `{"mode": "limited", "max": 2, "window": "1h"}`, 2),
	}}
	sb, err := NewSandbox(m, SandboxOptions{})
	require.NoError(t, err)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	u := sb.begin(now)
	u.aliases = map[string]string{} // as a live batch starts (the sandbox leaves it nil)
	apply := func(id, typ, contact, anon string, at time.Time) {
		t.Helper()
		require.NoError(t, u.apply(&model.Event{ID: id, Type: typ, ContactID: contact, AnonymousID: anon, Timestamp: at}))
	}
	score := func(id string) int64 { t.Helper(); return u.contacts[id].c.Scores["engagement"] }

	// A new contact: once enters once; limited twice within its window,
	// then again once the first entry left the window.
	apply("s1", "Signup", "new", "", now)
	apply("s2", "Signup", "new", "", now.Add(time.Minute))
	apply("d1", "Demo", "new", "", now)
	apply("d2", "Demo", "new", "", now.Add(10*time.Minute))
	apply("d3", "Demo", "new", "", now.Add(20*time.Minute))
	apply("d4", "Demo", "new", "", now.Add(61*time.Minute))
	assert.True(t, u.contacts["new"].fresh)
	assert.Equal(t, int64(1+2+2+2), score("new"))

	// The anonymous visitor signed up; the known lead, new in this batch,
	// takes its past by the identify and may not sign up again.
	apply("a1", "Signup", "anon", "anon", now)
	apply("m1", model.EventIdentify, "known", "anon", now.Add(time.Minute))
	assert.False(t, u.contacts["known"].fresh, "a merge brought entries from the store")
	apply("k1", "Signup", "known", "", now.Add(2*time.Minute))
	assert.Equal(t, int64(1), score("known"), "the once flow the visitor entered is not entered again")
	require.NoError(t, sb.end(u))
}
