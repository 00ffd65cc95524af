package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/model"
)

// MaxBatch is the most events one POST /api/v1/events may carry.
const MaxBatch = 1000

// postEvents ingests one event or {"events": [...]}: all are validated
// first (a batch with any bad event is refused whole), then published, and
// the answer waits until JetStream has stored them.
func (s *Server) postEvents(c *fiber.Ctx) error {
	raws, batch, err := splitEvents(c.Body())
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	events := make([]*model.Event, 0, len(raws))
	var details []model.FieldError
	for i, raw := range raws {
		prefix := ""
		if batch {
			prefix = fmt.Sprintf("events[%d]", i)
		}
		ev, errs := decodeEvent(raw)
		if len(errs) > 0 {
			details = append(details, model.PrefixPaths(prefix, errs)...)
			continue
		}
		if ev.ID == "" {
			ev.ID = s.cfg.NewID()
		}
		if ev.Timestamp.IsZero() {
			ev.Timestamp = now
		}
		events = append(events, ev)
	}
	if len(details) > 0 {
		msg := "the event is invalid"
		if batch {
			msg = "the batch has invalid events; none was accepted"
		}
		return model.Invalid("invalid_event", msg, details...)
	}
	if err := s.cfg.Publisher.Publish(c.UserContext(), "api", events); err != nil {
		return fmt.Errorf("publish %d events: %w", len(events), err)
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"accepted": len(events), "ids": ids})
}

// splitEvents tells a single event from a batch and returns the raw items.
func splitEvents(body []byte) ([]json.RawMessage, bool, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false, model.Invalid("invalid_event", "the body must be an event object or {\"events\": [...]}")
	}
	var probe struct {
		Events *[]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return nil, false, badJSON("invalid_event", err)
	}
	if probe.Events == nil {
		return []json.RawMessage{json.RawMessage(trimmed)}, false, nil
	}
	items := *probe.Events
	switch {
	case len(items) == 0:
		return nil, true, model.Invalid("invalid_event", "the batch is empty", model.FieldError{Path: "events", Message: "must hold at least one event"})
	case len(items) > MaxBatch:
		return nil, true, model.Invalid("invalid_event", fmt.Sprintf("a batch may hold at most %d events", MaxBatch),
			model.FieldError{Path: "events", Message: fmt.Sprintf("has %d events; split it", len(items))})
	}
	return items, true, nil
}

// decodeEvent decodes one event and validates it. Copying into fresh Go
// values also detaches it from fasthttp's request buffer, which is reused
// after the handler returns.
func decodeEvent(raw json.RawMessage) (*model.Event, []model.FieldError) {
	var wire struct {
		model.Event
		Timestamp *string `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &wire); err != nil {
		return nil, []model.FieldError{jsonFieldError(err)}
	}
	ev := wire.Event
	if wire.Timestamp != nil && *wire.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, *wire.Timestamp)
		if err != nil {
			return nil, []model.FieldError{{Path: "timestamp", Message: "must be an RFC 3339 time such as 2026-11-23T10:00:00Z"}}
		}
		ev.Timestamp = ts.UTC()
	}
	if errs := ev.Validate(); len(errs) > 0 {
		return nil, errs
	}
	return &ev, nil
}

func jsonFieldError(err error) model.FieldError {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		// The path runs through the wire struct's embedded model.Event;
		// the client knows no "Event", only the event's own fields.
		path := strings.TrimPrefix(te.Field, "Event.")
		return model.FieldError{Path: path, Message: "must be " + jsonTypeName(te.Type.Kind().String())}
	}
	return model.FieldError{Message: err.Error()}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "string":
		return "a string"
	}
	return "a " + kind
}
