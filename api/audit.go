package api

import (
	"github.com/gofiber/fiber/v2"
)

// listAudit pages the audit log, newest first (CONTRACT §10).
func (s *Server) listAudit(c *fiber.Ctx) error {
	limit, err := intQuery(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	entries, next, err := s.cfg.Store.Audit(c.UserContext(), limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": entries, "next_cursor": next})
}
