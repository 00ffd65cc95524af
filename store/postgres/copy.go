package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/store"
)

// `scoreflow store copy`: the tables and columns are SQLite's, so rows
// cross one to one; this file converts values between the neutral shapes
// of store.CopyTable (int64 booleans, JSON as text) and this schema's
// column types (BOOLEAN, JSONB, BYTEA).

var (
	_ store.Exporter = (*Store)(nil)
	_ store.Importer = (*Store)(nil)
)

// copyChunk is how many rows one COPY sends: large enough to stream at
// full speed, small enough that a table of millions never sits in memory.
const copyChunk = 5000

// columnTypes reads a table's column types (information_schema's
// data_type: "boolean", "jsonb", "bytea", "text", "bigint"…).
func columnTypes(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, table string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		types[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("table %s does not exist", table)
	}
	return types, nil
}

// ExportTable implements store.Exporter from one consistent snapshot per
// table; booleans leave as 0/1 and JSON as its text, as SQLite keeps them.
func (s *Store) ExportTable(ctx context.Context, t store.CopyTable, fn func(row []any) error) error {
	types, err := columnTypes(ctx, s.pool, t.Name)
	if err != nil {
		return fmt.Errorf("export %s: %w", t.Name, err)
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		switch types[c] {
		case "boolean":
			cols[i] = c + "::int8"
		case "jsonb", "json":
			cols[i] = c + "::text"
		case "":
			return fmt.Errorf("export %s: no column %s", t.Name, c)
		default:
			cols[i] = c
		}
	}
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + pgx.Identifier{t.Name}.Sanitize()
	if t.InsertionOrder {
		q += ` ORDER BY seq` // the identity column that stands for SQLite's rowid
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("export %s: %w", t.Name, err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("export %s: %w", t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		row, err := rows.Values()
		if err != nil {
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

// copyCheckTables are the tables whose rows make a store "not empty".
var copyCheckTables = []string{"settings", "flows", "flow_versions", "segments", "contacts", "events", "ledger", "waiting_runs", "webhook_outbox"}

// ImportEmpty implements store.Importer.
func (s *Store) ImportEmpty(ctx context.Context) (bool, error) {
	return importEmpty(ctx, s.pool)
}

func importEmpty(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	for _, t := range copyCheckTables {
		var any bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{t}.Sanitize()+`)`).Scan(&any); err != nil {
			return false, fmt.Errorf("check %s is empty: %w", t, err)
		}
		if any {
			return false, nil
		}
	}
	return true, nil
}

// errNotEmpty is Import's refusal; stores.Copy checks first and names it.
var errNotEmpty = errors.New("the target store is not empty")

// Import implements store.Importer: every table in one transaction, each
// sent with COPY in chunks, then the identity sequences moved past the
// copied ids so new rows never collide with them.
func (s *Store) Import(ctx context.Context, tables []store.CopyTable,
	next func(t store.CopyTable, fn func(row []any) error) error, progress func(table string, rows int64)) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback(ctx)
	// Two copies at once into one empty database: the second waits here and
	// then finds the first one's rows.
	if _, err := tx.Exec(ctx, `LOCK TABLE contacts IN EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	empty, err := importEmpty(ctx, tx)
	if err != nil {
		return err
	}
	if !empty {
		return errNotEmpty
	}
	for _, t := range tables {
		n, err := importTable(ctx, tx, t, next)
		if err != nil {
			return err
		}
		if progress != nil {
			progress(t.Name, n)
		}
	}
	if err := resetIdentities(ctx, tx, tables); err != nil {
		return err
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	return nil
}

func importTable(ctx context.Context, tx pgx.Tx, t store.CopyTable, next func(t store.CopyTable, fn func(row []any) error) error) (int64, error) {
	types, err := columnTypes(ctx, tx, t.Name)
	if err != nil {
		return 0, fmt.Errorf("import %s: %w", t.Name, err)
	}
	convert := make([]func(any) (any, error), len(t.Columns))
	for i, c := range t.Columns {
		if convert[i] = importValue(types[c]); convert[i] == nil {
			return 0, fmt.Errorf("import %s: no column %s", t.Name, c)
		}
	}
	var total int64
	chunk := make([][]any, 0, copyChunk)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, pgx.CopyFromRows(chunk))
		if err != nil {
			return fmt.Errorf("import %s: %s", t.Name, pgErrorText(err))
		}
		total += n
		chunk = chunk[:0]
		return nil
	}
	err = next(t, func(row []any) error {
		out := make([]any, len(row))
		for i, v := range row {
			cv, err := convert[i](v)
			if err != nil {
				return fmt.Errorf("import %s.%s: %w", t.Name, t.Columns[i], err)
			}
			out[i] = cv
		}
		chunk = append(chunk, out)
		if len(chunk) == copyChunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return total, nil
}

// importValue converts a neutral value to what a column of the type takes;
// nil for a column that does not exist.
func importValue(typ string) func(any) (any, error) {
	text := func(v any) (any, error) {
		switch x := v.(type) {
		case nil, string:
			return x, nil
		case []byte:
			return string(x), nil
		}
		return nil, fmt.Errorf("want text, have %T", v)
	}
	switch typ {
	case "":
		return nil
	case "boolean":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, bool:
				return x, nil
			case int64:
				return x != 0, nil
			}
			return nil, fmt.Errorf("want a boolean, have %T", v)
		}
	case "jsonb", "json", "text", "character varying":
		return text
	case "bytea":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, []byte:
				return x, nil
			case string:
				return []byte(x), nil
			}
			return nil, fmt.Errorf("want bytes, have %T", v)
		}
	}
	return func(v any) (any, error) { return v, nil } // numbers cross as they are
}

// resetIdentities moves each identity column's sequence past the largest
// copied value.
func resetIdentities(ctx context.Context, tx pgx.Tx, tables []store.CopyTable) error {
	for _, t := range tables {
		rows, err := tx.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'`, t.Name)
		if err != nil {
			return fmt.Errorf("identities of %s: %w", t.Name, err)
		}
		var cols []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return fmt.Errorf("identities of %s: %w", t.Name, err)
			}
			cols = append(cols, c)
		}
		rows.Close()
		for _, c := range cols {
			table, col := pgx.Identifier{t.Name}.Sanitize(), pgx.Identifier{c}.Sanitize()
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(`+col+`) FROM `+table+`), 0) + 1, false)`,
				t.Name, c); err != nil {
				return fmt.Errorf("reset %s.%s: %w", t.Name, c, err)
			}
		}
	}
	return nil
}
