package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

func (s *Server) getContact(c *fiber.Ctx) error {
	contact, err := s.cfg.Store.GetContact(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(contact)
}

func (s *Server) listContacts(c *fiber.Ctx) error {
	q := store.ContactQuery{
		Grade: c.Query("grade"), Tag: c.Query("tag"), Segment: c.Query("segment"), Query: c.Query("q"),
		Limit: c.QueryInt("limit", 50), Cursor: c.Query("cursor"),
	}
	switch c.Query("sort", "-score") {
	case "-score":
	case "score":
		q.Ascend = true
	default:
		return model.Invalid("invalid_query", "sort must be -score or score", model.FieldError{Path: "sort", Message: "must be -score or score"})
	}
	if q.Limit < 1 || q.Limit > 1000 {
		return model.Invalid("invalid_query", "limit must be between 1 and 1000", model.FieldError{Path: "limit", Message: "must be between 1 and 1000"})
	}
	contacts, next, err := s.cfg.Store.ListContacts(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"contacts": contacts, "next_cursor": next})
}

func (s *Server) contactHistory(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := s.cfg.Store.GetContact(c.UserContext(), id); err != nil {
		return err
	}
	h, err := s.cfg.Store.History(c.UserContext(), id, c.QueryInt("limit", 1000))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"history": h})
}

func (s *Server) contactTimeline(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := s.cfg.Store.GetContact(c.UserContext(), id); err != nil {
		return err
	}
	events, err := s.cfg.Store.Timeline(c.UserContext(), id, c.QueryInt("limit", 200))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"events": events})
}

func (s *Server) getSettings(c *fiber.Ctx) error {
	st, err := s.cfg.Store.GetSettings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) putSettings(c *fiber.Ctx) error {
	var st model.Settings
	if err := c.BodyParser(&st); err != nil {
		return badJSON("invalid_settings", err)
	}
	if errs := st.Validate(); len(errs) > 0 {
		return model.Invalid("invalid_settings", "the settings are invalid", errs...)
	}
	if err := s.cfg.Store.PutSettings(c.UserContext(), st); err != nil {
		return err
	}
	s.reload()
	return c.JSON(st)
}

func (s *Server) listWebhooks(c *fiber.Ctx) error {
	hooks, err := s.cfg.Store.Webhooks(c.UserContext(), c.Query("status"), c.QueryInt("limit", 100))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"webhooks": hooks})
}

func (s *Server) listDeadEvents(c *fiber.Ctx) error {
	dead, err := s.cfg.Store.DeadEvents(c.UserContext(), c.QueryInt("limit", 100))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"dead_events": dead})
}
