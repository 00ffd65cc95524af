package main

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/store/stores"
)

// TestBench runs the benchmark command small on each road and checks that
// what it reports happened: every event is in the database once, each
// contact exists, and the printed numbers parse.
func TestBench(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		road  string
		reqs  int           // requests the HTTP road must report; 0 = NATS road
		least time.Duration // the sending must take at least this (a rate)
	}{
		{"nats", nil, "NATS", 0, 0},
		{"http single events", []string{"-http", "-clients", "8"}, "HTTP single events from 8 clients", 1500, 0},
		{"http batches", []string{"-http", "-clients", "2", "-per-request", "100"}, "HTTP batches of 100 from 2 clients", 15, 0},
		{"http at a rate", []string{"-http", "-clients", "4", "-rate", "3000"}, "sending at 3000 events/s", 1500, 400 * time.Millisecond},
		{"nats on postgres", []string{"-store", "postgres"}, "NATS", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"bench", "-events", "1500", "-contacts", "150", "-idle-flows", "10", "-data", dir}, tc.args...)
			storeURL := ""
			for i, a := range args {
				if a == "postgres" && args[i-1] == "-store" {
					storeURL = pgtest.URL(t)
					args[i] = storeURL
				}
			}
			code, out, errOut := runCmd(args...)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, out, tc.road)
			m := regexp.MustCompile(`throughput\s+(\d+) events/s end to end`).FindStringSubmatch(out)
			require.NotNil(t, m, out)
			perSec, _ := strconv.Atoi(m[1])
			assert.Positive(t, perSec)
			assert.Regexp(t, `latency\s+p50 \S+\s+p99 \S+`, out)
			assert.Contains(t, out, " 0 duplicates")
			sent := regexp.MustCompile(`published in\s+(\S+) `).FindStringSubmatch(out)
			require.NotNil(t, sent, out)
			took, err := time.ParseDuration(sent[1])
			require.NoError(t, err)
			assert.GreaterOrEqual(t, took, tc.least, "the rate paces the sending")
			if tc.reqs > 0 {
				assert.Regexp(t, `requests\s+`+strconv.Itoa(tc.reqs)+`, answered 202 in p50`, out)
			} else {
				assert.NotContains(t, out, "answered 202")
			}

			// Every event once, each contact created: read back through a store
			// of our own on the benchmark's database.
			target, err := stores.Resolve(storeURL, dir)
			require.NoError(t, err)
			st, err := stores.Open(context.Background(), target)
			require.NoError(t, err)
			defer st.Close()
			minutes, err := st.EventsPerMinute(context.Background(), time.Time{})
			require.NoError(t, err)
			events := 0
			for _, m := range minutes {
				events += int(m.Count)
			}
			contacts, err := st.CountContacts(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1500, events)
			assert.EqualValues(t, 150, contacts)
			for _, id := range []string{"b-0", "b-777", "b-1499"} {
				applied, err := st.EventApplied(context.Background(), id)
				require.NoError(t, err)
				assert.True(t, applied, id)
			}
		})
	}
}

func TestBenchRefusesBadLoad(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "-http", "-clients", "0"},
		{"bench", "-http", "-per-request", "0"},
		{"bench", "-http", "-per-request", "1001"},
	} {
		code, _, errOut := runCmd(args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Contains(t, errOut, "-clients must be at least 1", "%v", args)
	}
}

// TestBenchAccounts runs the accounts comparison small: both runs report,
// the second fills every account with every contact, and the comparison
// line parses.
func TestBenchAccounts(t *testing.T) {
	code, out, errOut := runCmd("bench", "-events", "1500", "-contacts", "150", "-idle-flows", "10", "-accounts", "7")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "== run 1: without accounts")
	assert.Contains(t, out, "== run 2: with 7 accounts")
	assert.Contains(t, out, "== run 4: without accounts")
	assert.Len(t, regexp.MustCompile(`accounts kept  7 accounts, 150 members, total score [1-9]\d*`).FindAllString(out, -1), 2)
	assert.Regexp(t, `accounts\s+\d+ events/s with 7 accounts vs \d+ without \(means of 2 runs each, ABBA\): [+-]\d+\.\d%`, out)
	assert.Regexp(t, `accounts cpu   \d+\.\d µs per event with 7 accounts vs \d+\.\d without: [+-]\d+\.\d%`, out)
	code, _, errOut = runCmd("bench", "-accounts", "3", "-data", t.TempDir())
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "drop -data and -store")

	// -compare=false: one run, with accounts, on the store given.
	code, out, errOut = runCmd("bench", "-events", "1500", "-contacts", "150", "-idle-flows", "10", "-accounts", "7", "-compare=false", "-data", t.TempDir())
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.NotContains(t, out, "== run")
	assert.Len(t, regexp.MustCompile(`accounts kept  7 accounts, 150 members, total score [1-9]\d*`).FindAllString(out, -1), 1)
}
