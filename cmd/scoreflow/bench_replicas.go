package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/internal/replica"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/stores"
)

// runBenchReplicas is bench -replicas N: the same events and model as
// bench, applied by N `scoreflow serve` processes on one PostgreSQL and
// an embedded single-node NATS that bench itself runs. It reports the
// cluster's throughput and, per replica, the CPU time (utime+stime from
// /proc) it spent and the events it applied, so one can see whether the
// cost of an event grows with the replicas and that nothing is lost.
func runBenchReplicas(cfg benchConfig, n int, out io.Writer) error {
	if !stores.IsPostgresURL(cfg.store) {
		return errors.New("-replicas needs -store postgres://…: the replicas share one store")
	}
	if cfg.http != nil || cfg.accounts > 0 || cfg.memProfile != "" {
		return errors.New("-replicas publishes to NATS: drop -http, -accounts and -memprofile")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the scoreflow binary to run the replicas: %w", err)
	}
	dir, cleanup, err := benchDir(cfg.dir)
	if err != nil {
		return err
	}
	defer cleanup()
	ctx := context.Background()
	target, err := stores.Resolve(cfg.store, dir)
	if err != nil {
		return err
	}
	if err := prepareBenchStore(ctx, target, cfg); err != nil {
		return err
	}
	nats, err := broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:-1"})
	if err != nil {
		return err
	}
	defer nats.Shutdown()

	procs, err := startBenchReplicas(ctx, exe, n, dir, nats.ClientURL(), cfg)
	defer func() {
		for _, p := range procs {
			if p.Running() {
				_ = p.Stop(30 * time.Second)
			}
		}
	}()
	if err != nil {
		return err
	}

	model := "17 reference flows"
	if cfg.playbook {
		model = "17 reference flows + playbook (3 flows, 3 segments)"
	}
	fmt.Fprintf(out, "scoreflow bench: %d events, %d contacts, %s + %d idle flows, batch %d, NATS (embedded, one node), %s, %d replicas, GOMAXPROCS=%d\n",
		cfg.events, cfg.contacts, model, cfg.idle, cfg.batch, rateLabel(cfg.rate), n, runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "store          %s\n", target)

	if err := waitBalanced(ctx, procs); err != nil {
		return err
	}
	nc, js, err := broker.Connect(nats.ClientURL(), nil, "bench")
	if err != nil {
		return err
	}
	defer nc.Close()
	cpuStart := make([]time.Duration, n)
	appliedStart := make([]int64, n)
	for i, p := range procs {
		if cpuStart[i], err = p.CPU(); err != nil {
			return err
		}
		if appliedStart[i], err = appliedEvents(p.HTTP); err != nil {
			return err
		}
	}
	st, err := stores.Open(ctx, target)
	if err != nil {
		return err
	}
	defer st.Close()
	published := make([]int64, cfg.events)
	var mu sync.Mutex
	start := time.Now()
	if err := publishAll(js, newEventGen(cfg.contacts), cfg, published, &mu); err != nil {
		return err
	}
	pubDur := time.Since(start)
	// Applied = the stream's consumers have nothing left and the store
	// holds every event (a partition between owners shows no backlog, so
	// the store has the last word); the lag is read every 20 ms.
	var stored int64
	for {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		lag, err := replica.StreamLag(lctx, js)
		cancel()
		if err == nil && lag.Drained() && lag.Messages >= uint64(cfg.events) {
			if stored, err = storedEvents(ctx, st); err != nil {
				return err
			}
			if stored >= int64(cfg.events) {
				break
			}
		}
		for _, p := range procs {
			if !p.Running() {
				return fmt.Errorf("%s exited (code %d) before every event was applied: %s", p.Name, p.ExitCode(), lastLine(p.Output()))
			}
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("not applied after 10 minutes: %v %v, %d events in the store", lag, err, stored)
		}
		time.Sleep(20 * time.Millisecond)
	}
	total := time.Since(start)
	var cpuSum time.Duration
	var appliedSum int64
	fmt.Fprintf(out, "published in   %s (%.0f events/s)\n", pubDur.Round(time.Millisecond), float64(cfg.events)/pubDur.Seconds())
	fmt.Fprintf(out, "committed in   %s\n", total.Round(time.Millisecond))
	fmt.Fprintf(out, "throughput     %.0f events/s end to end (all replicas)\n", float64(cfg.events)/total.Seconds())
	for i, p := range procs {
		cpu, err := p.CPU()
		if err != nil {
			return err
		}
		applied, err := appliedEvents(p.HTTP)
		if err != nil {
			return err
		}
		cpu -= cpuStart[i]
		applied -= appliedStart[i]
		cpuSum += cpu
		appliedSum += applied
		fmt.Fprintf(out, "replica %-6d pid %d: %d events applied, cpu %s, %.1f µs per applied event\n",
			i, p.PID(), applied, cpu.Round(time.Millisecond), perEvent(cpu, applied))
	}
	fmt.Fprintf(out, "cpu            %.1f µs per event (all replicas' user and system time over %d events)\n", perEvent(cpuSum, int64(cfg.events)), cfg.events)
	fmt.Fprintf(out, "applied        %d of %d events in the store (%d counted by the replicas)\n", stored, cfg.events, appliedSum)
	if stored != int64(cfg.events) { // more: an event applied twice
		return fmt.Errorf("the store holds %d events of the %d published", stored, cfg.events)
	}
	return nil
}

