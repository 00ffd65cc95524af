// Package app assembles one Scoreflow process: the store (SQLite or PostgreSQL), NATS
// (embedded or external), the engine, the webhook dispatcher and the HTTP
// API. `scoreflow serve`, `scoreflow bench` and the end-to-end tests all
// start Scoreflow through it, so they run the same wiring.
package app

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/cluster"
	"github.com/scoreflow/scoreflow/engine"
	"github.com/scoreflow/scoreflow/internal/linger"
	"github.com/scoreflow/scoreflow/lab"
	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/stores"
	"github.com/scoreflow/scoreflow/ui"
	"github.com/scoreflow/scoreflow/webhook"

	// Node types register themselves into flows.Nodes.
	_ "github.com/scoreflow/scoreflow/actions"
	_ "github.com/scoreflow/scoreflow/triggers"
)

// Config is the process configuration (CONTRACT §1 plus extensions).
type Config struct {
	HTTPAddr             string // "" = no listener (tests use App.HTTP.Test)
	DataDir              string
	Store                string // --store: "" = SQLite in DataDir; postgres://… = PostgreSQL (CONTRACT §7)
	NATSURL              string // external NATS; "" = embedded
	NATSListen           string // embedded server address, "off" = in-process only
	AdminKey             string
	WriteKey             string
	AllowPrivateWebhooks bool
	Examples             bool // load the reference model into an empty database
	BatchSize            int
	MaxCascadeDepth      int
	Logger               *slog.Logger
	Now                  func() time.Time
	OnCommit             func(engine.CommitInfo)
	WebhookOptions       webhook.Options
	// Schedules of the time-driven jobs; zero fields take the defaults,
	// "off" disables a job (tests run them by hand with Scheduler.RunNow).
	Schedules engine.Schedules
	// SendGridVerificationKey turns on verification of SendGrid's signed
	// event webhook: the base64 public key SendGrid shows. "" = off.
	SendGridVerificationKey string
	// RateLimit is requests per second per key (per IP without keys); 0 = off.
	RateLimit float64
	// BodyLimit caps API and webhook request bodies in bytes; 0 = 1 MiB.
	BodyLimit int
	// WrongKeys limits wrong API keys per client address; zero = the default.
	WrongKeys api.WrongKeyLimit
	// NATSReplicas and Partitions declare the event stream when this
	// process creates it (CONTRACT §7); zero = 1 replica, 16 partitions.
	NATSReplicas int
	Partitions   int
	// ReplicaID names this process in the engine lease, /api/v1/cluster
	// and metrics; "" = host name and a random suffix.
	ReplicaID string
	// LeaseTTL is how long the engine lease outlives a holder that died
	// (set when this process creates the lease bucket); 0 = 15s.
	LeaseTTL time.Duration
}

// App is a running Scoreflow.
type App struct {
	Config     Config
	Store      store.Store
	NATS       *broker.Embedded // nil with an external NATS
	Conn       *nats.Conn
	JS         jetstream.JetStream
	Publisher  *broker.Publisher
	Engine     *engine.Engine
	Dispatcher *webhook.Dispatcher
	Scheduler  *engine.Scheduler
	Lab        *lab.Manager
	Metrics    *metrics.Registry
	HTTP       *fiber.App
	// Lease is this process's claim to be the stream's only engine (SQLite).
	Lease *broker.Lease
	// Cluster shares the stream's partitions with the other replicas
	// (PostgreSQL).
	Cluster   *cluster.Manager
	ReplicaID string
	log       *slog.Logger

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	listener net.Listener
	stopOnce sync.Once
}

// CheckExposure refuses to run open on a non-loopback address (CONTRACT §1).
func CheckExposure(cfg Config) error {
	if cfg.AdminKey != "" || cfg.WriteKey != "" || cfg.HTTPAddr == "" {
		if cfg.WriteKey != "" && cfg.AdminKey == "" {
			return errors.New("a write key needs an admin key too (--admin-key), or nobody could manage flows")
		}
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http address %q: %w", cfg.HTTPAddr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to serve %s without keys: anyone could change scores; set --admin-key (and --write-key) or listen on 127.0.0.1", cfg.HTTPAddr)
	}
	return nil
}

