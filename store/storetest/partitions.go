package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/store"
)

// testPartitions: claims raise a partition's epoch; a batch holding an old
// epoch, or one never claimed, is fenced; a claim waits for a batch that
// fenced the partition and is still open.
func testPartitions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	e1, err := s.ClaimPartition(ctx, 3, "a")
	require.NoError(t, err)
	assert.Equal(t, int64(1), e1)
	e2, err := s.ClaimPartition(ctx, 3, "b")
	require.NoError(t, err)
	assert.Equal(t, int64(2), e2)
	o1, err := s.ClaimPartition(ctx, 0, "a")
	require.NoError(t, err)
	assert.Equal(t, int64(1), o1, "epochs are per partition")

	list, err := s.PartitionEpochs(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, 0, list[0].Partition)
	assert.Equal(t, "a", list[0].Owner)
	assert.Equal(t, 3, list[1].Partition)
	assert.Equal(t, "b", list[1].Owner)
	assert.Equal(t, int64(2), list[1].Epoch)
	assert.False(t, list[1].ClaimedAt.IsZero())

	for _, tc := range []struct {
		name   string
		epochs map[int]int64
		fenced []int
	}{
		{"current", map[int]int64{0: 1, 3: 2}, nil},
		{"none", map[int]int64{}, nil},
		{"stale", map[int]int64{0: 1, 3: 1}, []int{3}},
		{"never claimed", map[int]int64{7: 1, 3: 2}, []int{7}},
		{"both", map[int]int64{0: 5, 3: 1}, []int{0, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := s.Begin(ctx)
			require.NoError(t, err)
			err = tx.FencePartitions(tc.epochs)
			require.NoError(t, tx.Rollback())
			if tc.fenced == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, store.ErrFenced)
			var fe *store.FencedError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, tc.fenced, fe.Partitions)
		})
	}

	// A batch that passed its fence keeps the partition until it ends: the
	// next claim returns only after the commit, and the batch after it is
	// fenced.
	tx, err := s.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.FencePartitions(map[int]int64{3: 2}))
	claimed := make(chan int64, 1)
	go func() {
		e, err := s.ClaimPartition(ctx, 3, "c")
		assert.NoError(t, err)
		claimed <- e
	}()
	select {
	case e := <-claimed:
		t.Fatalf("claim returned epoch %d while a fenced batch was open", e)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx.Commit())
	select {
	case e := <-claimed:
		assert.Equal(t, int64(3), e)
	case <-time.After(10 * time.Second):
		t.Fatal("claim did not return after the batch committed")
	}
	tx, err = s.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback()
	require.ErrorIs(t, tx.FencePartitions(map[int]int64{3: 2}), store.ErrFenced)
}
