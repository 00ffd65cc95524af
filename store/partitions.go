package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrFenced is wrapped by FencePartitions when another owner claimed one
// of the batch's partitions since this one did: the batch must roll back,
// and its messages are the new owner's to apply.
var ErrFenced = errors.New("partition fenced: claimed by another owner")

// FencedError names the partitions a batch found claimed by another owner.
type FencedError struct {
	Partitions []int
}

func (e *FencedError) Error() string {
	return fmt.Sprintf("partitions %v: %v", e.Partitions, ErrFenced)
}

// Is makes errors.Is(err, ErrFenced) hold.
func (e *FencedError) Is(target error) bool { return target == ErrFenced }

// PartitionEpoch is the last claim of one event partition.
type PartitionEpoch struct {
	Partition int
	Owner     string
	Epoch     int64
	ClaimedAt time.Time
}

// PartitionStore records who applies each event partition. Claiming a
// partition raises its epoch; every batch checks, in its own transaction,
// that the epochs it holds are still the latest (Tx.FencePartitions), so a
// replica that lost a partition cannot commit for it any more.
type PartitionStore interface {
	// ClaimPartition raises p's epoch and records owner, returning the new
	// epoch. On PostgreSQL the row lock waits for a batch of the previous
	// owner that is committing (it holds the row FOR SHARE).
	ClaimPartition(ctx context.Context, p int, owner string) (int64, error)
	// PartitionEpochs lists every claimed partition by number.
	PartitionEpochs(ctx context.Context) ([]PartitionEpoch, error)
}

// PartitionTx is the fence of one batch.
type PartitionTx interface {
	// FencePartitions returns a *FencedError (errors.Is ErrFenced) when any
	// partition's epoch is not the one given (or it was never claimed);
	// until commit it keeps those rows from being claimed.
	FencePartitions(epochs map[int]int64) error
}

// CheckEpochs compares the stored epochs of the fenced partitions with
// the ones a batch holds; backends share it.
func CheckEpochs(want, got map[int]int64) error {
	var fenced []int
	for p, e := range want {
		if g, ok := got[p]; !ok || g != e {
			fenced = append(fenced, p)
		}
	}
	if len(fenced) == 0 {
		return nil
	}
	slices.Sort(fenced)
	return &FencedError{Partitions: fenced}
}
