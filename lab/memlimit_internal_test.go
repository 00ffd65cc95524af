package lab

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLiftMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	for _, tc := range []struct {
		name       string
		set, while int64
	}{
		{"a set limit gains the headroom", 320 << 20, 320<<20 + replayHeadroom},
		{"no limit stays none", math.MaxInt64, math.MaxInt64},
		{"a limit near the top stays", math.MaxInt64 - 1, math.MaxInt64 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(tc.set)
			restore := liftMemoryLimit()
			assert.Equal(t, tc.while, debug.SetMemoryLimit(-1), "while a replay runs")
			restore()
			assert.Equal(t, tc.set, debug.SetMemoryLimit(-1), "after it")
		})
	}
	t.Run("overlapping replays restore once both end", func(t *testing.T) {
		debug.SetMemoryLimit(320 << 20)
		a := liftMemoryLimit()
		b := liftMemoryLimit()
		assert.Equal(t, int64(320<<20+replayHeadroom), debug.SetMemoryLimit(-1), "lifted once, not twice")
		a()
		a() // a second call changes nothing
		assert.Equal(t, int64(320<<20+replayHeadroom), debug.SetMemoryLimit(-1), "still lifted while b runs")
		b()
		assert.Equal(t, int64(320<<20), debug.SetMemoryLimit(-1), "restored")
	})
}
