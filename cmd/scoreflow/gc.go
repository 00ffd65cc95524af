package main

import (
	"os"
	"runtime/debug"
)

// GC defaults, for when the environment sets none. The engine allocates
// per event (decoded events, contact copies, SQL arguments) and keeps a
// modest live heap, so collecting at 1.5× the live heap instead of 2× cuts
// GC work; the soft memory limit then caps the Go heap where a large backlog
// or contact cache would otherwise let it grow to twice its live size.
// GOGC and GOMEMLIMIT in the environment win, as the runtime documents.
const (
	defaultGCPercent = 150
	defaultMemLimit  = 320 << 20 // bytes, Go memory only (SQLite's page cache is outside it)
)

func init() { tuneGC(os.Getenv) }

// tuneGC applies the defaults the environment leaves unset.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemLimit)
	}
}
