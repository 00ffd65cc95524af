package storetest

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// MigrationVersion is the version a backend records for a migration file:
// the number its name starts with. Numbers may skip (work on branches that
// each add one merges in any order), so it is not the file's position.
func MigrationVersion(t testing.TB, file string) int {
	t.Helper()
	num, _, _ := strings.Cut(filepath.Base(file), "_")
	v, err := strconv.Atoi(num)
	if err != nil {
		t.Fatalf("migration %s: the name must start with its number: %v", file, err)
	}
	return v
}
