package apptest

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scoreflow/scoreflow/internal/pgtest"
)

// The engine's end-to-end tests run on every store backend: EachStore runs
// a test body once per backend, as subtests named "sqlite" and "postgres",
// and Start inside a "postgres" subtest keeps the app's state in a fresh
// PostgreSQL database. A restart on the same DataDir finds the same
// database again, as it would find the same SQLite file, so restart and
// crash tests need no change to run on both.
//
// A package using EachStore calls pgtest.Main from its TestMain, which
// stops the private PostgreSQL cluster when its tests are done.

// Backends are the subtest names EachStore runs, one per backend.
var Backends = []string{"sqlite", "postgres"}

// EachStore runs fn once per store backend.
func EachStore(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b, fn)
	}
}

// OnPostgres reports whether t runs inside EachStore's postgres subtest.
func OnPostgres(t testing.TB) bool {
	for _, part := range strings.Split(t.Name(), "/") {
		if part == "postgres" {
			return true
		}
	}
	return false
}

var (
	databasesMu sync.Mutex
	databases   = map[string]string{} // data dir → its PostgreSQL URL
)

// StoreFor is the --store of an app on dataDir in this test: "" (SQLite in
// dataDir) outside a postgres subtest, else the database of that data dir,
// created on first use.
func StoreFor(t testing.TB, dataDir string) string {
	t.Helper()
	if !OnPostgres(t) {
		return ""
	}
	key := filepath.Clean(dataDir)
	databasesMu.Lock()
	defer databasesMu.Unlock()
	if url, ok := databases[key]; ok {
		return url
	}
	url := pgtest.URL(t)
	databases[key] = url
	t.Cleanup(func() {
		databasesMu.Lock()
		delete(databases, key)
		databasesMu.Unlock()
	})
	return url
}
