package lab

import (
	"math"
	"runtime/debug"
	"sync"
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
// when the last replay ends.
const replayHeadroom = 1 << 30 // bytes

// lifted counts the replays running (one per Manager, and tests run
// several Managers) so the first raises the limit and the last restores it:
// interleaved lifts and restores would otherwise leave it raised.
var lifted struct {
	sync.Mutex
	n    int
	prev int64
}

// liftMemoryLimit raises the soft memory limit by replayHeadroom, if one is
// set, and returns what restores it.
func liftMemoryLimit() (restore func()) {
	lifted.Lock()
	defer lifted.Unlock()
	if lifted.n == 0 {
		lifted.prev = debug.SetMemoryLimit(-1) // -1 reads it
		if lifted.prev <= math.MaxInt64-replayHeadroom {
			debug.SetMemoryLimit(lifted.prev + replayHeadroom)
		}
	}
	lifted.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			lifted.Lock()
			defer lifted.Unlock()
			if lifted.n--; lifted.n == 0 {
				debug.SetMemoryLimit(lifted.prev)
			}
		})
	}
}
