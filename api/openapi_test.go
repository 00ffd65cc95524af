package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// TestOpenAPICoversEveryRoute: every route the app registers is in the
// document served at /api/v1/openapi.json, and the document describes no
// route that does not exist.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/openapi.json", nil, authHeader("Bearer "+adminKey)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components map[string]map[string]any            `json:"components"`
	}
	r.JSON(t, &doc)
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3."), "an OpenAPI 3 document: %q", doc.OpenAPI)

	registered := map[string]bool{}
	for _, route := range a.HTTP.GetRoutes(true) {
		if route.Method == http.MethodHead {
			continue // fiber adds HEAD to every GET route by itself
		}
		path := fiberParam.ReplaceAllString(route.Path, "{$1}")
		method := strings.ToLower(route.Method)
		registered[method+" "+path] = true
		ops, ok := doc.Paths[path]
		if !assert.True(t, ok, "route %s %s is not in the OpenAPI document", route.Method, route.Path) {
			continue
		}
		op, ok := ops[method]
		if !assert.True(t, ok, "route %s %s: the document has the path but not the method", route.Method, route.Path) {
			continue
		}
		assert.NotEmpty(t, op["summary"], "%s %s: summary", method, path)
		assert.NotEmpty(t, op["responses"], "%s %s: responses", method, path)
		if strings.Contains(path, "{id}") {
			assert.Contains(t, string(mustJSON(t, op["parameters"])), `"in":"path"`, "%s %s declares its path parameter", method, path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			assert.True(t, registered[method+" "+path], "the document describes %s %s, which is not a route", method, path)
		}
	}

	// Every reference points at something defined.
	for _, ref := range regexp.MustCompile(`"\$ref":"#/components/([a-zA-Z]+)/([A-Za-z]+)"`).FindAllStringSubmatch(string(r.Body), -1) {
		assert.Contains(t, doc.Components[ref[1]], ref[2], "dangling $ref %s", ref[0])
	}
	for _, code := range []string{"401", "403", "404", "429"} {
		assert.Contains(t, doc.Paths["/api/v1/flows/{id}"]["get"]["responses"], code, "errors are documented")
	}
}

func TestOpenAPINeedsTheAdminKey(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})
	runScenarios(t, a, []scenario{
		{name: "no key", method: http.MethodGet, url: "/api/v1/openapi.json", status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "write key", method: http.MethodGet, url: "/api/v1/openapi.json", headers: authHeader("Bearer " + writeKey),
			status: http.StatusForbidden, check: wantError("forbidden")},
	})
}
