package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTuneGC: the default limit applies only when the environment sets none.
func TestTuneGC(t *testing.T) {
	old := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(old)

	tuneGC(func(string) string { return "" })
	assert.Equal(t, int64(defaultMemLimit), debug.SetMemoryLimit(math.MaxInt64))

	tuneGC(func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] })
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(math.MaxInt64), "GOMEMLIMIT from the environment stays")
}
