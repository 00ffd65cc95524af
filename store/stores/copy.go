package stores

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/scoreflow/scoreflow/store"
)

// ErrTargetNotEmpty is the refusal to copy into a store that has state.
var ErrTargetNotEmpty = errors.New("the target store is not empty")

// CopyReport says what a copy wrote.
type CopyReport struct {
	Tables map[string]int64
	Rows   int64
}

// MustExist checks that a SQLite source exists, so a typo is not mistaken
// for an empty store (opening would create the file).
func MustExist(t Target) error {
	if _, err := os.Stat(t.Path); err != nil {
		return fmt.Errorf("no Scoreflow store at %s: %w", t.Path, err)
	}
	return nil
}

// Copy copies every table of a stopped Scoreflow's store into an empty
// one, in one transaction of the target: it either holds everything
// afterwards or nothing. Both stores are migrated first.
func Copy(ctx context.Context, from, to Target, progress func(table string, rows int64)) (CopyReport, error) {
	report := CopyReport{Tables: map[string]int64{}}
	if from == to {
		return report, errors.New("--from and --to are the same store")
	}
	src, err := Open(ctx, from)
	if err != nil {
		return report, fmt.Errorf("open %s: %w", from, err)
	}
	defer src.Close()
	dst, err := Open(ctx, to)
	if err != nil {
		return report, fmt.Errorf("open %s: %w", to, err)
	}
	defer dst.Close()
	exp, ok := src.(store.Exporter)
	if !ok {
		return report, fmt.Errorf("%s cannot be copied from", from)
	}
	imp, ok := dst.(store.Importer)
	if !ok {
		return report, fmt.Errorf("%s cannot be copied into", to)
	}
	empty, err := imp.ImportEmpty(ctx)
	if err != nil {
		return report, err
	}
	if !empty {
		return report, fmt.Errorf("%s: %w; copy only into a new database", to, ErrTargetNotEmpty)
	}
	err = imp.Import(ctx, store.CopyTables, func(t store.CopyTable, fn func(row []any) error) error {
		return exp.ExportTable(ctx, t, fn)
	}, func(table string, rows int64) {
		report.Tables[table] = rows
		report.Rows += rows
		if progress != nil {
			progress(table, rows)
		}
	})
	if err != nil {
		return CopyReport{Tables: map[string]int64{}}, err
	}
	return report, nil
}
