package api

import (
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// routeInfo is one registered route, split into segments for matching.
type routeInfo struct {
	method   string
	segments []string // ":id" matches any one non-empty segment
}

// collectRoutes lists the app's routes (not its middleware). fiber has no
// 405 of its own: noRoute uses this list to tell "no such path" from "no
// such method on this path".
func collectRoutes(app *fiber.App) []routeInfo {
	var out []routeInfo
	for _, r := range app.GetRoutes(true) {
		out = append(out, routeInfo{method: r.Method, segments: splitPath(r.Path)})
	}
	return out
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// matches reports whether a request path fits the route, the way fiber
// routes by default: case-insensitive, a trailing slash ignored.
func (r routeInfo) matches(path []string) bool {
	if len(path) != len(r.segments) {
		return false
	}
	for i, seg := range r.segments {
		switch {
		case strings.HasPrefix(seg, ":"):
			if path[i] == "" {
				return false
			}
		case !strings.EqualFold(seg, path[i]):
			return false
		}
	}
	return true
}

// allowed lists the methods registered for a path.
func (s *Server) allowed(path string) []string {
	parts := splitPath(path)
	seen := map[string]bool{}
	var out []string
	for _, r := range s.routes {
		if !seen[r.method] && r.matches(parts) {
			seen[r.method] = true
			out = append(out, r.method)
		}
	}
	sort.Strings(out)
	return out
}

// noRoute answers what no route took: 405 with Allow for a known path and
// another method, 404 otherwise.
func (s *Server) noRoute(c *fiber.Ctx) error {
	c.Locals(localUnmatched, true)
	if methods := s.allowed(c.Path()); len(methods) > 0 {
		c.Set(fiber.HeaderAllow, strings.Join(methods, ", "))
		return fiber.NewError(fiber.StatusMethodNotAllowed,
			c.Method()+" is not allowed on "+c.Path()+"; use "+strings.Join(methods, ", "))
	}
	return fiber.NewError(fiber.StatusNotFound, "no route "+c.Method()+" "+c.Path())
}
