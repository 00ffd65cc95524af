package api

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"
)

type access int

const (
	admin  access = iota // admin key only
	ingest               // admin or write key
)

// auth guards a route (CONTRACT §1): with no keys configured the server is
// open (and bound to loopback, which cmd enforces).
func (s *Server) auth(need access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.cfg.AdminKey == "" && s.cfg.WriteKey == "" {
			return c.Next()
		}
		key := bearer(c.Get(fiber.HeaderAuthorization))
		if key == "" {
			return fiber.NewError(fiber.StatusUnauthorized, "missing API key: send Authorization: Bearer <key>")
		}
		switch {
		case equalKey(key, s.cfg.AdminKey):
			return c.Next()
		case equalKey(key, s.cfg.WriteKey):
			if need == ingest {
				return c.Next()
			}
			return fiber.NewError(fiber.StatusForbidden, "the write key may only send events; use the admin key for this endpoint")
		}
		return fiber.NewError(fiber.StatusUnauthorized, "wrong API key")
	}
}

func bearer(h string) string {
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		return strings.TrimSpace(h[len(prefix):])
	}
	return ""
}

// equalKey compares in constant time; an unset key never matches.
func equalKey(got, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
