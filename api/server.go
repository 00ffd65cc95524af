// Package api is Scoreflow's HTTP surface on fiber: the REST API under
// /api/v1, the ingest endpoints (events, the Segment-compatible /v1/*, the
// SendGrid webhook), health, readiness and metrics. Handlers validate and
// translate; state changes go to the store (flows, settings), onto the
// event stream (events, contact attributes) or through the engine (contact
// deletion), never around them.
package api

import (
	"context"
	"crypto/ecdsa"
	"io/fs"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/lab"
	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Publisher stores events on the event stream.
type Publisher interface {
	Publish(ctx context.Context, source string, events []*model.Event) error
}

// Engine is what the API needs of the engine.
type Engine interface {
	Ready() bool
	Reload()
}

// ContactDeleter deletes a contact and all its data through the engine's
// apply loop (the only writer of contacts); a missing contact is an error
// wrapping model.ErrNotFound.
type ContactDeleter interface {
	DeleteContact(ctx context.Context, id string) error
}

// Config wires the API.
type Config struct {
	Store     store.Store
	Engine    Engine
	Publisher Publisher
	Segmenter Segmenter
	Jobs      JobLister
	Contacts  ContactDeleter
	Lab       *lab.Manager      // the model lab; nil = no /api/v1/lab routes
	Metrics   *metrics.Registry // nil = no metrics, /metrics answers 404
	Registry  *flows.Registry   // default flows.Nodes
	AdminKey  string
	WriteKey  string
	// SendGridKey verifies SendGrid's signed event webhook; nil = off.
	SendGridKey *ecdsa.PublicKey
	// RateLimit is requests per second per key (per client IP when the
	// server runs without keys); 0 = no limit.
	RateLimit float64
	Logger    *slog.Logger
	Now       func() time.Time
	NewID     func() string
	// BodyLimit caps request bodies of /api/v1/* and /webhooks/*; default
	// 1 MiB. The Segment-compatible /v1/* keep Segment's own limits.
	BodyLimit int
	// UI is the built canvas UI served at / (nil = no UI).
	UI fs.FS
	// ApplyWait is how long PUT /api/v1/contacts/{id} waits for its change
	// to be applied before answering 202; default 5s.
	ApplyWait time.Duration
	// Keys checks every key; nil = one made of Store, AdminKey and
	// WriteKey, without a poll loop (app runs Keyring.Run on its own).
	Keys *Keyring
	// WrongKeys limits wrong keys per client address.
	WrongKeys WrongKeyLimit
	// Cluster answers GET /api/v1/cluster; nil = no such route.
	Cluster ClusterReader
	// ReadyChecks are what /readyz needs answering besides a started
	// engine (the store, NATS); see ready.go.
	ReadyChecks []ReadyCheck
}

// Segment's limits on its HTTP tracking API, which SDKs are built around.
const (
	segmentCallLimit  = 32 << 10
	segmentBatchLimit = 500 << 10
	// webhookMinLimit: SendGrid batches its posts and cannot be told to
	// send smaller ones, so a small --body-limit must not break it.
	webhookMinLimit = 1 << 20
)

// Server holds the handlers' dependencies.
type Server struct {
	cfg        Config
	log        *slog.Logger
	limiter    *rateLimiter // nil = no rate limit
	routes     []routeInfo  // every registered route, for 405s
	requestIDs *requestIDs
	maxBody    int      // the largest body any route takes
	ui         *uiFiles // nil = no UI
	keys       *Keyring
	failures   *rateLimiter // wrong keys per client address
}

// New builds the fiber app with every route.
func New(cfg Config) *fiber.App {
	if cfg.Registry == nil {
		cfg.Registry = flows.Nodes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = newID
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.ApplyWait <= 0 {
		cfg.ApplyWait = 5 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, requestIDs: newRequestIDs(),
		maxBody: max(cfg.BodyLimit, segmentBatchLimit, webhookMinLimit)}
	if cfg.UI != nil {
		s.ui = newUIFiles(cfg.UI)
	}
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(cfg.RateLimit)
	}
	if s.keys = cfg.Keys; s.keys == nil {
		s.keys = NewKeyring(cfg.Store, cfg.AdminKey, cfg.WriteKey, cfg.Logger)
	}
	s.failures = newFailureLimiter(cfg.WrongKeys)
	app := fiber.New(fiber.Config{
		AppName: "scoreflow",
		// The server reads up to the largest limit of any route; each
		// route group then enforces its own (bodyLimit). Bodies are read as
		// streams, so a CSV import streams rows of any size; every other
		// route reads at most its limit.
		BodyLimit:             s.maxBody,
		StreamRequestBody:     true,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	app.Server().HeaderReceived = refuseFromHeaders(s.maxBody)
	// observe is outermost: it assigns the request id, times the request,
	// turns errors (and recovered panics) into answers and logs them.
	app.Use(s.observe)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	app.Use(closeUnread)
	app.Use(s.decompress)

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.readyz)
	if cfg.Metrics != nil {
		app.Get("/metrics", adaptor.HTTPHandler(cfg.Metrics.Handler()))
	}

	// The CSV import streams its body, so it is outside the group's limit.
	app.Post(importPath, s.auth(admin), s.importContacts)
	v1 := app.Group("/api/v1", bodyLimit(cfg.BodyLimit))
	v1.Get("/openapi.json", s.auth(admin), s.openAPI)
	v1.Post("/events", markIngest, s.auth(ingest), s.postEvents)

	v1.Get("/node-types", s.auth(admin), s.nodeTypes)

	v1.Get("/flows", s.auth(admin), s.listFlows)
	v1.Post("/flows", s.auth(admin), s.createFlow)
	v1.Post("/flows/validate", s.auth(admin), s.validateFlow)
	v1.Get("/flows/:id", s.auth(admin), s.getFlow)
	v1.Put("/flows/:id", s.auth(admin), s.updateFlow)
	v1.Delete("/flows/:id", s.auth(admin), s.deleteFlow)
	v1.Get("/flows/:id/versions", s.auth(admin), s.flowVersions)
	v1.Get("/flows/:id/stats", s.auth(admin), s.flowStats)
	v1.Get("/scoring-matrix", s.auth(admin), s.scoringMatrix)
	v1.Get("/dashboard", s.auth(admin), s.dashboard)
	v1.Get("/catalog", s.auth(admin), s.catalog)

	v1.Get("/contacts", s.auth(admin), s.listContacts)
	v1.Get("/contacts/export", s.auth(admin), s.exportContacts)
	v1.Get("/contacts/:id", s.auth(admin), s.getContact)
	v1.Put("/contacts/:id", s.auth(admin), s.putContact)
	v1.Delete("/contacts/:id", s.auth(admin), s.deleteContact)
	v1.Get("/contacts/:id/history", s.auth(admin), s.contactHistory)
	v1.Get("/contacts/:id/timeline", s.auth(admin), s.contactTimeline)
	v1.Post("/contacts/:id/merge", s.auth(admin), s.mergeContacts)
	v1.Get("/accounts", s.auth(admin), s.listAccounts)
	v1.Get("/accounts/:id", s.auth(admin), s.getAccount)
	v1.Get("/accounts/:id/contacts", s.auth(admin), s.accountContacts)
	v1.Get("/accounts/:id/history", s.auth(admin), s.accountHistory)

	v1.Get("/settings", s.auth(admin), s.getSettings)
	v1.Put("/settings", s.auth(admin), s.putSettings)

	v1.Get("/segments", s.auth(admin), s.listSegments)
	v1.Post("/segments", s.auth(admin), s.createSegment)
	v1.Post("/segments/preview", s.auth(admin), s.previewSegment)
	v1.Get("/segments/:id", s.auth(admin), s.getSegment)
	v1.Put("/segments/:id", s.auth(admin), s.updateSegment)
	v1.Delete("/segments/:id", s.auth(admin), s.deleteSegment)
	v1.Get("/segments/:id/contacts", s.auth(admin), s.segmentContacts)

	v1.Get("/jobs", s.auth(admin), s.listJobs)
	s.registerLab(v1)
	s.registerCluster(v1)

	v1.Get("/webhooks", s.auth(admin), s.listWebhooks)
	v1.Get("/dead-events", s.auth(admin), s.listDeadEvents)

	// Keys and audit (CONTRACT §10): admin keys only, even to read.
	v1.Get("/me", s.auth(anyKey), s.me)
	v1.Get("/keys", s.auth(owner), s.listKeys)
	v1.Post("/keys", s.auth(owner), s.createKey)
	v1.Delete("/keys/:id", s.auth(owner), s.revokeKey)
	v1.Get("/audit", s.auth(owner), s.listAudit)

	// The Segment-compatible tracking API. Browser SDKs (analytics.js)
	// post cross-origin, and use one-letter paths (/v1/t, /v1/b).
	track := app.Group("/v1", cors.New(cors.Config{AllowOrigins: "*", AllowMethods: "POST",
		AllowHeaders: "Content-Type, Authorization", MaxAge: 86400}))
	for _, r := range segmentRoutes {
		track.Post(r.path, markIngest, bodyLimit(r.limit), s.segmentHandler(r.kind))
	}

	hooks := app.Group("/webhooks", bodyLimit(max(cfg.BodyLimit, webhookMinLimit)))
	hooks.Post("/sendgrid", markIngest, s.webhookAuth, s.sendGrid)

	s.routes = collectRoutes(app)
	app.Use(s.serveUI)
	app.Use(s.noRoute)
	return app
}

// markIngest tags a request as an ingest call, for observe's log level.
func markIngest(c *fiber.Ctx) error {
	c.Locals(localIngest, true)
	return c.Next()
}
