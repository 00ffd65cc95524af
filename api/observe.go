package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Keys of values handlers leave in fiber's Locals for observe.
const (
	localUnmatched = "scoreflow.unmatched" // no route took the request
	localIngest    = "scoreflow.ingest"    // an ingest endpoint took it
)

// requestIDs makes request ids: a random prefix per process and a counter,
// unique without a call into crypto/rand per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (r *requestIDs) next() string {
	return r.prefix + strconv.FormatUint(r.n.Add(1), 10)
}

// observe wraps every request: it gives it a request id (the client's
// X-Request-Id when sane, else a new one, echoed in the response), turns
// an error or a recovered panic into the contract's error answer, then
// records the request in metrics and in one structured log line. The log
// has method, path (never the query string, which may carry ?key=),
// status, duration and request id; never keys or bodies.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !saneRequestID(id) {
		id = s.requestIDs.next()
	}
	c.Set(fiber.HeaderXRequestID, id)
	// Every answer is what its Content-Type says: no browser sniffing of
	// JSON (or an uploaded flow) into HTML.
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")

	if err := c.Next(); err != nil {
		if err := s.handleError(c, err); err != nil {
			// Encoding the error body failed; the status still tells.
			c.Status(fiber.StatusInternalServerError)
		}
	}

	status := c.Response().StatusCode()
	route := c.Route().Path
	if c.Locals(localUnmatched) != nil {
		route = "unmatched"
	}
	method := methodName(c.Method())
	took := time.Since(start)
	s.cfg.Metrics.Request(method, route, status, took)

	// Probes, scrapes and successful ingest calls are logged at debug:
	// at thousands a second they would drown the log (and cost more than
	// the call itself); metrics count them all.
	level := slog.LevelInfo
	if route == "/healthz" || route == "/readyz" || route == "/metrics" || (status < 400 && c.Locals(localIngest) != nil) {
		level = slog.LevelDebug
	}
	s.log.LogAttrs(c.UserContext(), level, "http request",
		slog.String("method", method),
		slog.String("path", c.Path()),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.String("request_id", c.GetRespHeader(fiber.HeaderXRequestID)),
		slog.String("ip", c.IP()),
	)
	return nil
}

// logPanic logs a handler's panic with its stack and request id; the
// client gets a plain 500 from handleError.
func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("handler panicked", "method", methodName(c.Method()), "path", c.Path(),
		"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "panic", e, "stack", string(debug.Stack()))
}

// saneRequestID accepts a client's request id when it is short printable
// ASCII, so it cannot bloat or garble log lines.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// methodName returns a constant for the method: fiber's string points into
// the request buffer, which fasthttp reuses, and metric labels are kept.
func methodName(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	}
	return "OTHER"
}
