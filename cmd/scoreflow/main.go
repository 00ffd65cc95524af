// Command scoreflow runs the Scoreflow lead-scoring engine.
//
//	scoreflow serve [flags]        run API, engine, scheduler and (by default) an embedded NATS
//	scoreflow validate FILE...     check flow files offline
//	scoreflow bench [flags]        push events end to end and print throughput and latency
//	scoreflow migrate [flags]      apply pending store migrations and exit
//	scoreflow store copy [flags]   copy a stopped Scoreflow's state into an empty PostgreSQL
//	scoreflow keys create|list|revoke   manage named API keys in the store
//	scoreflow version
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/flows"

	_ "github.com/scoreflow/scoreflow/actions"
	_ "github.com/scoreflow/scoreflow/triggers"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "validate":
		return validate(args[1:], stdout, stderr)
	case "bench":
		return bench(args[1:], stdout, stderr)
	case "bench-lab":
		return benchLab(args[1:], stdout, stderr)
	case "migrate":
		return migrate(args[1:], stdout, stderr)
	case "store":
		return storeCommand(args[1:], stdout, stderr)
	case "keys":
		return keysCommand(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "scoreflow", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "scoreflow: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: scoreflow <command> [flags]

commands:
  serve      run the API, the engine and an embedded NATS (see 'scoreflow serve -h')
  validate   check flow files: scoreflow validate flow.json...
  bench      end-to-end benchmark: scoreflow bench -events 200000
  bench-lab  model lab benchmark: replay, lab run, suggest, rescore (scoreflow bench-lab -events 1000000 -contacts 100000)
  migrate    apply the store's pending migrations: scoreflow migrate --store postgres://…
  store      store copy --from DIR|FILE|URL --to postgres://…: move a stopped Scoreflow's state
  keys       keys create --name N --scope admin|write|read, keys list, keys revoke ID
  version    print the version
`)
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envInt reads an integer environment variable; one that is not a number
// is passed as -1 so the flag's own validation names it.
func envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return -1
	}
	return n
}

// parseSize reads a byte size: 1048576, 512KiB, 1MiB, 500KB, 2MB, 64k.
func parseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(t[len(num):]))
	mult := map[string]int{"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20, "mb": 1000 * 1000, "mib": 1 << 20}[unit]
	n, err := strconv.Atoi(num)
	if err != nil || mult == 0 || n <= 0 || n > (1<<30)/mult {
		return 0, fmt.Errorf("%q is not a size such as 1MiB, 512KiB or 1048576 (at most 1GiB)", s)
	}
	return n * mult, nil
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	var logLevel, bodyLimit, rateLimit, cpuProfile string
	fs.StringVar(&cfg.HTTPAddr, "http", envOr("SCOREFLOW_HTTP", "127.0.0.1:8080"), "HTTP listen address (API, UI, webhooks) [SCOREFLOW_HTTP]")
	fs.StringVar(&cfg.DataDir, "data", envOr("SCOREFLOW_DATA", "./scoreflow-data"), "directory of the SQLite database and the embedded JetStream store [SCOREFLOW_DATA]")
	fs.StringVar(&cfg.Store, "store", envOr("SCOREFLOW_STORE", ""), "keep all state in PostgreSQL: postgres://user:pass@host:5432/db; empty = SQLite in --data [SCOREFLOW_STORE]")
	fs.StringVar(&cfg.NATSURL, "nats", envOr("SCOREFLOW_NATS_URL", ""), "use this NATS (JetStream enabled) instead of embedding one [SCOREFLOW_NATS_URL]")
	fs.IntVar(&cfg.NATSReplicas, "nats-replicas", envInt("SCOREFLOW_NATS_REPLICAS", 1), "replicas of the event stream when Scoreflow creates it on a NATS cluster (1 to 5; 3 for a 3-node cluster); an existing stream keeps its own [SCOREFLOW_NATS_REPLICAS]")
	fs.IntVar(&cfg.Partitions, "partitions", envInt("SCOREFLOW_PARTITIONS", 16), "contact partitions of the event stream, fixed when the stream is created [SCOREFLOW_PARTITIONS]")
	fs.StringVar(&cfg.NATSListen, "nats-listen", envOr("SCOREFLOW_NATS_LISTEN", "127.0.0.1:4222"), "where the embedded NATS listens; off = in-process only [SCOREFLOW_NATS_LISTEN]")
	fs.StringVar(&cfg.AdminKey, "admin-key", envOr("SCOREFLOW_ADMIN_KEY", ""), "bearer key for /api/v1/* [SCOREFLOW_ADMIN_KEY]")
	fs.StringVar(&cfg.WriteKey, "write-key", envOr("SCOREFLOW_WRITE_KEY", ""), "key for ingestion only [SCOREFLOW_WRITE_KEY]")
	fs.BoolVar(&cfg.AllowPrivateWebhooks, "allow-private-webhooks", envOr("SCOREFLOW_ALLOW_PRIVATE_WEBHOOKS", "") == "true", "let webhooks call loopback and private addresses [SCOREFLOW_ALLOW_PRIVATE_WEBHOOKS]")
	fs.BoolVar(&cfg.Examples, "examples", false, "load the reference scoring model into an empty database")
	fs.IntVar(&cfg.BatchSize, "batch-size", 1000, "most events applied in one transaction")
	fs.IntVar(&cfg.MaxCascadeDepth, "max-cascade-depth", 8, "most internal events (tag, field changes) one event may chain")
	fs.StringVar(&cfg.Schedules.Segments, "schedule-segments", envOr("SCOREFLOW_SCHEDULE_SEGMENTS", "@every 1m"), "when time-based segments are re-evaluated (cron syntax, UTC; off = never) [SCOREFLOW_SCHEDULE_SEGMENTS]")
	fs.StringVar(&cfg.Schedules.Delays, "schedule-delays", envOr("SCOREFLOW_SCHEDULE_DELAYS", "@every 5s"), "when runs waiting at a delay are resumed [SCOREFLOW_SCHEDULE_DELAYS]")
	fs.StringVar(&cfg.Schedules.Decay, "schedule-decay", envOr("SCOREFLOW_SCHEDULE_DECAY", "@every 1h"), "when score decay is applied [SCOREFLOW_SCHEDULE_DECAY]")
	fs.StringVar(&cfg.SendGridVerificationKey, "sendgrid-verification-key", envOr("SCOREFLOW_SENDGRID_VERIFICATION_KEY", ""), "verify SendGrid's signed event webhook with this public key (base64, as SendGrid shows it); empty = off [SCOREFLOW_SENDGRID_VERIFICATION_KEY]")
	fs.StringVar(&rateLimit, "rate-limit", envOr("SCOREFLOW_RATE_LIMIT", "0"), "requests per second per key (per client IP without keys), 429 beyond; 0 = off [SCOREFLOW_RATE_LIMIT]")
	fs.StringVar(&bodyLimit, "body-limit", envOr("SCOREFLOW_BODY_LIMIT", "1MiB"), "largest request body of the API and webhooks, e.g. 1MiB, 512KiB, 4MB; /v1/* keep Segment's 32 KB / 500 KB [SCOREFLOW_BODY_LIMIT]")
	fs.StringVar(&logLevel, "log-level", envOr("SCOREFLOW_LOG_LEVEL", "info"), "debug, info, warn or error [SCOREFLOW_LOG_LEVEL]")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (for profiling under load)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := (broker.StreamOptions{Replicas: cfg.NATSReplicas, Partitions: cfg.Partitions}).Validate(); err != nil {
		fmt.Fprintf(stderr, "scoreflow: %v\n", err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintf(stderr, "scoreflow: --log-level: %v\n", err)
		return 2
	}
	limit, err := parseSize(bodyLimit)
	if err != nil {
		fmt.Fprintf(stderr, "scoreflow: --body-limit: %v\n", err)
		return 2
	}
	cfg.BodyLimit = limit
	if cfg.RateLimit, err = strconv.ParseFloat(rateLimit, 64); err != nil || cfg.RateLimit < 0 || math.IsInf(cfg.RateLimit, 0) || math.IsNaN(cfg.RateLimit) {
		fmt.Fprintf(stderr, "scoreflow: --rate-limit: %q is not a number of requests per second (0 = off)\n", rateLimit)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.Logger = log

	if cpuProfile != "" {
		stopProfile, err := startCPUProfile(cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "scoreflow: --cpuprofile: %v\n", err)
			return 1
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	a, err := app.Start(ctx, cfg)
	if err != nil {
		log.Error("scoreflow could not start", "err", err)
		fmt.Fprintf(stderr, "scoreflow: %v\n", err)
		return 1
	}
	attrs := []any{"http", a.HTTPAddr(), "data", cfg.DataDir, "startup", time.Since(start).Round(time.Millisecond).String()}
	if a.NATS != nil {
		attrs = append(attrs, "nats", a.NATS.ClientURL())
	} else {
		attrs = append(attrs, "nats", cfg.NATSURL)
	}
	log.Info("scoreflow ready", attrs...)
	<-ctx.Done()
	log.Info("scoreflow stopping: draining in-flight events")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Shutdown(shutdownCtx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("scoreflow stopped")
	return 0
}

// validate checks flow files offline and prints each error with its node
// and field. It knows no settings, so stages and segments are not checked.
func validate(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: scoreflow validate FILE...")
		return 2
	}
	failed := false
	for _, name := range args {
		errs, err := validateFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			failed = true
			continue
		}
		if len(errs) == 0 {
			fmt.Fprintf(stdout, "%s: ok\n", name)
			continue
		}
		failed = true
		for _, e := range errs {
			fmt.Fprintf(stdout, "%s: %s\n", name, strings.TrimSpace(e))
		}
	}
	if failed {
		return 1
	}
	return 0
}

func validateFile(name string) ([]string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	f, err := flows.Parse(data)
	if err != nil {
		return []string{err.Error()}, nil
	}
	var out []string
	for _, e := range flows.Validate(f, flows.Env{}) {
		out = append(out, describeError(f, e.Path)+e.Message)
	}
	return out, nil
}

// describeError prefixes a path with the node id it points into, so
// "nodes[2].config.points" reads "node a1 (nodes[2].config.points): ".
func describeError(f *flows.Flow, path string) string {
	var i int
	if _, err := fmt.Sscanf(path, "nodes[%d]", &i); err == nil && i >= 0 && i < len(f.Nodes) {
		return fmt.Sprintf("node %q (%s): ", f.Nodes[i].ID, path)
	}
	if path == "" {
		return ""
	}
	return path + ": "
}
