package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/model"
)

// The Segment-compatible HTTP tracking API (CONTRACT §2), so Segment and
// RudderStack SDKs can send to Scoreflow unchanged: server SDKs post
// {"batch": [...], "sentAt"} to /v1/batch with the write key as the
// basic-auth user name; analytics.js posts one call to /v1/t, /v1/p, /v1/i
// (or a batch to /v1/b) with "writeKey" in the body. Answers are Segment's:
// 200 {"success": true}, 400 only for a body that is not JSON. A message
// that cannot become an event (no userId or anonymousId, a track without
// event, a page without url) is skipped, as Segment drops invalid
// messages, rather than failing the batch that carries it; an alias merges
// previousId into userId; group puts the user in an account; screen calls
// are accepted and ignored.

// segmentRoutes are the tracking endpoints under /v1: Segment's names, the
// one-letter paths analytics.js uses, and /import (an old batch alias).
var segmentRoutes = []struct {
	path, kind string
	limit      int
}{
	{"/track", "track", segmentCallLimit}, {"/t", "track", segmentCallLimit},
	{"/page", "page", segmentCallLimit}, {"/p", "page", segmentCallLimit},
	{"/identify", "identify", segmentCallLimit}, {"/i", "identify", segmentCallLimit},
	{"/batch", "batch", segmentBatchLimit}, {"/b", "batch", segmentBatchLimit}, {"/import", "batch", segmentBatchLimit},
	{"/screen", "screen", segmentCallLimit}, {"/s", "screen", segmentCallLimit},
	{"/group", "group", segmentCallLimit}, {"/g", "group", segmentCallLimit},
	{"/alias", "alias", segmentCallLimit}, {"/a", "alias", segmentCallLimit},
}

// segmentMessage is one Segment call. Every field decodes leniently (see
// flexString): a payload is refused only when it is not JSON at all.
type segmentMessage struct {
	Type              flexString     `json:"type"`
	Event             flexString     `json:"event"`
	Name              flexString     `json:"name"`
	UserID            flexString     `json:"userId"`
	AnonymousID       flexString     `json:"anonymousId"`
	PreviousID        flexString     `json:"previousId"`
	MessageID         flexString     `json:"messageId"`
	Timestamp         flexString     `json:"timestamp"`
	OriginalTimestamp flexString     `json:"originalTimestamp"`
	SentAt            flexString     `json:"sentAt"`
	Properties        flexObject     `json:"properties"`
	Traits            flexObject     `json:"traits"`
	Context           segmentContext `json:"context"`
	WriteKey          flexString     `json:"writeKey"`
	GroupID           flexString     `json:"groupId"`
}

// segmentContext holds the parts of Segment's context Scoreflow reads.
type segmentContext struct {
	Traits flexObject `json:"traits"`
	Page   struct {
		URL      flexString `json:"url"`
		Title    flexString `json:"title"`
		Referrer flexString `json:"referrer"`
	} `json:"page"`
}

// segmentBatch is the body of /v1/batch: its context and sentAt apply to
// every message.
type segmentBatch struct {
	Batch    []segmentMessage `json:"batch"`
	Context  segmentContext   `json:"context"`
	SentAt   flexString       `json:"sentAt"`
	WriteKey flexString       `json:"writeKey"`
}

func (s *Server) segmentHandler(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// A key in the header is checked before the body is read; SDKs
		// that put it in the body (analytics.js) are checked after.
		h := c.Get(fiber.HeaderAuthorization)
		headerKey := basicUser(h)
		if headerKey == "" {
			headerKey = bearer(h)
		}
		checked := headerKey != "" || s.open()
		if checked {
			if err := s.authorize(c, headerKey, ingest, hintSegment); err != nil {
				return err
			}
		}
		received := s.cfg.Now().UTC()
		b, err := decodeSegment(kind, c.Body())
		if err != nil {
			return err
		}
		if !checked {
			key := string(b.WriteKey)
			for i := 0; key == "" && i < len(b.Batch); i++ {
				key = string(b.Batch[i].WriteKey)
			}
			if err := s.authorize(c, key, ingest, hintSegment); err != nil {
				return err
			}
		}
		events := make([]*model.Event, 0, len(b.Batch))
		for i := range b.Batch {
			msgKind := kind
			if kind == "batch" {
				msgKind = strings.ToLower(strings.TrimSpace(string(b.Batch[i].Type)))
			}
			if ev := s.segmentEvent(msgKind, &b.Batch[i], &b.Context, string(b.SentAt), received); ev != nil {
				events = append(events, ev)
			}
		}
		if len(events) > 0 {
			if err := s.cfg.Publisher.Publish(c.UserContext(), metrics.PathSegment, events); err != nil {
				return fmt.Errorf("publish %d segment events: %w", len(events), err)
			}
			s.cfg.Metrics.Ingested(metrics.PathSegment, len(events))
		}
		return c.JSON(fiber.Map{"success": true})
	}
}

// decodeSegment reads a call (as a batch of one) or a batch.
func decodeSegment(kind string, body []byte) (*segmentBatch, error) {
	var b segmentBatch
	var err error
	if kind == "batch" {
		err = json.Unmarshal(body, &b)
	} else {
		var m segmentMessage
		err = json.Unmarshal(body, &m)
		b = segmentBatch{Batch: []segmentMessage{m}, WriteKey: m.WriteKey}
	}
	// A field of an unexpected type leaves that field empty (Unmarshal
	// goes on and reports the first such error); only a body that is not
	// JSON is refused.
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return nil, model.Invalid("invalid_json", "the body is not valid JSON", model.FieldError{Message: err.Error()})
	}
	return &b, nil
}

