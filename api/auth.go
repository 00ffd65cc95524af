package api

import (
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"
)

type access int

const (
	admin  access = iota // admin key only
	ingest               // admin or write key
)

// Where each kind of endpoint takes its key, for the 401 that says so.
const (
	hintBearer   = "send Authorization: Bearer <key>"
	hintSegment  = "send the write key as the basic-auth user name (empty password) or as writeKey in the body"
	hintWebhooks = "send the write key as Authorization: Bearer <key>, as the basic-auth user name, or as ?key=<key> in the URL"
)

// open reports whether the server runs without keys (CONTRACT §1: then it
// is bound to loopback, which app enforces).
func (s *Server) open() bool { return s.cfg.AdminKey == "" && s.cfg.WriteKey == "" }

// authorize checks a presented key against the configured ones, in
// constant time, and applies the rate limit of whoever it names: the key,
// or the client's IP on an open server. hint says where the key goes.
func (s *Server) authorize(c *fiber.Ctx, key string, need access, hint string) error {
	if s.open() {
		return s.limit(c, "ip:"+c.IP())
	}
	if key == "" {
		return fiber.NewError(fiber.StatusUnauthorized, "missing API key: "+hint)
	}
	// Both comparisons always run, so timing tells nothing of which key
	// came close.
	isAdmin, isWrite := equalKey(key, s.cfg.AdminKey), equalKey(key, s.cfg.WriteKey)
	switch {
	case isAdmin:
		return s.limit(c, "key:admin")
	case isWrite && need == ingest:
		return s.limit(c, "key:write")
	case isWrite:
		return fiber.NewError(fiber.StatusForbidden, "the write key may only send events; use the admin key for this endpoint")
	}
	return fiber.NewError(fiber.StatusUnauthorized, "wrong API key")
}

// auth guards a /api/v1 route (CONTRACT §1): the key comes as a bearer token.
func (s *Server) auth(need access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.authorize(c, bearer(c.Get(fiber.HeaderAuthorization)), need, hintBearer); err != nil {
			return err
		}
		return c.Next()
	}
}

// webhookAuth guards /webhooks/*: providers such as SendGrid cannot send a
// header of our choosing, so besides a bearer token the key may come as
// the basic-auth user name (https://KEY@host/... in the provider's URL
// field) or as ?key=KEY. The query string is never logged.
func (s *Server) webhookAuth(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	key := bearer(h)
	if key == "" {
		key = basicUser(h)
	}
	if key == "" {
		key = c.Query("key")
	}
	if err := s.authorize(c, key, ingest, hintWebhooks); err != nil {
		return err
	}
	return c.Next()
}

func bearer(h string) string {
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		return strings.TrimSpace(h[len(prefix):])
	}
	return ""
}

// basicUser returns the user name of HTTP basic credentials: Segment's
// SDKs send the write key there with an empty password.
func basicUser(h string) string {
	const prefix = "basic "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	enc := strings.TrimSpace(h[len(prefix):])
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(enc); err != nil {
			return ""
		}
	}
	user, _, _ := strings.Cut(string(raw), ":")
	return user
}

// equalKey compares in constant time; an unset key never matches.
func equalKey(got, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
