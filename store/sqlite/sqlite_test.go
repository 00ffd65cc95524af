package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/sqlite"
	"github.com/scoreflow/scoreflow/store/storetest"
)

// openSQLiteAt opens the store on path and closes it when the test ends.
func openSQLiteAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openSQLiteAt(t, filepath.Join(t.TempDir(), "scoreflow.db"))
	})
}

// rawDB is a plain go-sqlite3 handle on the store's file, to look at what
// the store interface does not expose (schema_migrations, journal mode).
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLiteMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "scoreflow.db") // the data dir does not exist yet

	first, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("first open: %v", err)
	}
	if _, err := first.CreateFlow(ctx, store.FlowRecord{ID: "kept", Name: "Kept", Doc: []byte(`{"id":"kept"}`)}); err != nil {
		t.Fatal(err)
	}
	gen, err := first.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A second store on the same file while the first is still open: the
	// migration is already recorded, so nothing is applied again.
	second := openSQLiteAt(t, path)
	if err := first.Close(); err != nil {
		t.Fatalf("close first: %v", err)
	}
	// And a third after the first has gone.
	third := openSQLiteAt(t, path)
	for name, s := range map[string]*sqlite.Store{"second": second, "third": third} {
		f, err := s.GetFlow(ctx, "kept")
		if err != nil {
			t.Fatalf("%s open: GetFlow after reopen: %v", name, err)
		}
		if f.Version != 1 {
			t.Errorf("%s open: flow version = %d, want 1", name, f.Version)
		}
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if g != gen {
			t.Errorf("%s open: generation = %d, want %d (migration re-run would reset it)", name, g, gen)
		}
	}

	db := rawDB(t, path)
	rows, err := db.QueryContext(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type applied struct {
		version int
		name    string
	}
	var got []applied
	for rows.Next() {
		var a applied
		if err := rows.Scan(&a.version, &a.name); err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Every embedded migration is recorded once, in order.
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var want []applied
	for _, f := range files {
		// Numbers are assigned per change, so they may leave gaps.
		num, _, _ := strings.Cut(filepath.Base(f), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		want = append(want, applied{version: v, name: filepath.Base(f)})
	}
	if len(want) < 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("schema_migrations = %+v, want %+v", got, want)
	}

	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}
