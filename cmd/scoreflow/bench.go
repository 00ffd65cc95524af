package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/stores"
)

// bench runs a whole Scoreflow in a temp dir and pushes events through the
// real road: JetStream publish → stream → engine batch → store commit
// (SQLite, or PostgreSQL with -store).
func bench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.Int("events", 200000, "events to publish")
	contacts := fs.Int("contacts", 10000, "distinct contacts")
	idle := fs.Int("idle-flows", 200, "extra enabled flows that never match (half listen to page_visited)")
	rate := fs.Int("rate", 0, "publish rate in events/s (0 = as fast as JetStream takes them)")
	batch := fs.Int("batch-size", 1000, "engine batch size")
	dir := fs.String("data", "", "data directory (default: a new temp dir, removed after)")
	storeURL := fs.String("store", "", "run on this empty PostgreSQL (postgres://…) instead of SQLite in the data directory")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	playbook := fs.Bool("playbook", false, "also load the disqualification playbook: 3 segments (behaviour windows, score velocity), evaluated in every batch")
	viaHTTP := fs.Bool("http", false, "post the events to POST /api/v1/events on a real listener instead of publishing to NATS")
	clients := fs.Int("clients", 32, "with -http: concurrent clients, each with its own connection")
	perRequest := fs.Int("per-request", 1, "with -http: events per request (1 = single events; more = {\"events\": [...]} batches)")
	accounts := fs.Int("accounts", 0, "spread the contacts over this many accounts (engagement sum, fit max), and run the same bench without accounts first, to compare")
	replicas := fs.Int("replicas", 0, "run the engine as this many `scoreflow serve` processes on -store postgres://… and an embedded NATS, and report CPU per event per replica (0 = in this process)")
	compare := fs.Bool("compare", true, "with -accounts: also run without accounts (ABBA) and compare; -compare=false runs once, with accounts, to time the whole process from outside")
	memProfile := fs.String("memprofile", "", "write heap profiles: to this file when publishing ends (the stream's backlog and duplicate window at their largest), to FILE.end once every event is committed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *clients < 1 || *perRequest < 1 || *perRequest > api.MaxBatch {
		fmt.Fprintf(stderr, "bench: -clients must be at least 1 and -per-request between 1 and %d\n", api.MaxBatch)
		return 2
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		defer stopProfile()
	}
	cfg := benchConfig{events: *events, contacts: *contacts, idle: *idle, rate: *rate, batch: *batch, dir: *dir, store: *storeURL, playbook: *playbook, memProfile: *memProfile}
	if *viaHTTP {
		cfg.http = &httpLoad{clients: *clients, perRequest: *perRequest}
	}
	if *replicas > 0 {
		cfg.accounts = *accounts // refused: the accounts comparison runs in process
		if err := runBenchReplicas(cfg, *replicas, stdout); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		return 0
	}
	if *accounts > 0 && !*compare {
		cfg.accounts = *accounts
	} else if *accounts > 0 {
		if err := benchAccounts(cfg, *accounts, stdout); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		return 0
	}
	if err := runBench(cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

type benchConfig struct {
	events, contacts, idle, rate, batch int
	dir                                 string
	store                               string // "" = SQLite in dir
	playbook                            bool
	memProfile                          string
	http                                *httpLoad // nil: publish straight to NATS
	accounts                            int       // contacts spread over this many accounts (bench_accounts.go)
	throughput                          *float64  // set to the end-to-end events/s when not nil
	cpuPerEvent                         *float64  // set to the process's CPU µs per event when not nil
}

func runBench(cfg benchConfig, out io.Writer) error {
	dir, cleanup, err := benchDir(cfg.dir)
	if err != nil {
		return err
	}
	defer cleanup()
	published := make([]int64, cfg.events) // unix nanos, by event index
	latencies := make([]time.Duration, 0, cfg.events)
	var batchTimes []time.Duration // each batch's apply and commit
	var mu sync.Mutex
	done := make(chan struct{})
	committed := 0
	onCommit := func(ci engine.CommitInfo) {
		mu.Lock()
		defer mu.Unlock()
		at := ci.At.UnixNano()
		for _, id := range ci.EventIDs {
			if i, err := strconv.Atoi(strings.TrimPrefix(id, "b-")); err == nil && i < len(published) {
				latencies = append(latencies, time.Duration(at-published[i]))
			}
		}
		batchTimes = append(batchTimes, ci.Duration)
		committed += len(ci.EventIDs)
		if committed >= cfg.events {
			select {
			case <-done:
			default:
				close(done)
			}
		}
	}
	ctx := context.Background()
	appCfg := app.Config{
		DataDir: dir, Store: cfg.store, NATSListen: "off", BatchSize: cfg.batch, OnCommit: onCommit,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if cfg.http != nil {
		appCfg.HTTPAddr = "127.0.0.1:0"
	}
	a, err := app.Start(ctx, appCfg)
	if err != nil {
		return err
	}
	defer a.Shutdown(context.Background())
	if n, err := a.Store.CountContacts(ctx); err != nil || n > 0 {
		if err == nil {
			err = fmt.Errorf("the store holds %d contacts already: bench needs an empty database", n)
		}
		return err
	}
	if err := app.LoadModel(ctx, a.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg.playbook); err != nil {
		return err
	}
	if err := addIdleFlows(ctx, a.Store, cfg.idle); err != nil {
		return err
	}
	if err := benchAccountSettings(ctx, a.Store); err != nil {
		return err
	}
	a.Engine.Reload()
	// Compile the flows now: the clock measures events, not the one-time load.
	if err := a.Engine.Warm(ctx); err != nil {
		return err
	}

	gen := newEventGen(cfg.contacts)
	gen.accounts = cfg.accounts
	model := "17 reference flows"
	if cfg.playbook {
		model = "17 reference flows + playbook (3 flows, 3 segments)"
	}
	road := "NATS"
	if cfg.http != nil {
		road = cfg.http.label()
	}
	fmt.Fprintf(out, "scoreflow bench: %d events, %d contacts, %s + %d idle flows, batch %d, %s, %s, GOMAXPROCS=%d\n",
		cfg.events, cfg.contacts, model, cfg.idle, cfg.batch, road, rateLabel(cfg.rate), runtime.GOMAXPROCS(0))
	if target, err := stores.Resolve(cfg.store, dir); err == nil {
		fmt.Fprintf(out, "store          %s\n", target)
	}

	var requests []time.Duration
	var start time.Time
	cpuStart := processCPU()
	if cfg.http != nil {
		bodies, err := cfg.http.encode(gen, cfg.events)
		if err != nil {
			return err
		}
		start = time.Now()
		if requests, err = cfg.http.post(a.HTTPAddr(), bodies, cfg.rate, published, &mu); err != nil {
			return err
		}
	} else {
		nc, js, err := broker.Connect("", a.NATS, "bench")
		if err != nil {
			return err
		}
		defer nc.Close()
		start = time.Now()
		if err := publishAll(js, gen, cfg, published, &mu); err != nil {
			return err
		}
	}
	pubDur := time.Since(start)
	if cfg.memProfile != "" {
		if err := writeHeapProfile(cfg.memProfile); err != nil {
			return err
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		return fmt.Errorf("only %d of %d events committed after 10 minutes", committed, cfg.events)
	}
	total := time.Since(start)
	cpu := processCPU() - cpuStart
	if cfg.memProfile != "" {
		if err := writeHeapProfile(cfg.memProfile + ".end"); err != nil {
			return err
		}
	}
	mu.Lock()
	slices.Sort(latencies)
	slices.Sort(batchTimes)
	mu.Unlock()
	st := a.Engine.Stats()
	fmt.Fprintf(out, "published in   %s (%.0f events/s)\n", pubDur.Round(time.Millisecond), float64(cfg.events)/pubDur.Seconds())
	if cfg.http != nil {
		fmt.Fprintf(out, "requests       %d, answered 202 in p50 %s  p99 %s  max %s\n",
			len(requests), pct(requests, 0.50), pct(requests, 0.99), pct(requests, 1))
	}
	fmt.Fprintf(out, "committed in   %s\n", total.Round(time.Millisecond))
	fmt.Fprintf(out, "throughput     %.0f events/s end to end\n", float64(cfg.events)/total.Seconds())
	fmt.Fprintf(out, "cpu            %.1f µs per event (the process's user and system time)\n", float64(cpu.Microseconds())/float64(cfg.events))
	if cfg.throughput != nil {
		*cfg.throughput = float64(cfg.events) / total.Seconds()
	}
	if cfg.cpuPerEvent != nil {
		*cfg.cpuPerEvent = float64(cpu.Microseconds()) / float64(cfg.events)
	}
	fmt.Fprintf(out, "latency        p50 %s  p99 %s  max %s (publish → commit)\n",
		pct(latencies, 0.50), pct(latencies, 0.99), pct(latencies, 1))
	fmt.Fprintf(out, "engine         %d batches (avg %.0f events), %d flow runs, %d failed runs, %d duplicates\n",
		st.Batches, float64(st.Applied)/float64(max(st.Batches, 1)), st.Runs, st.FailedRuns, st.Duplicates)
	fmt.Fprintf(out, "batch          p50 %s  p99 %s  max %s (apply and commit of one batch)\n",
		pct(batchTimes, 0.50), pct(batchTimes, 0.99), pct(batchTimes, 1))
	fmt.Fprintf(out, "peak RSS       %s\n", peakRSS())
	if cfg.accounts > 0 {
		return reportAccounts(ctx, a.Store, out)
	}
	return nil
}

// benchDir is the -data directory, or a new temporary one that cleanup
// removes.
func benchDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "scoreflow-bench-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

func rateLabel(r int) string {
	if r <= 0 {
		return "sending flat out"
	}
	return fmt.Sprintf("sending at %d events/s", r)
}

func pct(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "n/a"
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i].Round(100 * time.Microsecond).String()
}

// publishAll publishes asynchronously with a bounded window of unacked
// publishes; with a rate, event i goes out at i/rate after the start, the
// publisher sleeping whenever it is half a millisecond ahead: a steady
// stream, as traffic at a steady rate is, rather than the burst of 50
// every 10 ms this once sent (which the engine took as fewer, fuller
// batches).
func publishAll(js jetstream.JetStream, gen *eventGen, cfg benchConfig, published []int64, mu *sync.Mutex) error {
	// Like every ingest path, straight to each contact's partition.
	parts, err := broker.StreamPartitions(context.Background(), js)
	if err != nil {
		return err
	}
	start := time.Now()
	for i := 0; i < cfg.events; i++ {
		if cfg.rate > 0 {
			due := start.Add(time.Duration(int64(i) * int64(time.Second) / int64(cfg.rate)))
			if ahead := time.Until(due); ahead > time.Millisecond/2 {
				time.Sleep(ahead)
			}
		}
		msg, err := broker.EventMsg(gen.next(i), "bench", parts)
		if err != nil {
			return err
		}
		mu.Lock()
		published[i] = time.Now().UnixNano()
		mu.Unlock()
		if _, err := js.PublishMsgAsync(msg, jetstream.WithStallWait(30*time.Second)); err != nil {
			return fmt.Errorf("publish %d: %w", i, err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
		return nil
	case <-time.After(5 * time.Minute):
		return fmt.Errorf("publishes not acknowledged after 5 minutes")
	}
}

// eventGen makes a realistic mix: each contact's first event identifies it
// with traits (fit scoring), the rest are page visits, email activity and
// product events of the reference model.
type eventGen struct {
	contacts int
	accounts int // > 0: each identify names one of this many accounts
	rnd      *rand.Rand
	base     time.Time
}

func newEventGen(contacts int) *eventGen {
	return &eventGen{contacts: contacts, rnd: rand.New(rand.NewPCG(1, 2)), base: time.Now().Add(-time.Hour).UTC()}
}

var (
	benchCountries = []string{"US", "UK", "DE", "FR", "IN"}
	benchCities    = []string{"New York", "London", "Berlin", "Paris", "Pune"}
	benchTitles    = []string{"CEO", "CMO", "Engineer", "Student", "VP Sales"}
	benchPages     = []string{"https://acme.test/pricing", "https://acme.test/careers/eng", "https://acme.test/blog/post-1", "https://acme.test/"}
	benchCampaigns = []string{"lead-nurturing-3", "onboarding-1", "newsletter-11", "sales-followup"}
	benchCustom    = []string{"Created task", "Created project", "Signed up for trial", "Booked call", "Cancelled call", "Clicked LinkedIn post", "Clicked Facebook post"}
)

func (g *eventGen) next(i int) *model.Event {
	contact := i % g.contacts
	ev := &model.Event{ID: "b-" + strconv.Itoa(i), ContactID: "c-" + strconv.Itoa(contact), Timestamp: g.base.Add(time.Duration(i) * time.Millisecond)}
	pick := func(list []string) string { return list[g.rnd.IntN(len(list))] }
	if i < g.contacts {
		ev.Type = model.EventIdentify
		ev.Email = fmt.Sprintf("lead%d@acme.test", contact)
		ev.Traits = map[string]any{
			"country": pick(benchCountries), "city": pick(benchCities), "age": 20 + g.rnd.IntN(40),
			"job_title": pick(benchTitles), "company_size": 5 + g.rnd.IntN(200), "buying_authority": g.rnd.IntN(3) == 0,
		}
		if g.accounts > 0 {
			ev.AccountID = "acct-" + strconv.Itoa(contact%g.accounts)
		}
		return ev
	}
	switch r := g.rnd.IntN(10); {
	case r < 3:
		ev.Type, ev.Properties = model.EventPageVisited, map[string]any{"url": pick(benchPages), "title": "Page"}
	case r < 5:
		ev.Type, ev.Properties = model.EventEmailOpened, map[string]any{"email": pick(benchCampaigns)}
	case r < 7:
		ev.Type, ev.Properties = model.EventEmailClicked, map[string]any{"email": pick(benchCampaigns), "link": "https://acme.test/x"}
	case r < 8:
		ev.Type, ev.Properties = model.EventEmailReplied, map[string]any{"email": pick(benchCampaigns)}
	default:
		ev.Type, ev.Properties = pick(benchCustom), map[string]any{"source": "app"}
	}
	return ev
}

// addIdleFlows adds enabled flows that never match: half wait for a custom
// event nobody sends, half listen to page_visited with a URL nobody visits,
// so every page visit checks (and rejects) their triggers.
func addIdleFlows(ctx context.Context, st store.Store, n int) error {
	for i := 0; i < n; i++ {
		trigger := fmt.Sprintf(`{"id":"t1","type":"trigger.event","config":{"name":"Never sent %d"}}`, i)
		if i%2 == 1 {
			trigger = fmt.Sprintf(`{"id":"t1","type":"trigger.page_visited","config":{"url":"/never-%d","match":"prefix"}}`, i)
		}
		id := fmt.Sprintf("idle-%03d", i)
		doc := fmt.Sprintf(`{"id":%q,"name":"Idle %d","enabled":true,"entry":{"mode":"every_time"},"nodes":[%s,
			{"id":"a1","type":"action.adjust_score","config":{"score":"engagement","points":1}}],"edges":[{"from":"t1","to":"a1"}]}`, id, i, trigger)
		if _, err := st.CreateFlow(ctx, store.FlowRecord{ID: id, Name: fmt.Sprintf("Idle %d", i), Enabled: true, Doc: []byte(doc)}); err != nil {
			return fmt.Errorf("add idle flow: %w", err)
		}
	}
	return nil
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				return strings.TrimSpace(v)
			}
			return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	return "n/a"
}

// writeHeapProfile writes the heap as it is now, after a collection so the
// in-use figures are what the process really keeps.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("write heap profile: %w", err)
	}
	return f.Close()
}

// startCPUProfile profiles the process into path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
