package storetest

import (
	"slices"
	"testing"

	"github.com/scoreflow/scoreflow/store"
)

// CopyCoversSchema checks that every table of a backend's migrated schema
// is either copied by `scoreflow store copy` (store.CopyTables) or left to
// the target (store.OwnTables), and that neither list names a table the
// schema lacks: a table added by a migration and forgotten there would be
// lost by every copy without a word.
func CopyCoversSchema(t *testing.T, schemaTables []string) {
	t.Helper()
	var listed []string
	for _, ct := range store.CopyTables {
		listed = append(listed, ct.Name)
	}
	listed = append(listed, store.OwnTables...)
	slices.Sort(listed)
	if dup := slices.Compact(slices.Clone(listed)); len(dup) != len(listed) {
		t.Errorf("a table is listed twice in CopyTables and OwnTables: %v", listed)
	}
	schema := slices.Sorted(slices.Values(schemaTables))
	for _, name := range schema {
		if _, found := slices.BinarySearch(listed, name); !found {
			t.Errorf("table %s is neither in store.CopyTables nor in store.OwnTables", name)
		}
	}
	for _, name := range listed {
		if _, found := slices.BinarySearch(schema, name); !found {
			t.Errorf("store.CopyTables or OwnTables lists %s, which the schema does not have", name)
		}
	}
}
