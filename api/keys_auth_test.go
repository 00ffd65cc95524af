package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// The auth matrix (CONTRACT §1, §10): every registered route, called with
// every kind of credential. The calls come from apiRoutes (auth_test.go),
// keysRoutes and otherRoutes; a registered route none of them calls fails
// the test, so a new route cannot skip the checks by being forgotten. What
// each credential may do follows from the route's class alone.

// class is what a route lets in.
type class int

const (
	classAPI    class = iota // admin; read on GET
	classIngest              // admin, write
	classOwner               // admin only (keys, audit)
	classAnyKey              // any valid key (me)
	classPublic              // no key needed
)

// classOf is the one place a route's class is stated: everything under
// /api/v1 is classAPI unless listed here.
func classOf(method, pattern string) class {
	switch {
	case pattern == "/healthz", pattern == "/readyz", pattern == "/metrics":
		return classPublic
	case method == http.MethodPost && pattern == "/api/v1/events",
		strings.HasPrefix(pattern, "/v1/"), strings.HasPrefix(pattern, "/webhooks/"):
		return classIngest
	case pattern == "/api/v1/keys", strings.HasPrefix(pattern, "/api/v1/keys/"), pattern == "/api/v1/audit":
		return classOwner
	case pattern == "/api/v1/me":
		return classAnyKey
	}
	return classAPI
}

// keysRoutes are the calls of the keys and audit routes.
func keysRoutes() []route {
	return []route{
		{http.MethodGet, "/api/v1/me", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/keys", nil, http.StatusOK},
		{http.MethodPost, "/api/v1/keys", nil, http.StatusCreated}, // body made per call: names are unique
		{http.MethodDelete, "/api/v1/keys/no-such-key", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/audit", nil, http.StatusOK},
	}
}

// otherRoutes are the calls outside /api/v1.
func otherRoutes() []route {
	out := []route{
		{http.MethodGet, "/healthz", nil, http.StatusOK},
		{http.MethodGet, "/readyz", nil, http.StatusOK},
		{http.MethodGet, "/metrics", nil, http.StatusOK},
		{http.MethodPost, "/webhooks/sendgrid", []any{map[string]any{"event": "open", "email": "sg@example.com", "sg_event_id": "sg1", "timestamp": 1700000000}}, http.StatusOK},
	}
	for _, p := range []string{"track", "t", "page", "p", "identify", "i", "screen", "s", "group", "g", "alias", "a"} {
		out = append(out, route{http.MethodPost, "/v1/" + p, map[string]any{"userId": "seg-u", "event": "Demo", "name": "Home",
			"properties": map[string]any{"url": "https://example.com/"}}, http.StatusOK})
	}
	for _, p := range []string{"batch", "b", "import"} {
		out = append(out, route{http.MethodPost, "/v1/" + p, map[string]any{"batch": []any{
			map[string]any{"type": "track", "userId": "seg-u", "event": "Demo"}}}, http.StatusOK})
	}
	return out
}

func allCalls() []route {
	return append(append(apiRoutes(), keysRoutes()...), otherRoutes()...)
}

// credential is one way of presenting (or not) a key.
type credential struct {
	name   string
	secret string // "" = none
	scope  string // "" = not a valid key
}

// present puts the secret where the route takes it: Segment's basic-auth
// user name on /v1/*, a bearer token elsewhere.
func (c credential) present(url string) []string {
	switch {
	case c.secret == "":
		return nil
	case strings.HasPrefix(url, "/v1/"):
		return authHeader("Basic " + base64.StdEncoding.EncodeToString([]byte(c.secret+":")))
	}
	return authHeader("Bearer " + c.secret)
}

// mayCall restates CONTRACT §10 for the test, apart from the code under test.
func mayCall(scope string, cl class, method string) bool {
	switch {
	case cl == classPublic:
		return true
	case scope == "admin":
		return true
	case scope == "write":
		return cl == classIngest || cl == classAnyKey
	case scope == "read":
		return cl == classAnyKey || cl == classAPI && method == http.MethodGet
	}
	return false
}

// createKey makes a named key through the API and returns its id and secret.
func createKey(t *testing.T, a *app.App, auth, name, scope string) (id, secret string) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/keys", map[string]any{"name": name, "scope": scope}, authHeader("Bearer "+auth)...)
	require.Equal(t, http.StatusCreated, r.Status, "create key %s: %s", name, r.Body)
	var k struct{ ID, Key string }
	r.JSON(t, &k)
	require.NotEmpty(t, k.Key)
	return k.ID, k.Key
}

func TestAuthMatrix(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey, WrongKeys: api.WrongKeyLimit{PerSecond: -1}})
	calls := allCalls()

	// Every registered route has a call, and every call a route.
	for _, r := range a.HTTP.GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue // fiber adds HEAD to every GET route by itself
		}
		found := false
		for _, c := range calls {
			found = found || c.method == r.Method && routeMatches(r.Path, c.url)
		}
		assert.True(t, found, "no auth scenario calls %s %s: add one to apiRoutes (auth_test.go)", r.Method, r.Path)
	}
	pattern := func(c route) string {
		for _, r := range a.HTTP.GetRoutes(true) {
			if r.Method == c.method && routeMatches(r.Path, c.url) {
				return r.Path
			}
		}
		t.Fatalf("the call %s %s matches no route", c.method, c.url)
		return ""
	}

	_, adminNamed := createKey(t, a, adminKey, "ops", "admin")
	_, writeNamed := createKey(t, a, adminKey, "segment-sdk", "write")
	_, readNamed := createKey(t, a, adminKey, "metabase", "read")
	goneID, gone := createKey(t, a, adminKey, "old-laptop", "admin")
	r := apptest.Do(t, a, http.MethodDelete, "/api/v1/keys/"+goneID, nil, authHeader("Bearer "+adminKey)...)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)

	creds := []credential{
		{"admin flag", adminKey, "admin"}, // first: its calls must answer exactly as listed
		{"no key", "", ""},
		{"wrong key", "sf_" + strings.Repeat("x", 43), ""},
		{"revoked key", gone, ""},
		{"write flag", writeKey, "write"},
		{"named admin", adminNamed, "admin"},
		{"named write", writeNamed, "write"},
		{"named read", readNamed, "read"},
	}
	n := 0
	for i, cred := range creds {
		t.Run(cred.name, func(t *testing.T) {
			for _, c := range calls {
				body := c.body
				if c.method == http.MethodPost && c.url == "/api/v1/keys" {
					n++
					body = map[string]any{"name": fmt.Sprint("matrix-", n), "scope": "read"}
				}
				got := apptest.Do(t, a, c.method, c.url, body, cred.present(c.url)...)
				cl := classOf(c.method, pattern(c))
				switch {
				case mayCall(cred.scope, cl, c.method) && i == 0:
					assert.Equal(t, c.ok, got.Status, "%s %s: %s", c.method, c.url, got.Body)
				case mayCall(cred.scope, cl, c.method):
					// Let in; state left by earlier passes may change the answer.
					assert.NotContains(t, []int{401, 403, 429}, got.Status, "%s %s: %s", c.method, c.url, got.Body)
					assert.Less(t, got.Status, 500, "%s %s: %s", c.method, c.url, got.Body)
				case cred.scope == "":
					assert.Equal(t, http.StatusUnauthorized, got.Status, "%s %s: %s", c.method, c.url, got.Body)
				default:
					assert.Equal(t, http.StatusForbidden, got.Status, "%s %s: %s", c.method, c.url, got.Body)
				}
			}
		})
	}
}
