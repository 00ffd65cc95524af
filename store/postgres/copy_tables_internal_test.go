package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/store/storetest"
)

func TestCopyCoversEverySchemaTable(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	rows, err := s.pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	require.NoError(t, err)
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, tables, "contacts", "the schema is migrated")
	storetest.CopyCoversSchema(t, tables)
}
