package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/scoreflow/scoreflow/store"
)

var _ store.Exporter = (*Store)(nil)

// ExportTable implements store.Exporter, reading from one snapshot (a read
// connection's transaction) so the rows of one table are consistent.
func (s *Store) ExportTable(ctx context.Context, t store.CopyTable, fn func(row []any) error) error {
	q := `SELECT ` + strings.Join(t.Columns, ", ") + ` FROM ` + t.Name
	if t.InsertionOrder {
		q += ` ORDER BY rowid`
	}
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("export %s: %w", t.Name, err)
	}
	defer rows.Close()
	row := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for i := range row {
		ptrs[i] = &row[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("export %s: %w", t.Name, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", t.Name, err)
	}
	return nil
}
