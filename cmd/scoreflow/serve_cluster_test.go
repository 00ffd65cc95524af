package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestServeSecondEngineRefused is issue 11's report as a user runs it: a
// second serve on the first one's NATS exits with one line naming the
// first, before it creates its own store.
func TestServeSecondEngineRefused(t *testing.T) {
	data := t.TempDir()
	httpAddr, natsAddr := freeAddr(t), freeAddr(t)
	first := startBinary(t, cleanEnv(), "serve", "--data", data, "--http", httpAddr, "--nats-listen", natsAddr)
	first.waitReady(t, httpAddr)

	other := t.TempDir()
	second := startBinary(t, cleanEnv(), "serve", "--data", other, "--http", freeAddr(t), "--nats", "nats://"+natsAddr)
	code := second.wait(t, 20*time.Second)
	assert.Equal(t, 1, code)
	out := second.out.String()
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "scoreflow: ") {
			line = l
		}
	}
	t.Log(line)
	assert.Contains(t, line, "scoreflow: another scoreflow (replica ")
	assert.Contains(t, line, "store sqlite "+filepath.Join(data, "scoreflow.db")+", http "+httpAddr+", since ")
	assert.Contains(t, line, "already applies the events of stream SCOREFLOW_EVENTS on this NATS; stop it first")
	assert.NotContains(t, out, "scoreflow ready")
	_, err := os.Stat(filepath.Join(other, "scoreflow.db"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "the refused process created its store: %v", err)
	first.terminate(t)
}

func TestServeStreamFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{name: "replicas 0", args: []string{"--nats-replicas", "0"}, want: "--nats-replicas 0: JetStream keeps 1 to 5 replicas"},
		{name: "replicas 6", args: []string{"--nats-replicas", "6"}, want: "--nats-replicas 6: JetStream keeps 1 to 5 replicas"},
		{name: "replicas env", env: []string{"SCOREFLOW_NATS_REPLICAS=9"}, want: "--nats-replicas 9"},
		{name: "partitions 0", args: []string{"--partitions", "0"}, want: "--partitions 0: between 1 and 1024"},
		{name: "partitions env not a number", env: []string{"SCOREFLOW_PARTITIONS=many"}, want: "[SCOREFLOW_PARTITIONS]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", t.TempDir(), "--nats-listen", "off", "--http", freeAddr(t)}, tt.args...)
			p := startBinary(t, cleanEnv(tt.env...), args...)
			assert.Equal(t, 2, p.wait(t, 10*time.Second))
			assert.Contains(t, p.out.String(), tt.want)
		})
	}
}
