package sqlite

import (
	"context"
	"fmt"

	"github.com/scoreflow/scoreflow/store"
)

// ClaimPartition implements store.PartitionStore. SQLite has one writer,
// so the claim is simply ordered with the batches.
func (s *Store) ClaimPartition(ctx context.Context, p int, owner string) (int64, error) {
	var epoch int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO partition_epochs (part, owner, epoch, claimed_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (part) DO UPDATE SET owner = excluded.owner, epoch = partition_epochs.epoch + 1, claimed_at = excluded.claimed_at
		RETURNING epoch`, p, owner, ms(s.now())).Scan(&epoch)
	if err != nil {
		return 0, fmt.Errorf("claim partition %d: %w", p, err)
	}
	return epoch, nil
}

// PartitionEpochs implements store.PartitionStore.
func (s *Store) PartitionEpochs(ctx context.Context) ([]store.PartitionEpoch, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT part, owner, epoch, claimed_at FROM partition_epochs ORDER BY part`)
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

// FencePartitions implements store.PartitionTx. The batch holds SQLite's
// write lock, so no claim can come between this check and the commit.
func (t *sqliteTx) FencePartitions(epochs map[int]int64) error {
	if len(epochs) == 0 {
		return nil
	}
	rows, err := t.stmt(t.st.fenceEpochs).Query()
	if err != nil {
		return fmt.Errorf("fence partitions: %w", err)
	}
	defer rows.Close()
	got := make(map[int]int64, len(epochs))
	for rows.Next() {
		var p int
		var e int64
		if err := rows.Scan(&p, &e); err != nil {
			return fmt.Errorf("fence partitions: %w", err)
		}
		got[p] = e
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fence partitions: %w", err)
	}
	return store.CheckEpochs(epochs, got)
}
