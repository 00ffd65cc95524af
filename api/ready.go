package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ReadyCheck is one dependency a replica needs to serve the API and take
// ingest: Check answers nil while it is reachable.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// readyTimeout bounds all checks of one /readyz: a probe that hangs is a
// dependency that is not there.
const readyTimeout = 2 * time.Second

// readyz is 200 on a replica that serves the API and ingest (CONTRACT §7):
// its engine started and its store and NATS answer. Owning no partition
// at the moment does not make a replica unready: any replica answers any
// call and takes any ingest, whoever applies the events.
func (s *Server) readyz(c *fiber.Ctx) error {
	if s.cfg.Engine == nil || !s.cfg.Engine.Ready() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "starting"})
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	for _, rc := range s.cfg.ReadyChecks {
		if err := rc.Check(ctx); err != nil {
			// The error text stays in the log: it may name hosts and paths.
			s.log.Warn("not ready", "check", rc.Name, "err", err)
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "unavailable": rc.Name})
		}
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
