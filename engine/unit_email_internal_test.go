package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// TestBatchFindsContactsByEmail: within one unit of work an email finds
// the batch contact that holds it now, through the unit's email index:
// after an identify names an email-only contact's email it is merged; an
// email its contact gave up, or whose contact was merged away, finds no
// one (a new contact), and the new email finds its holder.
func TestBatchFindsContactsByEmail(t *testing.T) {
	sb, err := NewSandbox(Model{Settings: model.DefaultSettings()}, SandboxOptions{})
	require.NoError(t, err)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	u := sb.begin(now)
	u.aliases = map[string]string{} // as a live batch starts (the sandbox leaves it nil)
	apply := func(ev model.Event) *model.Event {
		t.Helper()
		ev.Timestamp = now
		require.NoError(t, u.apply(&ev))
		return &ev
	}
	// An email alone makes a contact whose id is the email (CONTRACT §2);
	// the identify naming it merges that contact into c-1.
	assert.Equal(t, "x@acme.test", apply(model.Event{ID: "e1", Type: "Hit", Email: "x@acme.test"}).ContactID)
	apply(model.Event{ID: "e2", Type: model.EventIdentify, ContactID: "c-1", Email: "X@acme.test"})
	assert.Equal(t, "c-1", u.aliases["x@acme.test"], "the email contact was merged into c-1")
	assert.Equal(t, "c-1", apply(model.Event{ID: "e3", Type: "Hit", Email: "x@acme.test"}).ContactID)

	// c-2 moves from old@ to new@: old@ is nobody's any more.
	apply(model.Event{ID: "e4", Type: model.EventIdentify, ContactID: "c-2", Email: "old@acme.test"})
	assert.Equal(t, "c-2", apply(model.Event{ID: "e5", Type: "Hit", Email: "old@acme.test"}).ContactID)
	apply(model.Event{ID: "e6", Type: model.EventIdentify, ContactID: "c-2", Email: "new@acme.test"})
	assert.Equal(t, "c-2", apply(model.Event{ID: "e7", Type: "Hit", Email: "new@acme.test"}).ContactID)
	assert.Equal(t, "old@acme.test", apply(model.Event{ID: "e8", Type: "Hit", Email: "old@acme.test"}).ContactID,
		"an email its contact gave up makes a new contact")

	// c-3 takes new@ too: either holder is a right answer, never a stale one.
	apply(model.Event{ID: "e9", Type: model.EventIdentify, ContactID: "c-3", Email: "new@acme.test"})
	apply(model.Event{ID: "e10", Type: model.EventIdentify, ContactID: "c-3", Email: "third@acme.test"})
	assert.Equal(t, "c-2", apply(model.Event{ID: "e11", Type: "Hit", Email: "new@acme.test"}).ContactID,
		"c-2 still holds new@ after c-3 moved on")
	require.NoError(t, sb.end(u))
}
