package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// The embedded UI is a single-page app: its files are served as they are,
// and every other GET outside the API answers index.html, so deep links
// (/flows/{id}, /contacts/{id}) can be bookmarked.

// uiCSP allows the app's own scripts only. Inline styles are allowed
// because React Flow and the charts position elements with style
// attributes; no user string is ever rendered as HTML.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// uiRoutes are the app's pages (ui/src/App.tsx): they and the paths under
// them answer index.html. Any other unknown path stays a JSON 404.
var uiRoutes = []string{"flows", "contacts", "segments", "scoring", "settings", "lab", "accounts"}

// isUIRoute reports whether a cleaned path without its leading slash is a
// page of the app.
func isUIRoute(name string) bool {
	if name == "" {
		return true
	}
	first, _, _ := strings.Cut(name, "/")
	return slices.Contains(uiRoutes, first)
}

// uiFile is one file of the UI, read once, with its gzip form when that is
// smaller.
type uiFile struct {
	body, gz    []byte
	contentType string
	etag        string
	immutable   bool // hashed asset names: cache for a year
}

type uiFiles struct {
	fsys  fs.FS
	mu    sync.Mutex
	files map[string]*uiFile
}

func newUIFiles(fsys fs.FS) *uiFiles { return &uiFiles{fsys: fsys, files: map[string]*uiFile{}} }

// get loads a file on first use; nil when it does not exist. Misses are
// not remembered, so requests for made-up names cannot grow the map.
func (u *uiFiles) get(name string) *uiFile {
	u.mu.Lock()
	defer u.mu.Unlock()
	if f, ok := u.files[name]; ok {
		return f
	}
	body, err := fs.ReadFile(u.fsys, name)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(body)
	f := &uiFile{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		contentType: mime.TypeByExtension(path.Ext(name)), immutable: strings.HasPrefix(name, "assets/")}
	if f.contentType == "" {
		f.contentType = "application/octet-stream"
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	if buf.Len() < len(body)*9/10 {
		f.gz = buf.Bytes()
	}
	u.files[name] = f
	return f
}

func (s *Server) serveUI(c *fiber.Ctx) error {
	if s.ui == nil || (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) {
		return c.Next()
	}
	name := strings.TrimPrefix(path.Clean("/"+c.Path()), "/")
	var f *uiFile
	switch {
	case isUIRoute(name):
		f = s.ui.get("index.html")
	case name == "index.html" || strings.HasPrefix(name, "assets/") || !strings.Contains(name, "/"):
		f = s.ui.get(name)
	}
	if f == nil {
		return c.Next()
	}
	h := &c.Response().Header
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set(fiber.HeaderContentType, f.contentType)
	h.Set(fiber.HeaderETag, f.etag)
	h.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if f.immutable {
		h.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if string(c.Request().Header.Peek(fiber.HeaderIfNoneMatch)) == f.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if f.gz != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		h.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(f.gz)
	}
	return c.Send(f.body)
}
