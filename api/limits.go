package api

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"
)

// bodyLimit refuses bodies over n bytes (after decompression) with a 413.
func bodyLimit(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ok, err := boundBody(c, n)
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "the request body could not be read")
		}
		if !ok {
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, tooLargeMessage(c.Path(), n))
		}
		return c.Next()
	}
}

// closeUnread ends the connection after a request whose streamed body was
// left unread (refused as too large, or sent to a route that takes none):
// fasthttp would otherwise read the rest of it as the next request. Routes
// behind bodyLimit have read theirs; the CSV import marks that it did.
func closeUnread(c *fiber.Ctx) error {
	err := c.Next()
	req := c.Request()
	if req.Header.Peek(headerTooLarge) != nil || req.IsBodyStream() && req.Header.ContentLength() != 0 && c.Locals(localBodyRead) == nil {
		c.Context().SetConnectionClose()
	}
	return err
}

// headerTooLarge marks a request refused from its Content-Length alone
// (refuseFromHeaders); its body is never read.
const headerTooLarge = "X-Scoreflow-Body-Too-Large"

// refuseFromHeaders is the server's HeaderReceived hook. With bodies read
// as streams, fasthttp would wait for the first bytes of any body, so a
// body over the largest limit of every route but the CSV import is
// refused before it is read, as a server that buffers bodies does: its
// length is zeroed and the request marked, so its route's bodyLimit
// refuses it and closeUnread closes the connection.
func refuseFromHeaders(maxBody int) func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		h.Del(headerTooLarge) // only the server sets it
		if h.ContentLength() > maxBody && string(h.RequestURI()) != importPath && !bytes.HasPrefix(h.RequestURI(), []byte(importPath+"?")) {
			h.Set(headerTooLarge, "1")
			h.SetContentLength(0)
		}
		return fasthttp.RequestConfig{}
	}
}

// localBodyRead marks a request whose body stream a handler read to its end.
const localBodyRead = "scoreflow.bodyRead"

// boundBody makes a body the server streams (it reads bodies as streams,
// so CSV imports need not fit in memory) an ordinary one of at most n
// bytes, reading no more than n+1; false when the body is larger.
func boundBody(c *fiber.Ctx, n int) (bool, error) {
	req := c.Request()
	if req.Header.Peek(headerTooLarge) != nil {
		return false, nil
	}
	if !req.IsBodyStream() {
		return len(req.Body()) <= n, nil
	}
	cl := req.Header.ContentLength()
	if cl > n {
		return false, nil
	}
	if cl >= 0 {
		// A declared length is read in one buffer of its size, not grown
		// from 512 bytes: the stream ends there.
		b := make([]byte, cl)
		if _, err := io.ReadFull(req.BodyStream(), b); err != nil {
			return false, err
		}
		req.SetBodyRaw(b)
		return true, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.BodyStream(), int64(n)+1))
	if err != nil {
		return false, err
	}
	if len(b) > n {
		return false, nil
	}
	req.SetBodyRaw(b)
	return true, nil
}

// tooLargeMessage says what the limit is and what to do instead, by route.
func tooLargeMessage(path string, limit int) string {
	msg := fmt.Sprintf("the request body is over the %s limit of %s", sizeText(limit), path)
	switch {
	case path == "/api/v1/events":
		return msg + fmt.Sprintf("; send at most %d events per request, in several requests, or raise --body-limit", MaxBatch)
	case strings.HasPrefix(path, "/v1/"):
		return msg + " (Segment's own limits: 32 KB a call, 500 KB a batch); send smaller batches"
	}
	return msg + "; send a smaller body, or raise --body-limit"
}

// sizeText writes a byte count as people read limits: 1 MiB, 512 KiB.
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}

// decompress inflates a gzip or deflate request body (SDKs such as
// analytics-python and RudderStack's may compress) and drops
// Content-Encoding, so every handler and limit sees the plain body. It
// inflates no more than the largest body any route takes, so a small gzip
// bomb cannot make the server inflate gigabytes (fiber's own Body() would
// inflate without a cap).
func (s *Server) decompress(c *fiber.Ctx) error {
	maxInflated := s.maxBody
	enc := strings.ToLower(strings.TrimSpace(string(c.Request().Header.Peek(fiber.HeaderContentEncoding))))
	var open func(io.Reader) (io.ReadCloser, error)
	switch enc {
	case "", "identity":
		return c.Next()
	case "gzip", "x-gzip":
		open = func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }
	case "deflate":
		open = func(r io.Reader) (io.ReadCloser, error) { return flate.NewReader(r), nil }
	default:
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "Content-Encoding "+enc+" is not supported; send gzip, deflate or no encoding")
	}
	if ok, err := boundBody(c, maxInflated); err != nil || !ok {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "the compressed body is too large")
	}
	zr, err := open(bytes.NewReader(c.Request().Body()))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "the body is not valid "+enc+" data")
	}
	defer zr.Close()
	plain, err := io.ReadAll(io.LimitReader(zr, int64(maxInflated)+1))
	switch {
	case err != nil:
		return fiber.NewError(fiber.StatusBadRequest, "the body is not valid "+enc+" data")
	case len(plain) > maxInflated:
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "the decompressed body is too large")
	}
	c.Request().SetBodyRaw(plain)
	c.Request().Header.Del(fiber.HeaderContentEncoding)
	return c.Next()
}

// rateLimiter is a token bucket per client: a key, or an IP address when
// the server runs without keys. Idle buckets are dropped now and then, so
// many distinct IPs cannot grow the map without bound.
type rateLimiter struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long an unused bucket is kept; by then it is full again,
// so dropping it changes nothing.
const idleAfter = 10 * time.Minute

func newRateLimiter(perSecond float64) *rateLimiter {
	// A burst of one second's worth lets a client send in bursts while
	// holding the average.
	burst := int(math.Ceil(perSecond))
	return &rateLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[string]*bucket{}}
}

// allow takes a token for client; when none is left it returns how long
// until one is.
func (l *rateLimiter) allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > idleAfter {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idleAfter {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[client]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limit applies the rate limit to a request from client ("key:admin",
// "key:write" or "ip:<address>"): a 429 with Retry-After in whole seconds.
func (s *Server) limit(c *fiber.Ctx, client string) error {
	if s.limiter == nil {
		return nil
	}
	ok, wait := s.limiter.allow(client, time.Now())
	if ok {
		return nil
	}
	secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
	c.Set(fiber.HeaderRetryAfter, secs)
	// analytics.js reads Segment's own header to back off.
	c.Set("X-RateLimit-Reset", secs)
	return fiber.NewError(fiber.StatusTooManyRequests, "rate limit exceeded; retry after "+secs+"s")
}

// routeLimit is the body limit of the route a path belongs to.
func (s *Server) routeLimit(path string) int {
	switch {
	case strings.HasPrefix(path, "/api/v1/"):
		return s.cfg.BodyLimit
	case strings.HasPrefix(path, "/webhooks/"):
		return max(s.cfg.BodyLimit, webhookMinLimit)
	case strings.HasPrefix(path, "/v1/"):
		for _, r := range segmentRoutes {
			if "/v1"+r.path == path {
				return r.limit
			}
		}
		return segmentBatchLimit
	}
	return s.maxBody
}
