package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// The keys API (CONTRACT §10): named keys with a scope, created with a
// secret shown once, listed without it, revoked at once.

// secretPrefix marks Scoreflow secrets, so a leaked one is recognisable
// (secret scanners, logs) and tells which system it opens.
const secretPrefix = "sf_"

// newSecret is 32 bytes from crypto/rand: 256 bits, beyond any guessing,
// which is what lets the store keep a plain SHA-256 of it.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a key secret: %w", err)
	}
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// keyJSON is a key as listed: never the secret, never the hash.
type keyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Builtin    bool       `json:"builtin"`
}

// createdKeyJSON is the answer to a create: the one time the secret is shown.
type createdKeyJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scope     string    `json:"scope"`
	Key       string    `json:"key"`
	CreatedAt time.Time `json:"created_at"`
}

const maxKeyName = 64

// reservedKeyNames are names the audit log already gives to someone else,
// so that no key can pass for them.
var reservedKeyNames = map[string]string{
	builtinAdmin:        "the built-in key of --admin-key",
	builtinWrite:        "the built-in key of --write-key",
	store.ActorCLI:      "how the audit log names `scoreflow keys`",
	store.ActorExamples: "how the audit log names the examples loaded at start",
}

// checkKeyRequest validates a create's body.
func checkKeyRequest(name, scope string) []model.FieldError {
	var errs []model.FieldError
	switch {
	case name == "":
		errs = append(errs, model.FieldError{Path: "name", Message: "is required: say who or what uses the key (\"metabase\")"})
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxKeyName:
		errs = append(errs, model.FieldError{Path: "name", Message: fmt.Sprintf("must be valid text of at most %d characters", maxKeyName)})
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		errs = append(errs, model.FieldError{Path: "name", Message: "must not contain control characters"})
	}
	if !model.ValidScope(scope) {
		errs = append(errs, model.FieldError{Path: "scope", Message: `must be "admin", "write" or "read"`})
	}
	return errs
}

// CreateKey makes a named key with a new secret and stores it (only its
// hash), under the actor of ctx; the secret is returned this once. The API
// and `scoreflow keys create` both make keys here.
func CreateKey(ctx context.Context, st store.KeyStore, name, scope string, newID func() string) (store.KeyRecord, string, error) {
	name = strings.TrimSpace(name)
	if errs := checkKeyRequest(name, scope); len(errs) > 0 {
		return store.KeyRecord{}, "", model.Invalid("invalid_key", "the key is invalid", errs...)
	}
	if why, taken := reservedKeyNames[name]; taken {
		return store.KeyRecord{}, "", fmt.Errorf("the name %q is %s; choose another: %w", name, why, model.ErrConflict)
	}
	secret, err := newSecret()
	if err != nil {
		return store.KeyRecord{}, "", err
	}
	rec, err := st.CreateKey(ctx, store.KeyRecord{ID: "key_" + newID(), Name: name, Scope: scope, Hash: hashSecret(secret)})
	if err != nil {
		return store.KeyRecord{}, "", err
	}
	return rec, secret, nil
}

func (s *Server) createKey(c *fiber.Ctx) error {
	var req struct {
		Name  string `json:"name"`
		Scope string `json:"scope"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return badJSON("invalid_key", err)
	}
	rec, secret, err := CreateKey(c.UserContext(), s.cfg.Store, req.Name, req.Scope, s.cfg.NewID)
	if err != nil {
		return err
	}
	s.keys.added(rec)
	return c.Status(fiber.StatusCreated).JSON(createdKeyJSON{ID: rec.ID, Name: rec.Name, Scope: rec.Scope, Key: secret, CreatedAt: rec.CreatedAt})
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	recs, err := s.cfg.Store.ListKeys(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]keyJSON, 0, len(recs)+len(s.keys.builtins))
	for _, b := range s.keys.builtins {
		out = append(out, keyJSON{ID: b.id, Name: b.name, Scope: b.scope, CreatedAt: b.createdAt,
			LastUsedAt: s.keys.lastUsed(b.id, nil), Builtin: true})
	}
	for _, r := range recs {
		out = append(out, keyJSON{ID: r.ID, Name: r.Name, Scope: r.Scope, CreatedAt: r.CreatedAt,
			LastUsedAt: s.keys.lastUsed(r.ID, r.LastUsedAt)})
	}
	return c.JSON(fiber.Map{"keys": out})
}

func (s *Server) revokeKey(c *fiber.Ctx) error {
	id := pathParam(c, "id")
	if id == builtinAdmin || id == builtinWrite {
		return fmt.Errorf("the built-in key %s comes from --%s and cannot be revoked here; restart with another value: %w", id, id, model.ErrConflict)
	}
	if _, err := s.cfg.Store.RevokeKey(c.UserContext(), id); err != nil {
		return err
	}
	s.keys.revoked(id)
	return c.SendStatus(fiber.StatusNoContent)
}

// me says which key the caller holds, for the UI (read-only mode).
func (s *Server) me(c *fiber.Ctx) error {
	if s.open() {
		return c.JSON(fiber.Map{"name": "", "scope": model.ScopeAdmin, "open": true})
	}
	e, _ := c.Locals(localKey).(*keyEntry)
	if e == nil {
		return fiber.NewError(fiber.StatusUnauthorized, "missing API key: "+hintBearer)
	}
	return c.JSON(fiber.Map{"name": e.name, "scope": e.scope, "open": false})
}

// WrongKeyLimit is how many wrong keys a client address may send: Burst at
// once, then PerSecond. Zero fields take the defaults (20, then one every
// two seconds); a negative PerSecond turns the limit off.
type WrongKeyLimit struct {
	PerSecond float64
	Burst     int
}

func newFailureLimiter(l WrongKeyLimit) *rateLimiter {
	if l.PerSecond < 0 {
		return &rateLimiter{limit: rate.Inf, burst: 1, buckets: map[string]*bucket{}}
	}
	if l.PerSecond == 0 {
		l.PerSecond = 0.5
	}
	if l.Burst <= 0 {
		l.Burst = 20
	}
	return &rateLimiter{limit: rate.Limit(l.PerSecond), burst: l.Burst, buckets: map[string]*bucket{}}
}
