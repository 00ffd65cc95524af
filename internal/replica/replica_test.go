package replica

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcessLifecycle(t *testing.T) {
	p := &Process{Name: "sleeper", Bin: "/bin/sh", Args: []string{"-c", "echo up; exec sleep 60"}}
	require.NoError(t, p.Start())
	assert.True(t, p.Running())
	assert.Error(t, p.Start(), "a second start while it runs")
	assert.Equal(t, -1, p.ExitCode(), "no exit code while it runs")
	require.NoError(t, p.Kill())
	assert.False(t, p.Running())
	assert.Equal(t, -1, p.ExitCode(), "a signal ended it")

	// Started again with the same flags, the output keeps both runs.
	require.NoError(t, p.Start())
	assert.Error(t, p.Stop(5*time.Second), "sleep dies of SIGTERM: not a clean exit")
	assert.Equal(t, 2, strings.Count(p.Output(), "--- sleeper start "))

	clean := &Process{Name: "clean", Bin: "/bin/sh", Args: []string{"-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"}}
	require.NoError(t, clean.Start())
	time.Sleep(100 * time.Millisecond) // let the shell set its trap
	require.NoError(t, clean.Stop(5*time.Second))
	assert.Equal(t, 0, clean.ExitCode())
}

func TestProcessExitCode(t *testing.T) {
	p := &Process{Name: "failing", Bin: "/bin/sh", Args: []string{"-c", "echo refused >&2; exit 3"}}
	require.NoError(t, p.Start())
	<-p.Exited()
	assert.Equal(t, 3, p.ExitCode())
	assert.Contains(t, p.Output(), "refused")
	assert.Contains(t, p.Output(), "--- failing start ")

	err := p.WaitReady(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited (code 3) before /readyz answered 200")
	assert.Contains(t, err.Error(), "refused")
}

func TestWaitReadyPolls(t *testing.T) {
	addr, err := FreeAddr()
	require.NoError(t, err)
	ready := make(chan struct{})
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ready:
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})}
	go func() { _ = srv.ListenAndServe() }()
	defer srv.Close()
	p := &Process{Name: "web", Bin: "/bin/sh", Args: []string{"-c", "exec sleep 60"}, HTTP: addr}
	require.NoError(t, p.Start())
	defer p.Kill()

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = p.WaitReady(ctx)
	require.Error(t, err, "503 is not ready")
	assert.Contains(t, err.Error(), "deadline exceeded")

	close(ready)
	require.NoError(t, p.WaitReady(context.Background()))
}

func TestProcessCPU(t *testing.T) {
	before, err := ProcessCPU(os.Getpid())
	require.NoError(t, err)
	// Burn CPU until the kernel's tick counter moves (10 ms units).
	deadline := time.Now().Add(5 * time.Second)
	x := 0
	for time.Now().Before(deadline) {
		for i := 0; i < 1e6; i++ {
			x += i
		}
		if after, err := ProcessCPU(os.Getpid()); err == nil && after > before {
			assert.Less(t, after-before, 5*time.Second+time.Second)
			return
		}
	}
	t.Fatalf("cpu time did not grow (%d)", x)
}

func TestProcessCPUErrors(t *testing.T) {
	_, err := (&Process{Name: "never"}).CPU()
	assert.ErrorContains(t, err, "never started")
	_, err = ProcessCPU(1 << 30)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "read cpu time of pid"), err)
}
