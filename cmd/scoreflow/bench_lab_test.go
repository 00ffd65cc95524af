package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchLab runs the lab benchmark small and checks that each step
// reported what it did: a replay rate, a run over the window's events, a
// suggestion led by the planted feature, a rescore of every contact.
func TestBenchLab(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"bench-lab", "-events", "6000", "-contacts", "600", "-stream-rate", "100", "-data", t.TempDir()}, &out, &errOut)
	require.Equal(t, 0, code, "stderr: %s", errOut.String())
	text := out.String()
	t.Log(text)
	assert.Regexp(t, regexp.MustCompile(`replay in memory: 6000 events, \d+ contacts, reference model: .*, \d+ events/s \(\d+ per CPU second\)`), text)
	assert.Regexp(t, regexp.MustCompile(`lab run .*: 4500 events, \d+ contacts: `), text)
	assert.Contains(t, text, `top feature "event:Booked call"`)
	assert.Regexp(t, regexp.MustCompile(`apply \+ rescore: 600 contacts \(\d+ changed\)`), text)
	assert.Equal(t, 5, strings.Count(text, "\n"))
}
