package lab

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/store/sqlite"
)

// TestRunsQueueAndCancel: one run at a time, the others queue; a queued run
// cancelled never starts, a running one cancelled stops as cancelled.
func TestRunsQueueAndCancel(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	n := 0
	m := NewManager(st, nil, nil, nil, func() string { n++; return string(rune('a' + n - 1)) })
	t.Cleanup(m.Close)
	req := RunRequest{Model: json.RawMessage(`{"base": "live"}`), Outcome: json.RawMessage(`{"event": "Deal won"}`)}
	m.replaying.Lock() // hold the replay slot: runs start and wait, or wait in the queue
	first, err := m.Start(context.Background(), req)
	require.NoError(t, err)
	second, err := m.Start(context.Background(), req)
	require.NoError(t, err)
	state := func(id string) string {
		v, err := m.Get(id)
		require.NoError(t, err)
		return v.State
	}
	require.Eventually(t, func() bool { return state(first) == StateRunning }, 5*time.Second, time.Millisecond)
	assert.Equal(t, StateQueued, state(second), "one run at a time")
	v, err := m.Cancel(second)
	require.NoError(t, err)
	assert.Equal(t, StateCancelled, v.State)
	_, err = m.Cancel(first)
	require.NoError(t, err)
	m.replaying.Unlock()
	require.Eventually(t, func() bool { return state(first) == StateCancelled }, 5*time.Second, time.Millisecond)
	assert.Equal(t, StateCancelled, state(second))
	_, err = m.Apply(context.Background(), first)
	require.Error(t, err, "a cancelled run cannot be applied")

	third, err := m.Start(context.Background(), req)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return state(third) == StateDone }, 5*time.Second, time.Millisecond)
	v, err = m.Get(third)
	require.NoError(t, err)
	assert.Equal(t, 1.0, v.Progress)
	assert.Equal(t, 0, v.Result.Contacts)
	list := m.List()
	require.Len(t, list, 3)
	assert.Equal(t, third, list[0].ID, "newest first")
}
