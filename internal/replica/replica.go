// Package replica runs `scoreflow serve` processes the way an operator
// runs replicas: each its own process with its own HTTP port and data
// directory, stopped with SIGTERM, killed with SIGKILL, started again with
// the same flags. The chaos tests and `scoreflow bench -replicas` use it;
// it knows nothing about testing.
package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one replica: the binary, its flags and, while it runs, the
// operating-system process. Start again after Kill or Stop reuses the
// flags (same port, same data directory).
type Process struct {
	Name string   // for messages: "replica 2"
	Bin  string   // the scoreflow binary
	Args []string // serve and its flags
	Env  []string // nil = the caller's environment
	HTTP string   // host:port of --http, for /readyz and the API

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *Output
	done chan struct{}
	err  error // the exit of the last run, once done is closed
}

// Output collects a process's output while others read it. Every run of
// a Process appends to the same Output, so a failed test shows them all.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Output is everything the process wrote (stdout and stderr, every run).
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

// Start runs the process; it is an error while a run is still going.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !p.exited() {
		return fmt.Errorf("%s runs already (pid %d)", p.Name, p.cmd.Process.Pid)
	}
	if p.out == nil {
		p.out = &Output{}
	}
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Env = p.Env
	cmd.Stdout, cmd.Stderr = p.out, p.out
	fmt.Fprintf(p.out, "--- %s start %s\n", p.Name, time.Now().UTC().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// exited says whether the current run ended; p.mu is held.
func (p *Process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Running says whether the process runs now.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !p.exited()
}

// PID is the process id of the current run (0 before the first start).
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL, as a crash or an OOM kill would, and waits for the
// process to be gone.
func (p *Process) Kill() error {
	return p.signal(syscall.SIGKILL, 10*time.Second)
}

// Stop sends SIGTERM and waits up to within for a clean exit; an exit
// code other than 0 is an error.
func (p *Process) Stop(within time.Duration) error {
	if err := p.signal(syscall.SIGTERM, within); err != nil {
		return err
	}
	if code := p.ExitCode(); code != 0 {
		return fmt.Errorf("%s exited %d after SIGTERM", p.Name, code)
	}
	return nil
}

func (p *Process) signal(sig syscall.Signal, within time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s never started", p.Name)
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s: %w", p.Name, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(within):
		return fmt.Errorf("%s still runs %s after %s", p.Name, within, sig)
	}
}

// Exited returns a channel closed when the current run ends.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// ExitCode is the exit code of the last run once it ended: -1 while it
// runs or when a signal ended it.
func (p *Process) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || !p.exited() {
		return -1
	}
	if p.err == nil {
		return 0
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

var readyClient = &http.Client{Timeout: 2 * time.Second}

// WaitReady polls GET /readyz until 200. A run that exits first is an
// error carrying the end of its output.
func (p *Process) WaitReady(ctx context.Context) error {
	done := p.Exited()
	for {
		select {
		case <-done:
			return fmt.Errorf("%s exited (code %d) before /readyz answered 200: %s", p.Name, p.ExitCode(), tail(p.Output(), 800))
		case <-ctx.Done():
			return fmt.Errorf("%s: /readyz not 200: %w; output: %s", p.Name, ctx.Err(), tail(p.Output(), 800))
		default:
		}
		if resp, err := readyClient.Get("http://" + p.HTTP + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartReady starts the process and waits for /readyz. A start that exits
// with an error (today the exclusive engine lease of a SIGKILLed
// predecessor refuses it until the lease's TTL lapses) is retried every
// second until ctx ends.
func (p *Process) StartReady(ctx context.Context) error {
	for {
		if err := p.Start(); err != nil {
			return err
		}
		err := p.WaitReady(ctx)
		if err == nil || ctx.Err() != nil || p.Running() {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// CPU is the user plus system time the current run has used so far,
// read from /proc/<pid>/stat (Linux); it counts all the process's threads.
func (p *Process) CPU() (time.Duration, error) {
	pid := p.PID()
	if pid == 0 {
		return 0, fmt.Errorf("%s never started", p.Name)
	}
	return ProcessCPU(pid)
}

// ProcessCPU reads utime+stime of a process from /proc/<pid>/stat.
func ProcessCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read cpu time of pid %d: %w", pid, err)
	}
	// The second field, the command name in parentheses, may hold spaces:
	// count fields from the last ')'.
	s := string(data)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0, fmt.Errorf("pid %d: unexpected /proc stat %q", pid, tail(s, 80))
	}
	fields := strings.Fields(s[end+1:])
	// After the name: state(3) ppid(4) ... utime is field 14, stime 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("pid %d: short /proc stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("pid %d: parse /proc stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc's times: 100 on every Linux
// architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo to ask).
const clockTicks = 100

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