// Start brings everything up and returns once the engine consumes and the
// HTTP listener (if any) accepts.
func Start(ctx context.Context, cfg Config) (a *App, err error) {
	if err := CheckExposure(cfg); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NATSListen == "" {
		cfg.NATSListen = "127.0.0.1:4222"
	}
	sendGridKey, err := parseSendGridKey(cfg.SendGridVerificationKey)
	if err != nil {
		return nil, err
	}
	a = &App{Config: cfg, log: cfg.Logger, Metrics: metrics.New()}
	// The deferred close holds its own pointer: "return nil, err" below
	// sets the named result to nil before deferred calls run.
	started := a
	defer func() {
		if err != nil {
			started.close()
		}
	}()
	streamOpts := broker.StreamOptions{Replicas: cfg.NATSReplicas, Partitions: cfg.Partitions, Logger: a.log}.WithDefaults()
	if err := streamOpts.Validate(); err != nil {
		return nil, err
	}
	if a.ReplicaID = cfg.ReplicaID; a.ReplicaID == "" {
		a.ReplicaID = newReplicaID()
	}
	target, err := stores.Resolve(cfg.Store, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.NATSURL == "" {
		if a.NATS, err = broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: filepath.Join(cfg.DataDir, "nats"), Listen: cfg.NATSListen}); err != nil {
			return nil, err
		}
	}
	if a.Conn, a.JS, err = broker.Connect(cfg.NATSURL, a.NATS, "scoreflow"); err != nil {
		return nil, err
	}
	// On SQLite the engine is alone on its stream (CONTRACT §7): the lease
	// is taken before the store is opened (and migrated) and before the
	// stream or a consumer is touched, so a refused process changes
	// nothing. On PostgreSQL any number of replicas share the stream's
	// partitions (cluster/), but not with a SQLite engine holding the lease.
	partitioned := target.Kind == stores.Postgres
	lost := make(chan struct{})
	if err := a.refuseOtherKind(ctx, partitioned); err != nil {
		return nil, err
	}
	if !partitioned {
		var lostOnce sync.Once
		if a.Lease, err = broker.AcquireLease(ctx, a.JS, broker.Holder{
			ID: a.ReplicaID, HTTP: cfg.HTTPAddr, Store: target.String(), Partitions: streamOpts.Partitions, Since: time.Now().UTC(),
		}, broker.LeaseOptions{TTL: cfg.LeaseTTL, Replicas: streamOpts.Replicas, Logger: a.log,
			OnLost: func(broker.Holder) { lostOnce.Do(func() { close(lost) }) }}); err != nil {
			return nil, err
		}
	}
	if _, err := broker.EnsureStream(ctx, a.JS, streamOpts); err != nil {
		return nil, err
	}
	a.Metrics.Replica(a.ReplicaID)
	if a.Store, err = stores.Open(ctx, target); err != nil {
		return nil, err
	}
	if cfg.Examples {
		if err := LoadExamples(ctx, a.Store, a.log); err != nil {
			return nil, err
		}
	}
	a.Publisher = broker.NewPublisher(a.JS)

	wopts := cfg.WebhookOptions
	wopts.AllowPrivate = wopts.AllowPrivate || cfg.AllowPrivateWebhooks
	if wopts.Logger == nil {
		wopts.Logger = a.log
	}
	if wopts.Owner == "" {
		wopts.Owner = a.ReplicaID // its outbox claims name the replica
	}
	onResult := wopts.OnResult
	wopts.OnResult = func(outcome string) {
		a.Metrics.WebhookResult(outcome)
		if onResult != nil {
			onResult(outcome)
		}
	}
	a.Dispatcher = webhook.NewDispatcher(a.Store, wopts)

	a.Engine = engine.New(engine.Options{
		Store: a.Store, JS: a.JS, Logger: a.log, Now: cfg.Now, BatchSize: cfg.BatchSize,
		MaxCascadeDepth: cfg.MaxCascadeDepth, OnWebhooks: a.Dispatcher.Notify, OnRun: a.Metrics.FlowRun, Stream: streamOpts,
		Replica: a.ReplicaID,
		OnCommit: func(ci engine.CommitInfo) {
			a.Metrics.Committed(len(ci.EventIDs), ci.Duplicates, ci.Duration)
			if cfg.OnCommit != nil {
				cfg.OnCommit(ci)
			}
		},
	})
	a.Metrics.WatchLag(a.consumerLag, 2*time.Second)
	a.Metrics.WatchDead(func() uint64 { return a.Engine.Stats().Dead })
	if err := a.Engine.Start(ctx); err != nil {
		return nil, err
	}
	if partitioned {
		// The manager takes this replica's share of the partitions and
		// moves them as replicas join, leave or die.
		if a.Cluster, err = a.startCluster(ctx, a.Engine, nil); err != nil {
			return nil, err
		}
		// Ready once the first share is taken: a replica alone then owns
		// every partition, as one process on SQLite does.
		select {
		case <-a.Cluster.Settled():
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(30 * time.Second):
			a.log.Warn("the cluster manager's first round did not end within 30s; serving meanwhile")
		}
	} else if err := a.Engine.AcquireAll(ctx); err != nil { // the lease holder applies every partition
		return nil, err
	}
	if a.Scheduler, err = engine.NewScheduler(a.Engine, a.Store, a.log, withDefaults(cfg.Schedules)); err != nil {
		return nil, err
	}
	a.Scheduler.OnRun = a.Metrics.JobRun
	a.Scheduler.Start()
	runCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	// The keyring polls the store for keys changed elsewhere (another
	// replica, `scoreflow keys`) and records their last use now and then.
	keys := api.NewKeyring(a.Store, cfg.AdminKey, cfg.WriteKey, a.log)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		keys.Run(runCtx)
	}()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.stopEngineWhenLost(runCtx, lost)
	}()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.Dispatcher.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("webhook dispatcher stopped", "err", err)
		}
	}()

	// The model lab; apply jobs a previous process left unfinished resume.
	a.Lab = lab.NewManager(a.Store, a.Engine, a.log, cfg.Now, nil)
	if err := a.Lab.Resume(ctx); err != nil {
		return nil, err
	}
	a.HTTP = api.New(api.Config{
		Store: a.Store, Engine: a.Engine, Publisher: a.Publisher, Segmenter: a.Engine, Jobs: a.Scheduler, Lab: a.Lab,
		Contacts: a.Engine, Metrics: a.Metrics, AdminKey: cfg.AdminKey, WriteKey: cfg.WriteKey,
		SendGridKey: sendGridKey, RateLimit: cfg.RateLimit, BodyLimit: cfg.BodyLimit, Logger: a.log, Now: cfg.Now,
		UI: ui.Dist(), Keys: keys, WrongKeys: cfg.WrongKeys, Cluster: newClusterReader(a.JS, partitioned),
		ReadyChecks: a.readyChecks(),
	})
	if cfg.HTTPAddr != "" {
		if a.listener, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := a.HTTP.Listener(linger.Listen(a.listener)); err != nil {
				a.log.Error("http server stopped", "err", err)
			}
		}()
		if a.Lease != nil {
			a.Lease.SetHTTP(ctx, a.HTTPAddr())
		}
		if a.Cluster != nil {
			a.Cluster.SetHTTP(ctx, a.HTTPAddr())
		}
	}
	return a, nil
}

