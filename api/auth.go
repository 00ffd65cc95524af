package api

import (
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// access is what a route needs of a key's scope (CONTRACT §10).
type access int

const (
	// admin guards the management API: the admin scope, and the read scope
	// on GET (and HEAD). It is what a new /api/v1 route takes by default.
	admin access = iota
	// ingest guards sending events: the admin or the write scope.
	ingest
	// owner guards keys and the audit log: the admin scope only, even to read.
	owner
	// anyKey lets any valid key in, whatever its scope (GET /api/v1/me).
	anyKey
)

// Where each kind of endpoint takes its key, for the 401 that says so.
const (
	hintBearer   = "send Authorization: Bearer <key>"
	hintSegment  = "send the write key as the basic-auth user name (empty password) or as writeKey in the body"
	hintWebhooks = "send the write key as Authorization: Bearer <key>, as the basic-auth user name, or as ?key=<key> in the URL"
)

// localKey holds the *keyEntry a request authenticated with.
const localKey = "scoreflow.key"

// open reports whether the server runs without keys (CONTRACT §1: then it
// is bound to loopback, which app enforces). Named keys do not close an
// open server: they take effect once it runs with --admin-key.
func (s *Server) open() bool { return s.cfg.AdminKey == "" && s.cfg.WriteKey == "" }

// authorize checks a presented key and its scope, and applies the rate
// limit of whoever it names: the key, or the client's IP on an open
// server. hint says where the key goes. A wrong key counts against the
// client's address (failedKey); a right one never waits for that.
func (s *Server) authorize(c *fiber.Ctx, key string, need access, hint string) error {
	if s.open() {
		if s.limiter == nil {
			return nil // no limit: spare every request the client's name
		}
		return s.limit(c, "ip:"+c.IP())
	}
	if key == "" {
		return fiber.NewError(fiber.StatusUnauthorized, "missing API key: "+hint)
	}
	e := s.keys.check(c.UserContext(), key)
	if e == nil {
		return s.failedKey(c)
	}
	if msg := refusal(e.scope, need, c.Method()); msg != "" {
		return fiber.NewError(fiber.StatusForbidden, msg)
	}
	c.Locals(localKey, e)
	c.SetUserContext(store.WithActor(c.UserContext(), e.name))
	if s.limiter == nil {
		return nil
	}
	return s.limit(c, "key:"+e.id)
}

// refusal says why a scope may not make this call ("" = it may).
func refusal(scope string, need access, method string) string {
	switch scope {
	case model.ScopeAdmin:
		return ""
	case model.ScopeWrite:
		if need == ingest || need == anyKey {
			return ""
		}
		return "a write key may only send events; use an admin key for this endpoint"
	case model.ScopeRead:
		switch {
		case need == anyKey, need == admin && (method == http.MethodGet || method == http.MethodHead):
			return ""
		case need == owner:
			return "keys and the audit log need an admin key"
		case need == ingest:
			return "a read key cannot send events; use a write key"
		}
		return "a read key may only read (GET); use an admin key to change anything"
	}
	return "the key's scope " + strconv.Quote(scope) + " allows nothing"
}

// failedKey answers a wrong (or revoked) key: 401, or 429 once the client's
// address has sent too many, so guessing is slow while valid keys from
// the same address go on as before.
func (s *Server) failedKey(c *fiber.Ctx) error {
	if ok, wait := s.failures.allow("ip:"+c.IP(), time.Now()); !ok {
		secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
		c.Set(fiber.HeaderRetryAfter, secs)
		return fiber.NewError(fiber.StatusTooManyRequests, "too many wrong API keys from this address; retry after "+secs+"s")
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
