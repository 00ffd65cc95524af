package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Cluster is the private PostgreSQL of one test binary: a data directory
// in a temporary folder and a server on a free loopback port. Its port
// stays the same across Stop and Start, so URLs handed out before a stop
// work again after the start: a fault test can stop the server under load
// and bring it back.
type Cluster struct {
	bin  string // directory holding initdb, pg_ctl, postgres
	dir  string // temporary folder: data/, the socket and the log
	port int
	cred *syscall.Credential // the postgres user's, when we run as root

	mu      sync.Mutex // serialises Stop and Start
	running bool

	// watchdog stops the server and removes dir once the test binary is
	// gone, however it ends (a panic or a timeout skips Main): it waits
	// for EOF on a pipe whose write end only this process holds.
	watchdog *exec.Cmd
	lifeline *os.File
}

var (
	privateOnce sync.Once
	private     *Cluster
	privateErr  error
	noBinaries  bool
	started     atomic.Pointer[Cluster] // set once running, for Main
)

// Private returns the test binary's private cluster, starting it on first
// use. Tests that stop or restart the server use it (and take their
// databases from its NewDatabase/URL) whether or not SCOREFLOW_TEST_POSTGRES
// names another server.
func Private(t testing.TB) *Cluster {
	t.Helper()
	privateOnce.Do(func() {
		bin, err := findBinaries()
		if err != nil {
			noBinaries, privateErr = true, err
			return
		}
		private, privateErr = startCluster(bin)
		if privateErr == nil {
			started.Store(private)
		}
	})
	if noBinaries {
		unavailable(t, privateErr.Error())
	}
	if privateErr != nil {
		t.Fatalf("pgtest: start a private PostgreSQL: %v", privateErr)
	}
	return private
}

// AdminURL is the URL of the cluster's maintenance database.
func (c *Cluster) AdminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// URL returns the URL of a new, empty database on this cluster.
func (c *Cluster) URL(t testing.TB) string {
	t.Helper()
	return c.NewDatabase(t, "")
}

// NewDatabase is URL with options for CREATE DATABASE (see the package's).
func (c *Cluster) NewDatabase(t testing.TB, options string) string {
	t.Helper()
	return createDatabase(t, c.AdminURL(), options)
}

// Stop shuts the server down the way an operator would (pg_ctl stop -m
// fast: connections are ended, the data is checkpointed) and waits until
// it is gone.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if err := c.stop("fast"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Crash stops the server as a power cut would (pg_ctl stop -m immediate:
// no checkpoint, so the next Start replays the WAL).
func (c *Cluster) Crash(t testing.TB) {
	t.Helper()
	if err := c.stop("immediate"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Start starts a stopped server on the same port and waits until it
// accepts connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return
	}
	if err := c.pgCtlStart(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	c.running = true
}

// Restart is Stop then Start.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	c.Stop(t)
	c.Start(t)
}

func (c *Cluster) stop(mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if out, err := c.run(filepath.Join(c.bin, "pg_ctl"), "-D", c.data(), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop -m %s: %v: %s", mode, err, out)
	}
	c.running = false
	return nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// findBinaries returns the bin directory of the newest PostgreSQL in
// /usr/lib/postgresql (Debian's layout), else the one on PATH.
func findBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("no initdb in /usr/lib/postgresql/*/bin or on PATH")
	}
	d := filepath.Dir(initdb)
	if !isFile(filepath.Join(d, "pg_ctl")) {
		return "", fmt.Errorf("no pg_ctl beside %s", initdb)
	}
	return d, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// startCluster runs initdb into a new temporary folder and starts the
// server. PostgreSQL refuses to run as root, so as root both run as the
// postgres user, who then owns the folder.
func startCluster(bin string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "scoreflow-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, PostgreSQL needs another user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	// --no-sync: initdb's own files need no durability in a test; the
	// server itself runs with fsync on, as in production.
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// A free port can be taken between our probe and the server's bind:
	// try a few.
	for attempt := 0; ; attempt++ {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
		if err = c.pgCtlStart(); err == nil {
			break
		}
		if attempt == 4 {
			return nil, err
		}
	}
	c.running = true
	if err := c.startWatchdog(); err != nil {
		c.stop("immediate")
		return nil, err
	}
	ok = true
	return c, nil
}

func (c *Cluster) pgCtlStart() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200", c.port, c.dir)
	// -l sends the server's output to a file: the server outlives pg_ctl,
	// and had it inherited our pipes, reading pg_ctl's output would never end.
	out, err := c.run(filepath.Join(c.bin, "pg_ctl"), "-D", c.data(), "-l", filepath.Join(c.dir, "log"),
		"-o", opts, "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pg_ctl start: %v: %s%s", err, out, lastLines(log, 10))
	}
	return nil
}

// startWatchdog starts the process that cleans up after this one (see
// Cluster.watchdog). It has its own process group, so a Ctrl-C sent to
// the test's group does not end it before it has done its work.
func (c *Cluster) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	script := `read -r _; "$0" -D "$1" -m immediate -w stop >/dev/null 2>&1; rm -rf "$2"`
	cmd := exec.Command("/bin/sh", "-c", script, filepath.Join(c.bin, "pg_ctl"), c.data(), c.dir)
	cmd.Stdin = r
	cmd.Dir = c.dir
	cmd.Env = c.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start the cleanup watchdog: %w", err)
	}
	c.watchdog, c.lifeline = cmd, w
	return nil
}

// shutdown stops the server for good and removes its folder (Main).
func (c *Cluster) shutdown() error {
	err := c.stop("fast")
	if c.lifeline != nil {
		c.lifeline.Close() // the watchdog finds the server stopped and removes dir
		done := make(chan error, 1)
		go func() { done <- c.watchdog.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			c.watchdog.Process.Kill()
		}
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// run runs a PostgreSQL program (as the postgres user when we are root)
// and returns its combined output.
func (c *Cluster) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = c.dir
	cmd.Env = c.env()
	cmd.WaitDelay = 5 * time.Second
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// env is ours without libpq's variables, which would point pg_ctl's
// readiness check at another server.
func (c *Cluster) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return "\nserver log:\n" + strings.Join(lines, "\n")
}
