package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/pgtest"
)

// binary is the scoreflow command built once for the subprocess tests.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "scoreflow-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "the go tool is needed to build scoreflow:", err)
		return 1
	}
	binary = filepath.Join(dir, "scoreflow")
	build := exec.Command(goTool, "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build:", err)
		return 1
	}
	// pgtest.Main stops the private PostgreSQL the store tests start.
	return pgtest.Main(m)
}

// --- validate, version, usage: in process ---

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

const badFlow = `{
  "id": "bad",
  "name": "Bad points",
  "enabled": true,
  "nodes": [
    {"id": "t1", "type": "trigger.event", "config": {"name": "Demo"}},
    {"id": "a1", "type": "action.adjust_score", "config": {"score": "engagement", "points": "x"}}
  ],
  "edges": [{"from": "t1", "to": "a1"}]
}`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestValidate(t *testing.T) {
	reference := filepath.Join("..", "..", "examples", "reference", "flows", "engagement-created-task.json")
	bad := writeFile(t, "bad.json", badFlow)
	broken := writeFile(t, "broken.json", `{"id": "broken", "nodes": [`)
	noTrigger := writeFile(t, "no-trigger.json", `{"id": "nt", "name": "No trigger", "nodes": [
		{"id": "a1", "type": "action.add_tag", "config": {"tag": "x"}}], "edges": []}`)
	missing := filepath.Join(t.TempDir(), "missing.json")

	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string // substrings
		stderr    []string
		notStdout []string
	}{
		{name: "reference flow", args: []string{"validate", reference}, code: 0, stdout: []string{reference + ": ok"}},
		{
			name: "bad node config", args: []string{"validate", bad}, code: 1,
			stdout:    []string{bad + ": ", `node "a1" (nodes[1].config.points)`},
			notStdout: []string{": ok"},
		},
		{name: "malformed JSON", args: []string{"validate", broken}, code: 1, stdout: []string{broken + ": ", "JSON"}},
		{name: "no trigger", args: []string{"validate", noTrigger}, code: 1, stdout: []string{noTrigger + ": nodes: ", "trigger"}},
		{
			name: "good and bad together", args: []string{"validate", reference, bad}, code: 1,
			stdout: []string{reference + ": ok", `node "a1" (nodes[1].config.points)`},
		},
		{name: "missing file", args: []string{"validate", missing}, code: 1, stderr: []string{missing, "no such file"}},
		{name: "validate without files", args: []string{"validate"}, code: 2, stderr: []string{"usage: scoreflow validate"}},
		{name: "no args", args: nil, code: 2, stderr: []string{"usage: scoreflow"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`, "usage:"}},
		{name: "version", args: []string{"version"}, code: 0, stdout: []string{"scoreflow " + version}},
		{name: "--version", args: []string{"--version"}, code: 0, stdout: []string{"scoreflow " + version}},
		{name: "help", args: []string{"help"}, code: 0, stdout: []string{"usage: scoreflow", "serve", "validate"}},
		{name: "serve with an unknown flag", args: []string{"serve", "--no-such-flag"}, code: 2, stderr: []string{"no-such-flag"}},
		{name: "serve with a bad log level", args: []string{"serve", "--log-level", "loud"}, code: 2, stderr: []string{"--log-level"}},
		{name: "serve with a bad body limit", args: []string{"serve", "--body-limit", "lots"}, code: 2, stderr: []string{"--body-limit", "lots"}},
		{name: "serve with a zero body limit", args: []string{"serve", "--body-limit", "0"}, code: 2, stderr: []string{"--body-limit"}},
		{name: "serve with a bad rate limit", args: []string{"serve", "--rate-limit", "fast"}, code: 2, stderr: []string{"--rate-limit", "fast"}},
		{name: "serve with a negative rate limit", args: []string{"serve", "--rate-limit", "-1"}, code: 2, stderr: []string{"--rate-limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(tt.args...)
			assert.Equal(t, tt.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			for _, s := range tt.notStdout {
				assert.NotContains(t, stdout, s)
			}
			for _, s := range tt.stderr {
				assert.Contains(t, stderr, s)
			}
		})
	}
}

// TestValidateEveryReferenceFlow: the shipped examples pass the offline check.
func TestValidateEveryReferenceFlow(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "reference", "flows", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	code, stdout, stderr := runCmd(append([]string{"validate"}, files...)...)
	assert.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Equal(t, len(files), strings.Count(stdout, ": ok\n"), stdout)
}

// --- serve: a real subprocess ---

// syncBuffer collects a subprocess's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

type proc struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	started time.Time
	done    chan error
}

// cleanEnv is the test's environment without any SCOREFLOW_ setting, so a
// developer's shell cannot change what the subprocess does.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SCOREFLOW_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startBinary runs scoreflow with args; the process is killed at the end of
// the test if it still runs.
func startBinary(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.started = time.Now()
	require.NoError(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("scoreflow output:\n%s", p.out.String())
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // let the cleanup see it has exited
		if err == nil {
			return 0
		}
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "wait: %v", err)
		return exit.ExitCode()
	case <-time.After(within):
		t.Fatalf("scoreflow did not exit within %s; output:\n%s", within, p.out.String())
		return -1
	}
}

var client = &http.Client{Timeout: 5 * time.Second}

// waitReady polls /readyz until 200 and returns how long after start it took.
func (p *proc) waitReady(t *testing.T, addr string) time.Duration {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("scoreflow exited before it was ready (%v); output:\n%s", err, p.out.String())
		default:
		}
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(p.started)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("/readyz not 200 within 20s; output:\n%s", p.out.String())
	return 0
}

func httpDo(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// waitContact polls the API until the contact has the score.
func waitContact(t *testing.T, addr, id string, score int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		status, body := httpDo(t, http.MethodGet, "http://"+addr+"/api/v1/contacts/"+id, "")
		last = fmt.Sprintf("%d %s", status, body)
		if status == http.StatusOK {
			var c struct {
				ID    string `json:"id"`
				Score int64  `json:"score"`
			}
			require.NoError(t, json.Unmarshal(body, &c))
			if c.ID == id && c.Score == score {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("contact %s never reached score %d; last answer: %s", id, score, last)
}

func (p *proc) terminate(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	start := time.Now()
	code := p.wait(t, 10*time.Second)
	t.Logf("scoreflow stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	assert.Equal(t, 0, code, "exit code after SIGTERM; output:\n%s", p.out.String())
	assert.Contains(t, p.out.String(), "scoreflow stopped")
}

func TestServe(t *testing.T) {
	data := t.TempDir()
	httpAddr, natsAddr := freeAddr(t), freeAddr(t)
	args := []string{"serve", "--data", data, "--http", httpAddr, "--nats-listen", natsAddr, "--examples"}
	p := startBinary(t, cleanEnv(), args...)

	ready := p.waitReady(t, httpAddr)
	t.Logf("/readyz answered 200 %s after start", ready.Round(time.Millisecond))
	assert.Less(t, ready, 2*time.Second, "ready within 2 seconds of start")
	assert.Contains(t, p.out.String(), "scoreflow ready")

	status, body := httpDo(t, http.MethodGet, "http://"+httpAddr+"/healthz", "")
	assert.Equal(t, http.StatusOK, status, "%s", body)

	status, body = httpDo(t, http.MethodPost, "http://"+httpAddr+"/api/v1/events",
		`{"id": "serve-1", "type": "Booked call", "contact_id": "c-serve"}`)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	assert.JSONEq(t, `{"accepted": 1, "ids": ["serve-1"]}`, string(body))
	waitContact(t, httpAddr, "c-serve", 20)

	// The embedded NATS listens where it was told.
	conn, err := net.DialTimeout("tcp", natsAddr, time.Second)
	require.NoError(t, err, "embedded NATS on %s", natsAddr)
	conn.Close()

	p.terminate(t)

	// State survives the process: a new one on the same data dir has the contact.
	httpAddr2 := freeAddr(t)
	p2 := startBinary(t, cleanEnv(), "serve", "--data", data, "--http", httpAddr2, "--nats-listen", "off")
	p2.waitReady(t, httpAddr2)
	waitContact(t, httpAddr2, "c-serve", 20)
	p2.terminate(t)
}

func TestServeEnv(t *testing.T) {
	httpAddr := freeAddr(t)
	p := startBinary(t, cleanEnv(
		"SCOREFLOW_HTTP="+httpAddr,
		"SCOREFLOW_DATA="+t.TempDir(),
		"SCOREFLOW_NATS_LISTEN=off",
	), "serve")
	p.waitReady(t, httpAddr)
	assert.Contains(t, p.out.String(), `"http":"`+httpAddr+`"`)
	p.terminate(t)
}

func TestServeRefusesOpenExposure(t *testing.T) {
	port := portOf(freeAddr(t))
	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{name: "flag", args: []string{"--http", "0.0.0.0:" + port}},
		{name: "env", env: []string{"SCOREFLOW_HTTP=0.0.0.0:" + port}},
		{name: "write key only", args: []string{"--http", "0.0.0.0:" + port, "--write-key", "wr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", t.TempDir(), "--nats-listen", "off"}, tt.args...)
			p := startBinary(t, cleanEnv(tt.env...), args...)
			code := p.wait(t, 10*time.Second)
			assert.NotEqual(t, 0, code)
			out := p.out.String()
			if tt.name == "write key only" {
				assert.Contains(t, out, "admin key")
			} else {
				assert.Contains(t, out, "refusing")
				assert.Contains(t, out, "0.0.0.0:"+port)
			}
			assert.NotContains(t, out, "scoreflow ready")
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{
		"1048576": 1 << 20, "1MiB": 1 << 20, "1mib": 1 << 20, "512KiB": 512 << 10, "500KB": 500_000, "2MB": 2_000_000,
		"64k": 64 << 10, "3m": 3 << 20, " 10 B ": 10, "1024MiB": 1 << 30,
	} {
		got, err := parseSize(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1.5MiB", "MiB", "1GiB", "1025MiB", "10 parsecs", "99999999999999999999"} {
		_, err := parseSize(bad)
		assert.Error(t, err, bad)
	}
}

// TestServeLimitsAndMetrics runs the binary with the hardening flags: a
// body over --body-limit is a 413, calls past --rate-limit a 429, a bad
// --sendgrid-verification-key stops the start, and /metrics answers.
func TestServeLimitsAndMetrics(t *testing.T) {
	httpAddr := freeAddr(t)
	p := startBinary(t, cleanEnv("SCOREFLOW_RATE_LIMIT=3"), "serve", "--data", t.TempDir(), "--http", httpAddr,
		"--nats-listen", "off", "--body-limit", "1KiB", "--admin-key", "adm", "--write-key", "wr")
	p.waitReady(t, httpAddr)
	base := "http://" + httpAddr

	call := func(method, path, key, body string) int {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	big := `{"type": "Demo", "contact_id": "c", "properties": {"x": "` + strings.Repeat("x", 2<<10) + `"}}`
	assert.Equal(t, http.StatusRequestEntityTooLarge, call(http.MethodPost, "/api/v1/events", "wr", big))
	assert.Equal(t, http.StatusAccepted, call(http.MethodPost, "/api/v1/events", "wr", `{"type": "Demo", "contact_id": "c"}`))
	assert.Equal(t, http.StatusAccepted, call(http.MethodPost, "/api/v1/events", "wr", `{"type": "Demo", "contact_id": "c"}`))
	limited := false
	for i := 0; i < 5 && !limited; i++ {
		limited = call(http.MethodPost, "/api/v1/events", "wr", `{"type": "Demo", "contact_id": "c"}`) == http.StatusTooManyRequests
	}
	assert.True(t, limited, "the write key is limited to 3 requests a second")

	status, body := httpDo(t, http.MethodGet, base+"/metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `scoreflow_events_ingested_total{path="api",replica="`)
	assert.Contains(t, string(body), `scoreflow_http_requests_total{code="429"`)
	p.terminate(t)

	bad := startBinary(t, cleanEnv(), "serve", "--data", t.TempDir(), "--http", freeAddr(t), "--nats-listen", "off",
		"--sendgrid-verification-key", "not-a-key")
	assert.Equal(t, 1, bad.wait(t, 10*time.Second))
	assert.Contains(t, bad.out.String(), "--sendgrid-verification-key")
	assert.NotContains(t, bad.out.String(), "scoreflow ready")
}
