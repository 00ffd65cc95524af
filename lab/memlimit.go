package lab

import (
	"math"
	"runtime/debug"
)

// replayHeadroom is how far a replay lifts the Go runtime's soft memory
// limit above the one the process set (cmd/scoreflow sets 320 MiB unless
// GOMEMLIMIT says otherwise). A replay's sandboxes hold every contact of the
// window, twice for a lab run: about 2.5 KB a contact for the reference
// model, 250 MB for 100,000 contacts. Under a limit barely above that the
// collector runs all the time: a lab run over 1M events and 100k contacts
// spent 70% of its CPU in the collector and took 42 s on 2 cores (22 s
// lifted). Lifted, GOGC governs as usual (a collection when the heap doubles),
// and the heap stays bounded by the window's contacts; the limit comes back
// when the replay ends. Replays run one at a time (Manager.replaying).
const replayHeadroom = 1 << 30 // bytes

// liftMemoryLimit raises the soft memory limit by replayHeadroom, if one is
// set, and returns what restores it.
func liftMemoryLimit() (restore func()) {
	prev := debug.SetMemoryLimit(-1) // -1 reads it
	if prev == math.MaxInt64 || prev > math.MaxInt64-replayHeadroom {
		return func() {}
	}
	debug.SetMemoryLimit(prev + replayHeadroom)
	return func() { debug.SetMemoryLimit(prev) }
}
