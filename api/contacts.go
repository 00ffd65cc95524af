package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

func (s *Server) getContact(c *fiber.Ctx) error {
	body, err := s.contactAnswer(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(body)
}

func (s *Server) listContacts(c *fiber.Ctx) error {
	limit, err := intQuery(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	q := store.ContactQuery{
		Grade: c.Query("grade"), Tag: c.Query("tag"), Segment: c.Query("segment"), Query: c.Query("q"),
		Limit: limit, Cursor: c.Query("cursor"),
	}
	if q.Ascend, err = scoreSort(c); err != nil {
		return err
	}
	contacts, next, err := s.cfg.Store.ListContacts(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"contacts": contacts, "next_cursor": next})
}

func (s *Server) contactHistory(c *fiber.Ctx) error {
	contact, err := s.survivor(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	id := contact.ID
	limit, err := intQuery(c, "limit", 1000, 1, 10000)
	if err != nil {
		return err
	}
	h, err := s.cfg.Store.History(c.UserContext(), id, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"history": h})
}

func (s *Server) contactTimeline(c *fiber.Ctx) error {
	contact, err := s.survivor(c.UserContext(), pathParam(c, "id"))
	if err != nil {
		return err
	}
	id := contact.ID
	limit, err := intQuery(c, "limit", 200, 1, 1000)
	if err != nil {
		return err
	}
	events, err := s.cfg.Store.Timeline(c.UserContext(), id, limit)
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
	// The body is JSON whatever the Content-Type says: curl -d sends
	// application/x-www-form-urlencoded, which BodyParser would take as a form.
	if err := json.Unmarshal(c.Body(), &st); err != nil {
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
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	hooks, err := s.cfg.Store.Webhooks(c.UserContext(), c.Query("status"), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"webhooks": hooks})
}

func (s *Server) listDeadEvents(c *fiber.Ctx) error {
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	dead, err := s.cfg.Store.DeadEvents(c.UserContext(), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"dead_events": dead})
}

// intQuery reads an integer query parameter strictly: absent is def; a
// value that is not an integer, or lies outside [lo, hi], is a 400 rather
// than a silent default.
func intQuery(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		msg := fmt.Sprintf("must be an integer between %d and %d", lo, hi)
		return 0, model.Invalid("invalid_query", name+" "+msg, model.FieldError{Path: name, Message: msg})
	}
	return n, nil
}

// contactChange is the body of PUT /api/v1/contacts/{id}.
type contactChange struct {
	// Attributes are merged into the contact's; null removes one.
	Attributes map[string]any `json:"attributes"`
	Email      *string        `json:"email"`
}

// putContact changes a contact's attributes (and email). The engine is the
// only writer of contacts, so the change travels the road of every event:
// an identify event on the stream, applied in order with the contact's
// other events, running the flows that listen to field changes. The answer
// waits until it is applied and returns the contact (200); when that takes
// longer than ApplyWait it returns 202 with the event id.
func (s *Server) putContact(c *fiber.Ctx) error {
	id := pathParam(c, "id")
	var in contactChange
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return model.Invalid("invalid_contact", `the body must be {"attributes": {...}} with an optional "email"`, jsonFieldError(err))
	}
	if dec.More() {
		return model.Invalid("invalid_contact", "the body must hold one JSON object")
	}
	if in.Attributes == nil && in.Email == nil {
		return model.Invalid("invalid_contact", "nothing to change: send attributes, email or both",
			model.FieldError{Path: "attributes", Message: "is required unless email is given"})
	}
	ev := &model.Event{ID: s.cfg.NewID(), Type: model.EventIdentify, ContactID: id, Timestamp: s.cfg.Now().UTC(), Traits: in.Attributes}
	if in.Email != nil {
		ev.Email = strings.TrimSpace(*in.Email)
		if ev.Email == "" {
			return model.Invalid("invalid_contact", "email cannot be removed, only changed", model.FieldError{Path: "email", Message: "must be an email address"})
		}
	}
	if errs := ev.Validate(); len(errs) > 0 {
		for i := range errs {
			errs[i].Path = strings.Replace(errs[i].Path, "traits", "attributes", 1)
		}
		return model.Invalid("invalid_contact", "the change is invalid", errs...)
	}
	ctx := c.UserContext()
	target, err := s.survivor(ctx, id)
	if err != nil {
		return err
	}
	id, ev.ContactID = target.ID, target.ID
	if err := s.cfg.Publisher.Publish(ctx, metrics.PathAPI, []*model.Event{ev}); err != nil {
		return fmt.Errorf("publish contact change: %w", err)
	}
	s.cfg.Metrics.Ingested(metrics.PathAPI, 1)
	applied, err := s.waitApplied(ctx, ev.ID)
	if err != nil {
		return err
	}
	if !applied {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"accepted": 1, "ids": []string{ev.ID}})
	}
	contact, err := s.cfg.Store.GetContact(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(contact)
}

// waitApplied polls the store until an event is applied or ApplyWait
// passes. Polling one indexed row every few milliseconds costs less than a
// subscription to every commit.
func (s *Server) waitApplied(ctx context.Context, id string) (bool, error) {
	return s.waitFor(ctx, func() (bool, error) { return s.cfg.Store.EventApplied(ctx, id) })
}

// waitFor polls done until it holds, for up to ApplyWait.
func (s *Server) waitFor(ctx context.Context, done func() (bool, error)) (bool, error) {
	deadline := time.NewTimer(s.cfg.ApplyWait)
	defer deadline.Stop()
	tick := time.NewTicker(3 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := done()
		if err != nil || ok {
			return ok, err
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// deleteContact deletes a contact with its events, score history, entries,
// memberships and parked runs, through the engine (the only writer of
// contacts, which also drops it from its cache).
func (s *Server) deleteContact(c *fiber.Ctx) error {
	if s.cfg.Contacts == nil {
		return errors.New("no engine to delete contacts through")
	}
	id := pathParam(c, "id")
	if err := s.cfg.Contacts.DeleteContact(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// pathParam returns a route parameter decoded (a contact id may hold a
// space or a slash, sent as %20 or %2F) and copied out of fasthttp's
// request buffer, which is reused once the handler returns.
func pathParam(c *fiber.Ctx, name string) string {
	raw := c.Params(name)
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return strings.Clone(raw)
}
