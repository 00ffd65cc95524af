package main

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/clustertest"
	"github.com/scoreflow/scoreflow/internal/pgtest"
)

// TestBenchReplicas runs bench -replicas as a user does (the built binary
// starts its replicas as processes of itself) with 1 replica and with
// clustertest.DefaultReplicas: every event is applied once, the replicas'
// counts add up to them, and each replica's CPU line parses.
func TestBenchReplicas(t *testing.T) {
	counts := []int{1}
	if n := clustertest.Replicas(t); n > 1 {
		counts = append(counts, n)
	}
	for _, n := range counts {
		t.Run(strconv.Itoa(n), func(t *testing.T) { benchReplicas(t, n) })
	}
}

func benchReplicas(t *testing.T, n int) {
	storeURL := pgtest.URL(t)
	p := startBinary(t, cleanEnv(), "bench", "-replicas", strconv.Itoa(n), "-store", storeURL,
		"-events", "3000", "-contacts", "300", "-idle-flows", "10")
	require.Equal(t, 0, p.wait(t, 90*time.Second), p.out.String())
	out := p.out.String()
	t.Log(out)
	assert.Contains(t, out, fmt.Sprintf(" %d replicas, ", n))
	assert.Regexp(t, `throughput\s+[1-9]\d* events/s end to end \(all replicas\)`, out)
	lines := regexp.MustCompile(`replica (\d+)\s+pid \d+: (\d+) events applied, cpu \S+, (\d+\.\d) µs per applied event`).FindAllStringSubmatch(out, -1)
	require.Len(t, lines, n, out)
	applied := 0
	for i, m := range lines {
		assert.Equal(t, strconv.Itoa(i), m[1])
		a, _ := strconv.Atoi(m[2])
		applied += a
		if a > 0 {
			perEvent, _ := strconv.ParseFloat(m[3], 64)
			assert.Positive(t, perEvent, "replica %d", i)
		}
	}
	assert.Equal(t, 3000, applied, "every event applied once, by one replica")
	assert.Regexp(t, `cpu\s+\d+\.\d µs per event \(all replicas' user and system time over 3000 events\)`, out)
	assert.Contains(t, out, "applied        3000 of 3000 events in the store (3000 counted by the replicas)")
}

func TestBenchReplicasNeedsPostgres(t *testing.T) {
	code, _, errOut := runCmd("bench", "-replicas", "2", "-events", "10")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "-replicas needs -store postgres://")
}
