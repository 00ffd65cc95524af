package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTuneGC: the defaults apply only where the environment sets nothing.
func TestTuneGC(t *testing.T) {
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	defer func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) }()

	tuneGC(func(string) string { return "" })
	assert.Equal(t, defaultGCPercent, debug.SetGCPercent(100))
	assert.Equal(t, int64(defaultMemLimit), debug.SetMemoryLimit(math.MaxInt64))

	env := map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}
	tuneGC(func(k string) string { return env[k] })
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC from the environment stays")
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(math.MaxInt64), "GOMEMLIMIT from the environment stays")
}