// storedEvents counts the events the store holds.
func storedEvents(ctx context.Context, st store.Store) (int64, error) {
	minutes, err := st.EventsPerMinute(ctx, time.Time{})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, m := range minutes {
		n += m.Count
	}
	return n, nil
}

func perEvent(cpu time.Duration, events int64) float64 {
	if events == 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / float64(events)
}

// prepareBenchStore loads the bench's model into the empty store before
// any replica starts, so every replica reads the same flows.
func prepareBenchStore(ctx context.Context, target stores.Target, cfg benchConfig) error {
	st, err := stores.Open(ctx, target)
	if err != nil {
		return err
	}
	defer st.Close()
	if n, err := st.CountContacts(ctx); err != nil || n > 0 {
		if err == nil {
			err = fmt.Errorf("the store holds %d contacts already: bench needs an empty database", n)
		}
		return err
	}
	if err := app.LoadModel(ctx, st, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg.playbook); err != nil {
		return err
	}
	if err := addIdleFlows(ctx, st, cfg.idle); err != nil {
		return err
	}
	return benchAccountSettings(ctx, st)
}

// startBenchReplicas starts replica 0 (it creates the stream), then the
// others together, and waits for every /readyz. It returns the processes
// started so far even on error, for the caller to stop.
func startBenchReplicas(ctx context.Context, exe string, n int, dir, natsURL string, cfg benchConfig) ([]*replica.Process, error) {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SCOREFLOW_") {
			env = append(env, kv)
		}
	}
	var procs []*replica.Process
	for i := 0; i < n; i++ {
		addr, err := replica.FreeAddr()
		if err != nil {
			return procs, err
		}
		procs = append(procs, &replica.Process{
			Name: fmt.Sprintf("replica %d", i), Bin: exe, Env: env, HTTP: addr,
			Args: []string{"serve", "--store", cfg.store, "--nats", natsURL, "--http", addr,
				"--data", filepath.Join(dir, fmt.Sprintf("replica-%d", i)), "--batch-size", strconv.Itoa(cfg.batch),
				"--log-level", "warn", "--schedule-segments", "off", "--schedule-decay", "off"},
		})
	}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for _, group := range [][]*replica.Process{procs[:1], procs[1:]} {
		errs := make(chan error, len(group))
		for _, p := range group {
			go func() {
				if err := p.Start(); err != nil {
					errs <- err
					return
				}
				errs <- p.WaitReady(rctx)
			}()
		}
		var failed []error
		for range group {
			if err := <-errs; err != nil {
				failed = append(failed, err)
			}
		}
		if len(failed) > 0 {
			return procs, errors.Join(failed...)
		}
	}
	return procs, nil
}

// waitBalanced waits until every partition has one owner and every
// replica owns some, so the clock measures the cluster at rest, not the
// first handovers.
func waitBalanced(ctx context.Context, procs []*replica.Process) error {
	var addrs []string
	for _, p := range procs {
		addrs = append(addrs, p.HTTP)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		problem, err := replica.Unbalanced(ctx, addrs[0], "", addrs)
		if err == nil && problem == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the replicas did not share the partitions within 60 s: %s %v", problem, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// appliedEvents reads scoreflow_events_applied_total from a replica's
// /metrics (all its series summed).
func appliedEvents(addr string) (int64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("read metrics of %s: %w", addr, err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "scoreflow_events_applied_total") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics of %s: %q: %w", addr, line, err)
		}
		sum += v
	}
	return int64(sum), sc.Err()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
