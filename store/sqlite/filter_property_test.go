package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/storetest"
)

// filterPropertyCases is sized for CI's go test -race on two cores: two
// populations of contacts, about 15 s alone (7 s without -race).
// SCOREFLOW_PROPERTY_CASES raises it.
const filterPropertyCases = 1_200_000

// TestSQLiteFilterProperty checks the SQLite filter compiler against the Go
// evaluator on random filters and contacts.
func TestSQLiteFilterProperty(t *testing.T) {
	storetest.FilterProperty(t, openSQLite, filterPropertyCases)
}

func openSQLite(t *testing.T) store.Store {
	return openSQLiteAt(t, filepath.Join(t.TempDir(), "scoreflow.db"))
}
