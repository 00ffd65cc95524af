// Package api is Scoreflow's HTTP surface on fiber: the REST API under
// /api/v1, the ingest endpoints, health and readiness. Handlers validate and
// translate; state changes go to the store (flows, settings) or onto the
// event stream (events), never around them.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/scoreflow/scoreflow/flows"
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

// Config wires the API.
type Config struct {
	Store     store.Store
	Engine    Engine
	Publisher Publisher
	Segmenter Segmenter
	Jobs      JobLister
	Registry  *flows.Registry // default flows.Nodes
	AdminKey  string
	WriteKey  string
	Logger    *slog.Logger
	Now       func() time.Time
	NewID     func() string
	// BodyLimit caps request bodies; default 1 MiB.
	BodyLimit int
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg Config
	log *slog.Logger
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
	s := &Server{cfg: cfg, log: cfg.Logger}
	app := fiber.New(fiber.Config{
		AppName:               "scoreflow",
		BodyLimit:             cfg.BodyLimit,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	app.Use(requestid.New(requestid.Config{Generator: cfg.NewID}))
	app.Use(recover.New())

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.readyz)

	v1 := app.Group("/api/v1")
	v1.Post("/events", s.auth(ingest), s.postEvents)

	v1.Get("/node-types", s.auth(admin), s.nodeTypes)

	v1.Get("/flows", s.auth(admin), s.listFlows)
	v1.Post("/flows", s.auth(admin), s.createFlow)
	v1.Post("/flows/validate", s.auth(admin), s.validateFlow)
	v1.Get("/flows/:id", s.auth(admin), s.getFlow)
	v1.Put("/flows/:id", s.auth(admin), s.updateFlow)
	v1.Delete("/flows/:id", s.auth(admin), s.deleteFlow)
	v1.Get("/flows/:id/versions", s.auth(admin), s.flowVersions)
	v1.Get("/flows/:id/stats", s.auth(admin), s.flowStats)

	v1.Get("/contacts", s.auth(admin), s.listContacts)
	v1.Get("/contacts/:id", s.auth(admin), s.getContact)
	v1.Get("/contacts/:id/history", s.auth(admin), s.contactHistory)
	v1.Get("/contacts/:id/timeline", s.auth(admin), s.contactTimeline)

	v1.Get("/settings", s.auth(admin), s.getSettings)
	v1.Put("/settings", s.auth(admin), s.putSettings)

	v1.Get("/segments", s.auth(admin), s.listSegments)
	v1.Post("/segments", s.auth(admin), s.createSegment)
	v1.Get("/segments/:id", s.auth(admin), s.getSegment)
	v1.Put("/segments/:id", s.auth(admin), s.updateSegment)
	v1.Delete("/segments/:id", s.auth(admin), s.deleteSegment)
	v1.Get("/segments/:id/contacts", s.auth(admin), s.segmentContacts)

	v1.Get("/jobs", s.auth(admin), s.listJobs)

	v1.Get("/webhooks", s.auth(admin), s.listWebhooks)
	v1.Get("/dead-events", s.auth(admin), s.listDeadEvents)

	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no route "+c.Method()+" "+c.Path())
	})
	return app
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if s.cfg.Engine == nil || !s.cfg.Engine.Ready() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "starting"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