// HTTPAddr is where the API listens ("" without a listener).
func (a *App) HTTPAddr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Shutdown drains in dependency order: stop taking requests, let the engine
// commit and ack its batch, stop deliveries, then close NATS and the store.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	a.stopOnce.Do(func() {
		if a.listener != nil {
			errs = append(errs, a.HTTP.ShutdownWithContext(ctx))
		}
		if a.Scheduler != nil {
			errs = append(errs, a.Scheduler.Stop(ctx))
		}
		if a.Lab != nil {
			a.Lab.Close() // an apply job stops at a chunk's end and resumes on the next start
		}
		if a.Engine != nil {
			errs = append(errs, a.Engine.Stop(ctx))
		}
		if a.Cluster != nil {
			// Once the engine committed and acked its last batch, the leases
			// go, so the other replicas take the partitions at once instead
			// of after the TTL (from the ack floors the engine left).
			errs = append(errs, a.Cluster.Stop(ctx))
		}
		errs = append(errs, a.close())
	})
	return errors.Join(errs...)
}

func (a *App) close() error {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	var errs []error
	if a.Lease != nil {
		// Released last but for NATS itself, once the engine stopped, so
		// the next process starts at once and never overlaps this one.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, a.Lease.Release(ctx))
		cancel()
	}
	if a.Conn != nil {
		if err := a.Conn.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, err)
		}
		waitClosed(a.Conn)
	}
	if a.NATS != nil {
		a.NATS.Shutdown()
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}

// consumerLag reads the engine consumer's backlog from JetStream (the
// consumer lag metric, read at each scrape).
func (a *App) consumerLag(ctx context.Context) (pending, ackPending uint64, err error) {
	return broker.Backlog(ctx, a.JS)
}

// parseSendGridKey checks the verification key at start, so a bad one is
// a clear startup error rather than every webhook refused.
func parseSendGridKey(s string) (*ecdsa.PublicKey, error) {
	if s == "" {
		return nil, nil
	}
	key, err := api.ParseSendGridKey(s)
	if err != nil {
		return nil, fmt.Errorf("--sendgrid-verification-key: %w", err)
	}
	return key, nil
}

func withDefaults(s engine.Schedules) engine.Schedules {
	d := engine.DefaultSchedules()
	if s.Segments == "" {
		s.Segments = d.Segments
	}
	if s.Delays == "" {
		s.Delays = d.Delays
	}
	if s.Decay == "" {
		s.Decay = d.Decay
	}
	return s
}

func waitClosed(nc *nats.Conn) {
	deadline := time.Now().Add(5 * time.Second)
	for !nc.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
