package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The reads a batch makes per event (a contact not cached, its aliases and
// entries, its history windows) run on the writer's driver connection too.
// Inside a transaction database/sql starts a goroutine for every query, to
// watch the transaction's context, besides converting the arguments and
// allocating its Rows; SQLite itself was under a fifth of LoadContact's
// time. Moving these reads here: `bench -events 200000 -contacts 1000000`
// at 0.80 of the CPU and 0.81 of the wall time, `bench -playbook` (its
// segments read history windows) at 0.90 and 0.89 (farm-bench, 3 pairs).

// query runs the statement with vals and calls each with every row's
// values, which stay valid after the call (the driver copies text and
// blobs out of SQLite).
func (r *rawStmt) query(ctx context.Context, each func(row []driver.Value) error, vals ...any) error {
	if err := r.bind(vals); err != nil {
		return err
	}
	rows, err := r.s.QueryContext(ctx, r.args)
	r.clearArgs()
	if err != nil {
		return err
	}
	if len(r.dest) != len(rows.Columns()) {
		r.dest = make([]driver.Value, len(rows.Columns()))
	}
	for {
		err = rows.Next(r.dest)
		if err != nil {
			break
		}
		if err = each(r.dest); err != nil {
			break
		}
	}
	clear(r.dest)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return errors.Join(err, rows.Close())
}

// queryFirst hands the first row, if there is one, to scan (written
// against database/sql's Scan), and says whether there was.
func (r *rawStmt) queryFirst(ctx context.Context, scan func(row rawRow) error, vals ...any) (bool, error) {
	found := false
	err := r.query(ctx, func(row []driver.Value) error {
		if found {
			return nil
		}
		found = true
		return scan(row)
	}, vals...)
	return found, err
}

// queryRow scans the first row into dest as database/sql's Row.Scan
// would, sql.ErrNoRows when there is none.
func (r *rawStmt) queryRow(ctx context.Context, dest []any, vals ...any) error {
	found, err := r.queryFirst(ctx, func(row rawRow) error { return row.Scan(dest...) }, vals...)
	if err == nil && !found {
		return sql.ErrNoRows
	}
	return err
}

// rawRow is a row already read, for scanners written against database/sql
// (scanContactRecord).
type rawRow []driver.Value

func (r rawRow) Scan(dest ...any) error { return scanRow(r, dest) }

// scanRow assigns a row's values to dest, for the destination types the
// hot reads use; any other is an error rather than a guess.
func scanRow(row []driver.Value, dest []any) error {
	if len(row) != len(dest) {
		return fmt.Errorf("scan: %d columns into %d destinations", len(row), len(dest))
	}
	for i, d := range dest {
		if err := assign(d, row[i]); err != nil {
			return fmt.Errorf("scan column %d: %w", i, err)
		}
	}
	return nil
}

func assign(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case sql.Scanner:
		return d.Scan(v)
	case *string:
		switch x := v.(type) {
		case string:
			*d = x
		case []byte:
			*d = string(x)
		case int64:
			*d = strconv.FormatInt(x, 10)
		case float64:
			*d = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			return fmt.Errorf("cannot put %T into a string", v)
		}
	case *int64:
		n, err := asInt64(v)
		if err != nil {
			return err
		}
		*d = n
	case *int:
		n, err := asInt64(v)
		if err != nil {
			return err
		}
		*d = int(n)
	case *float64:
		switch x := v.(type) {
		case float64:
			*d = x
		case int64:
			*d = float64(x)
		default:
			return fmt.Errorf("cannot put %T into a float64", v)
		}
	default:
		return fmt.Errorf("unsupported destination %T", dest)
	}
	return nil
}

func asInt64(v driver.Value) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	case []byte:
		return strconv.ParseInt(string(x), 10, 64)
	default:
		return 0, fmt.Errorf("cannot put %T into an integer", v)
	}
}
