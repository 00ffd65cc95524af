//go:build race

package api_test

// raceEnabled: the race detector slows everything several times over, so
// the burst test sends fewer events under it.
const raceEnabled = true
