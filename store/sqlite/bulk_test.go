package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/sqlite"
)

// TestSegmentMovesInBulk: movers are found by one SQL condition and
// written in bulk, leaving contacts.segments sorted and segment_members in
// step with it.
func TestSegmentMovesInBulk(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	defer st.Close()
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

	tx, err := st.Begin(ctx)
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		c := &model.Contact{ID: fmt.Sprintf("c%d", i), Score: int64(i * 10), Segments: []string{"a", "z"}, CreatedAt: now}
		if i < 3 {
			c.Segments = []string{"a", "hot", "z"} // wrongly members: they must exit
		}
		require.NoError(t, tx.SaveContact(&store.ContactRecord{Contact: c}))
		if i < 3 {
			require.NoError(t, tx.SetMembership("hot", c.ID, true, now))
		}
	}
	entered, exited, err := tx.SegmentMovers("hot", "c.score >= ?", []any{50})
	require.NoError(t, err)
	assert.Equal(t, []string{"c5", "c6", "c7", "c8", "c9"}, entered)
	assert.Equal(t, []string{"c0", "c1", "c2"}, exited)
	require.NoError(t, tx.ApplySegmentMoves("hot", entered, exited, now))
	require.NoError(t, tx.DueAll(now))
	require.NoError(t, tx.Commit())

	c, err := st.GetContact(ctx, "c7")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "hot", "z"}, c.Segments, "sorted, with hot added")
	c, err = st.GetContact(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "z"}, c.Segments)
	members, _, err := st.SegmentMembers(ctx, "hot", 100, "")
	require.NoError(t, err)
	assert.Len(t, members, 5)
	due, err := st.DueContacts(ctx, now, 100)
	require.NoError(t, err)
	assert.Len(t, due, 10)

	tx, err = st.Begin(ctx)
	require.NoError(t, err)
	entered, exited, err = tx.SegmentMovers("hot", "c.score >= ?", []any{50})
	require.NoError(t, err)
	assert.Empty(t, entered, "a second pass finds nothing to move")
	assert.Empty(t, exited)
	require.NoError(t, tx.Rollback())
}
