package sqlite

import (
	"context"
	"fmt"
)

// Ping implements store.Pinger: a query on a reader, which also finds a
// database file that went away under the process.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}
