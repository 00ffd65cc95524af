package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/metrics"
	"github.com/scoreflow/scoreflow/model"
)

// POST /webhooks/sendgrid takes SendGrid's Event Webhook (CONTRACT §2): a
// JSON array of email events. Engagement events become email events of the
// contact with that email; the rest (processed, delivered, deferred, ...)
// are accepted and ignored, so SendGrid never retries them.

// Headers of SendGrid's signed event webhook.
const (
	sendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	sendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// sendGridTypes maps SendGrid event names to Scoreflow event types.
var sendGridTypes = map[string]string{
	"open":              model.EventEmailOpened,
	"click":             model.EventEmailClicked,
	"unsubscribe":       model.EventEmailUnsubscribed,
	"group_unsubscribe": model.EventEmailUnsubscribed,
	"spamreport":        model.EventEmailUnsubscribed,
	"bounce":            model.EventEmailBounced,
	"dropped":           model.EventEmailBounced,
}

// sendGridEvent is one item of the webhook's array, decoded leniently.
type sendGridEvent struct {
	Event                 flexString   `json:"event"`
	Email                 flexString   `json:"email"`
	Timestamp             flexString   `json:"timestamp"`
	SGEventID             flexString   `json:"sg_event_id"`
	SGMessageID           flexString   `json:"sg_message_id"`
	SGMachineOpen         flexBool     `json:"sg_machine_open"`
	URL                   flexString   `json:"url"`
	Category              flexCategory `json:"category"`
	MarketingCampaignName flexString   `json:"marketing_campaign_name"`
	Reason                flexString   `json:"reason"`
}

func (s *Server) sendGrid(c *fiber.Ctx) error {
	body := c.Body()
	if s.cfg.SendGridKey != nil {
		if err := verifySendGrid(s.cfg.SendGridKey, c.Get(sendGridSignatureHeader), c.Get(sendGridTimestampHeader), body); err != nil {
			return fiber.NewError(fiber.StatusUnauthorized, err.Error())
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return model.Invalid("invalid_json", "the body must be a JSON array of SendGrid events", model.FieldError{Message: err.Error()})
	}
	now := s.cfg.Now().UTC()
	events := make([]*model.Event, 0, len(items))
	for _, raw := range items {
		if ev := sendGridToEvent(raw, now); ev != nil {
			events = append(events, ev)
		}
	}
	if len(events) > 0 {
		if err := s.cfg.Publisher.Publish(c.UserContext(), metrics.PathSendGrid, events); err != nil {
			return fmt.Errorf("publish %d sendgrid events: %w", len(events), err)
		}
		s.cfg.Metrics.Ingested(metrics.PathSendGrid, len(events))
	}
	return c.JSON(fiber.Map{"accepted": len(events), "ignored": len(items) - len(events)})
}

// sendGridToEvent maps one SendGrid event, or returns nil for one that is
// ignored: another type, a machine open (Apple Mail Privacy Protection
// fetches every image; nobody read anything), or no usable email.
func sendGridToEvent(raw json.RawMessage, now time.Time) *model.Event {
	var in sendGridEvent
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil // not an object
	}
	kind := strings.ToLower(strings.TrimSpace(string(in.Event)))
	typ, ok := sendGridTypes[kind]
	if !ok || (kind == "open" && bool(in.SGMachineOpen)) {
		return nil
	}
	ev := &model.Event{
		ID:         strings.TrimSpace(string(in.SGEventID)),
		Type:       typ,
		Email:      strings.TrimSpace(string(in.Email)),
		Timestamp:  unixTime(string(in.Timestamp), now),
		Properties: map[string]any{"sendgrid_event": kind},
	}
	if ev.Email == "" {
		return nil
	}
	if ev.ID == "" || len(ev.ID) > model.MaxIDLength || !headerSafe(ev.ID) {
		// SendGrid retries a failed post with the same payload, so an id
		// derived from the item dedupes the retry.
		sum := sha256.Sum256(raw)
		ev.ID = "sendgrid-" + hex.EncodeToString(sum[:16])
	}
	campaign := strings.TrimSpace(string(in.MarketingCampaignName))
	if campaign == "" {
		campaign = strings.TrimSpace(string(in.Category))
	}
	if campaign != "" {
		ev.Properties["email"] = campaign
	}
	if kind == "click" && in.URL != "" {
		ev.Properties["link"] = string(in.URL)
	}
	if in.SGMessageID != "" {
		ev.Properties["sg_message_id"] = string(in.SGMessageID)
	}
	if (typ == model.EventEmailBounced) && in.Reason != "" {
		ev.Properties["reason"] = string(in.Reason)
	}
	if errs := ev.Validate(); len(errs) > 0 {
		return nil
	}
	return ev
}

// unixTime reads SendGrid's timestamp, Unix seconds as a number or a
// string; a missing or absurd one is the time of receipt.
func unixTime(s string, now time.Time) time.Time {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e11 { // 1e11 s is the year 5138
		return now
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// ParseSendGridKey reads the verification key SendGrid shows for its
// signed event webhook: a base64 DER (PKIX) ECDSA P-256 public key, with
// or without PEM armour.
func ParseSendGridKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("sendgrid verification key: not base64: %w", err)
		}
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("sendgrid verification key: %w", err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("sendgrid verification key: not an ECDSA P-256 public key")
	}
	return key, nil
}

// verifySendGrid checks SendGrid's signature: ECDSA (ASN.1, base64) over
// SHA-256 of the timestamp header followed by the raw body. There is no
// freshness check on the timestamp: SendGrid's retries may come hours
// later, and a replayed post changes nothing since every event id is
// applied once.
func verifySendGrid(key *ecdsa.PublicKey, signature, timestamp string, body []byte) error {
	if signature == "" || timestamp == "" {
		return errors.New("missing SendGrid signature: the webhook must be signed (" + sendGridSignatureHeader + ")")
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return errors.New("the SendGrid signature is not base64")
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	if !ecdsa.VerifyASN1(key, h.Sum(nil), sig) {
		return errors.New("the SendGrid signature does not match the body: check --sendgrid-verification-key")
	}
	return nil
}

// flexBool decodes true or "true"; anything else is false.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	v := strings.Trim(string(b), `"`)
	*f = flexBool(strings.EqualFold(v, "true"))
	return nil
}

// flexCategory decodes SendGrid's category: a string, or an array whose
// first string counts.
type flexCategory string

func (f *flexCategory) UnmarshalJSON(b []byte) error {
	var one flexString
	if len(b) > 0 && b[0] == '[' {
		var many []flexString
		if json.Unmarshal(b, &many) == nil {
			for _, s := range many {
				if strings.TrimSpace(string(s)) != "" {
					one = s
					break
				}
			}
		}
	} else {
		_ = one.UnmarshalJSON(b)
	}
	*f = flexCategory(one)
	return nil
}