// segmentEvent maps one Segment message to an event, or nil when it cannot
// be one.
func (s *Server) segmentEvent(kind string, m *segmentMessage, batchCtx *segmentContext, batchSentAt string, received time.Time) *model.Event {
	// userId names the contact; anonymousId goes to anonymous_id beside
	// it (the engine merges the anonymous visitor in), and alone it is the
	// contact's id, marked anonymous by anonymous_id = contact_id.
	contact := strings.TrimSpace(string(m.UserID))
	anonymous := strings.TrimSpace(string(m.AnonymousID))
	if contact == "" {
		contact = anonymous
	}
	if contact == "" {
		return nil
	}
	ctxTraits := merge(batchCtx.Traits, m.Context.Traits)
	ev := &model.Event{ContactID: contact, AnonymousID: anonymous}
	switch kind {
	case "track":
		ev.Type = strings.TrimSpace(string(m.Event))
		ev.Properties = m.Properties
		ev.Traits = ctxTraits
	case "page":
		props := merge(m.Properties, nil)
		if props == nil {
			props = map[string]any{}
		}
		setDefault(props, "url", string(m.Context.Page.URL), string(batchCtx.Page.URL))
		setDefault(props, "title", string(m.Context.Page.Title), string(batchCtx.Page.Title))
		setDefault(props, "referrer", string(m.Context.Page.Referrer), string(batchCtx.Page.Referrer))
		setDefault(props, "name", string(m.Name))
		ev.Type, ev.Properties, ev.Traits = model.EventPageVisited, props, ctxTraits
	case "identify":
		ev.Type, ev.Traits = model.EventIdentify, merge(ctxTraits, m.Traits)
	case "alias":
		// alias merges previousId into userId: an identify that names the
		// old id as its anonymous one.
		previous := strings.TrimSpace(string(m.PreviousID))
		if previous == "" || string(m.UserID) == "" {
			return nil
		}
		ev.Type, ev.AnonymousID = model.EventIdentify, previous
	case "group":
		// The group's traits are the account's (model.EventGroup).
		ev.Type, ev.AccountID, ev.Traits = model.EventGroup, strings.TrimSpace(string(m.GroupID)), ctxTraits
		ev.Properties = merge(m.Traits, nil)
	default:
		return nil // screen, or no type: nothing to score
	}
	delete(ev.Traits, "") // an empty trait name would refuse the whole event
	if email, ok := ev.Traits["email"].(string); ok && strings.Contains(email, "@") && len(email) <= 320 {
		ev.Email = strings.TrimSpace(email)
	}
	ev.ID = segmentID(string(m.MessageID), s.cfg.NewID)
	ev.Timestamp = segmentTime(m, batchSentAt, received)
	if errs := ev.Validate(); len(errs) > 0 || reservedType(ev) != nil {
		return nil
	}
	return ev
}

// segmentID is the event id for a messageId: the messageId itself, or a
// digest of one that cannot be an id, too long or with control characters
// (stable, so a retry still dedupes).
func segmentID(messageID string, newID func() string) string {
	messageID = strings.TrimSpace(messageID)
	switch {
	case messageID == "":
		return newID()
	case len(messageID) > model.MaxIDLength || !headerSafe(messageID):
		sum := sha256.Sum256([]byte(messageID))
		return "segment-" + hex.EncodeToString(sum[:16])
	}
	return messageID
}

// segmentTime is when a message happened, as Segment computes it: the
// client's timestamp (or originalTimestamp) corrected for the client's
// clock skew with sentAt, timestamp = receivedAt - (sentAt - timestamp);
// without sentAt the timestamp as sent; without either, when it arrived.
func segmentTime(m *segmentMessage, batchSentAt string, received time.Time) time.Time {
	at, ok := parseClientTime(string(m.Timestamp))
	if !ok {
		at, ok = parseClientTime(string(m.OriginalTimestamp))
	}
	if !ok {
		return received
	}
	sent, ok := parseClientTime(string(m.SentAt))
	if !ok {
		sent, ok = parseClientTime(batchSentAt)
	}
	if ok {
		at = received.Add(-sent.Sub(at))
	}
	if !representable(at) {
		return received
	}
	return at.UTC()
}

// clientTimeLayouts are the ISO-8601 forms SDKs send: JavaScript's
// toISOString, Python's isoformat, and zone-less forms taken as UTC.
var clientTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseClientTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range clientTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// merge returns base overlaid with over (over wins), nil when both are
// empty. Neither input is changed.
func merge(base, over map[string]any) map[string]any {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// setDefault sets props[key] to the first non-empty candidate unless props
// already has a non-empty string there.
func setDefault(props map[string]any, key string, candidates ...string) {
	if v, ok := props[key].(string); ok && v != "" {
		return
	}
	for _, c := range candidates {
		if c = strings.TrimSpace(c); c != "" {
			props[key] = c
			return
		}
	}
}

// flexString decodes a JSON string, or a number as its text; any other
// value leaves it empty instead of failing the decode, since providers'
// payloads are taken as leniently as they are by the providers themselves.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
	case b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			*f = flexString(s)
		}
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*f = flexString(b) // string() copies out of the request buffer
	}
	return nil
}

// flexObject decodes a JSON object; any other value leaves it nil.
type flexObject map[string]any

func (f *flexObject) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			*f = m
		}
	}
	return nil
}
