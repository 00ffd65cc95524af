package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/store"
)

// ClaimPartition implements store.PartitionStore. The upsert takes the
// row lock, so it waits for a batch of the previous owner that holds the
// row FOR SHARE (FencePartitions) and is committing; every later batch of
// that owner sees the new epoch and fails.
func (s *Store) ClaimPartition(ctx context.Context, p int, owner string) (int64, error) {
	var epoch int64
	err := s.pool.QueryRow(ctx, `INSERT INTO partition_epochs (part, owner, epoch, claimed_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (part) DO UPDATE SET owner = excluded.owner, epoch = partition_epochs.epoch + 1, claimed_at = excluded.claimed_at
		RETURNING epoch`, p, owner, ms(s.now())).Scan(&epoch)
	if err != nil {
		return 0, fmt.Errorf("claim partition %d: %w", p, err)
	}
	return epoch, nil
}

// PartitionEpochs implements store.PartitionStore.
func (s *Store) PartitionEpochs(ctx context.Context) ([]store.PartitionEpoch, error) {
	rows, err := s.pool.Query(ctx, `SELECT part, owner, epoch, claimed_at FROM partition_epochs ORDER BY part`)
	if err != nil {
		return nil, fmt.Errorf("partition epochs: %w", err)
	}
	defer rows.Close()
	var out []store.PartitionEpoch
	for rows.Next() {
		var pe store.PartitionEpoch
		var at int64
		if err := rows.Scan(&pe.Partition, &pe.Owner, &pe.Epoch, &at); err != nil {
			return nil, fmt.Errorf("partition epochs: %w", err)
		}
		pe.ClaimedAt = fromMS(at)
		out = append(out, pe)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("partition epochs: %w", err)
	}
	return out, nil
}

// FencePartitions implements store.PartitionTx: the rows stay locked FOR
// SHARE until the batch ends, so no claim lands between check and commit.
func (t *writeTx) FencePartitions(epochs map[int]int64) error {
	if len(epochs) == 0 {
		return nil
	}
	parts := make([]int32, 0, len(epochs))
	for p := range epochs {
		parts = append(parts, int32(p))
	}
	got := make(map[int]int64, len(epochs))
	err := t.eachRow(0, `SELECT part, epoch FROM partition_epochs WHERE part = ANY($1) ORDER BY part FOR SHARE`, []any{parts},
		func(rows pgx.Rows) (bool, error) {
			var p int32
			var e int64
			if err := rows.Scan(&p, &e); err != nil {
				return false, err
			}
			got[int(p)] = e
			return true, nil
		})
	if err != nil {
		return fmt.Errorf("fence partitions: %w", err)
	}
	return store.CheckEpochs(epochs, got)
}
