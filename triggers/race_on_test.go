//go:build race

package triggers_test

// raceEnabled: the race detector makes sync.Pool drop items, so regexp
// allocates now and then; allocation counts are not meaningful under it.
const raceEnabled = true
