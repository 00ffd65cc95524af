package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/model"
)

// MaxBatch is the most events one POST /api/v1/events may carry.
const MaxBatch = 1000

// postEvents ingests one event or {"events": [...]}: all are validated
// first (a batch with any bad event is refused whole), then published, and
// the answer waits until JetStream has stored them.
func (s *Server) postEvents(c *fiber.Ctx) error {
	events, batch, details, err := decodeEvents(c.Body())
	if err != nil {
		return err
	}
	if len(details) > 0 {
		msg := "the event is invalid"
		if batch {
			msg = "the batch has invalid events; none was accepted"
		}
		return model.Invalid("invalid_event", msg, details...)
	}
	now := s.cfg.Now().UTC()
	ids := make([]string, len(events))
	for i, ev := range events {
		if ev.ID == "" {
			ev.ID = s.cfg.NewID()
		}
		if ev.Timestamp.IsZero() {
			ev.Timestamp = now
		}
		ids[i] = ev.ID
	}
	if err := s.cfg.Publisher.Publish(c.UserContext(), metrics.PathAPI, events); err != nil {
		return fmt.Errorf("publish %d events: %w", len(events), err)
	}
	s.cfg.Metrics.Ingested(metrics.PathAPI, len(events))
	return c.Status(fiber.StatusAccepted).JSON(acceptedBody{Accepted: len(events), IDs: ids})
}

// acceptedBody is the 202 of an ingest (a struct encodes faster than a map).
type acceptedBody struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}

// wireEvent is an event as posted: the timestamp is read as text so a bad
// one gets its own message.
type wireEvent struct {
	model.Event
	Timestamp *string `json:"timestamp"`
}

// decodeEvents reads one event or a batch. A single event, the common case
// of SDKs sending as things happen, is decoded in one pass: the body is
// read as an event and as a batch at once. Details name every bad event.
func decodeEvents(body []byte) (events []*model.Event, batch bool, details []model.FieldError, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false, nil, model.Invalid("invalid_event", "the body must be an event object or {\"events\": [...]}")
	}
	var wire struct {
		wireEvent
		Events *[]json.RawMessage `json:"events"`
	}
	decodeErr := unmarshalEvent(trimmed, &wire)
	var typeErr *json.UnmarshalTypeError
	switch {
	case decodeErr == nil:
	case !errors.As(decodeErr, &typeErr), typeErr.Field == "events":
		return nil, false, nil, badJSON("invalid_event", decodeErr)
	}
	if wire.Events == nil {
		ev, errs := checkEvent(&wire.wireEvent, decodeErr)
		if len(errs) > 0 {
			return nil, false, errs, nil
		}
		return []*model.Event{ev}, false, nil, nil
	}
	items := *wire.Events
	switch {
	case len(items) == 0:
		return nil, true, nil, model.Invalid("invalid_event", "the batch is empty", model.FieldError{Path: "events", Message: "must hold at least one event"})
	case len(items) > MaxBatch:
		return nil, true, nil, model.Invalid("invalid_event", fmt.Sprintf("a batch may hold at most %d events", MaxBatch),
			model.FieldError{Path: "events", Message: fmt.Sprintf("has %d events; split it", len(items))})
	}
	events = make([]*model.Event, 0, len(items))
	for i, raw := range items {
		ev, errs := decodeEvent(raw)
		if len(errs) > 0 {
			details = append(details, model.PrefixPaths(fmt.Sprintf("events[%d]", i), errs)...)
			continue
		}
		events = append(events, ev)
	}
	return events, true, details, nil
}

// decodeEvent decodes one event of a batch and validates it. Copying into
// fresh Go values also detaches it from fasthttp's request buffer, which
// is reused after the handler returns.
func decodeEvent(raw json.RawMessage) (*model.Event, []model.FieldError) {
	var wire wireEvent
	return checkEvent(&wire, unmarshalEvent(raw, &wire))
}

// unmarshalEvent decodes a valid event with goccy/go-json, in about half of
// encoding/json's time (BenchmarkDecodeEvents). Whatever go-json refuses is
// decoded again by encoding/json, whose errors (and partial decodes, for
// the field they name) the messages are written for; a body that is not
// valid UTF-8 goes to encoding/json alone, which turns the bad bytes into
// U+FFFD where go-json keeps them. TestDecodeEventsAsEncodingJSON holds
// the two to the same results. dst is a pointer to a zero struct.
func unmarshalEvent[T any](data []byte, dst *T) error {
	if utf8.Valid(data) {
		if gojson.Unmarshal(data, dst) == nil {
			return nil
		}
		var zero T
		*dst = zero
	}
	return json.Unmarshal(data, dst)
}

// checkEvent finishes a decoded event: the error of its decoding, its
// timestamp and the event's own validation.
func checkEvent(wire *wireEvent, decodeErr error) (*model.Event, []model.FieldError) {
	if decodeErr != nil {
		return nil, []model.FieldError{jsonFieldError(decodeErr)}
	}
	ev := wire.Event
	if wire.Timestamp != nil && *wire.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, *wire.Timestamp)
		if err != nil {
			return nil, []model.FieldError{{Path: "timestamp", Message: "must be an RFC 3339 time such as 2026-11-23T10:00:00Z"}}
		}
		ev.Timestamp = ts.UTC()
		if !representable(ev.Timestamp) {
			return nil, []model.FieldError{{Path: "timestamp", Message: "must be within the years 0000 to 9999 in UTC"}}
		}
	}
	errs := ev.Validate()
	if r := reservedType(&ev); r != nil {
		errs = append(errs, *r)
	}
	if !headerSafe(ev.ID) {
		errs = append(errs, model.FieldError{Path: "id", Message: "must not contain control characters"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &ev, nil
}

// representable reports whether a time survives JSON encoding (RFC 3339
// has four-digit years), so a stored event can always be published.
func representable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// headerSafe reports whether an event id can travel as the Nats-Msg-Id
// header: a control character (a CR LF above all) would end the header
// and let the rest of the id inject headers of its own.
func headerSafe(id string) bool {
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] == 0x7f {
			return false
		}
	}
	return true
}

func jsonFieldError(err error) model.FieldError {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		// The path runs through the wire structs' embedded wireEvent and
		// model.Event; the client knows only the event's own fields.
		path := strings.TrimPrefix(strings.TrimPrefix(te.Field, "wireEvent."), "Event.")
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
