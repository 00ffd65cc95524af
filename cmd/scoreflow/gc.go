package main

import (
	"os"
	"runtime/debug"
)

// defaultMemLimit is the Go runtime's soft memory limit when GOMEMLIMIT is
// not set. Collecting at twice the live heap (GOGC=100) lets the heap of a
// million-contact run (a full contact cache plus the stream's backlog in
// flight) grow to ~390 MB; the limit makes the collector run earlier there,
// and changes nothing while the heap stays under it (10,000 contacts). It
// counts Go memory only: SQLite's page cache is outside it. GOGC=150 was
// tried too: 0.93 of the CPU seconds, but 10,000 contacts then peaked over
// 300 MiB. GOMEMLIMIT in the environment wins, as the runtime documents.
const defaultMemLimit = 320 << 20 // bytes

func init() { tuneGC(os.Getenv) }

// tuneGC applies the default the environment leaves unset.
func tuneGC(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemLimit)
	}
}
