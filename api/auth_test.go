package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

const (
	adminKey = "adm"
	writeKey = "wr"
)

func authHeader(v string) []string { return []string{"Authorization", v} }

// route is one call on every endpoint, valid enough to succeed when let in.
type route struct {
	method, url string
	body        any
	ok          int // status when allowed
}

func apiRoutes() []route {
	return []route{
		{http.MethodPost, "/api/v1/events", map[string]any{"type": "Demo", "contact_id": "auth-c"}, http.StatusAccepted},
		{http.MethodGet, "/api/v1/node-types", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/flows", nil, http.StatusOK},
		{http.MethodPost, "/api/v1/flows/validate", flowDoc("", 1), http.StatusOK},
		{http.MethodPost, "/api/v1/flows", flowDoc("auth-flow", 1), http.StatusCreated},
		{http.MethodGet, "/api/v1/flows/auth-flow", nil, http.StatusOK},
		{http.MethodPut, "/api/v1/flows/auth-flow", flowDoc("auth-flow", 2), http.StatusOK},
		{http.MethodGet, "/api/v1/flows/auth-flow/versions", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/flows/auth-flow/stats", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/scoring-matrix", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/dashboard", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/catalog", nil, http.StatusOK},
		{http.MethodPost, "/api/v1/segments/preview", map[string]any{"where": map[string]any{"field": "score", "op": "gte", "value": 1}}, http.StatusOK},
		{http.MethodDelete, "/api/v1/flows/auth-flow", nil, http.StatusNoContent},
		{http.MethodGet, "/api/v1/contacts", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/contacts/nobody", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/contacts/nobody/history", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/contacts/nobody/timeline", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/accounts", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/accounts/nobody", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/accounts/nobody/contacts", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/accounts/nobody/history", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/settings", nil, http.StatusOK},
		{http.MethodPut, "/api/v1/settings", map[string]any{
			"scores": []any{map[string]any{"name": "engagement"}}, "grades": []any{map[string]any{"name": "cold", "min": nil}},
			"pipeline": []any{"new"}}, http.StatusOK},
		{http.MethodGet, "/api/v1/webhooks", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/dead-events", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/openapi.json", nil, http.StatusOK},
		{http.MethodPut, "/api/v1/contacts/nobody", map[string]any{"attributes": map[string]any{"x": 1}}, http.StatusNotFound},
		{http.MethodDelete, "/api/v1/contacts/nobody", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/contacts/nobody/merge", map[string]any{"from": []string{"other"}}, http.StatusNotFound},
		{http.MethodPost, "/api/v1/contacts/import", "email\nauth@x.test\n", http.StatusOK},
		{http.MethodGet, "/api/v1/contacts/export", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/segments", nil, http.StatusOK},
		{http.MethodPost, "/api/v1/segments", segmentDoc("auth-seg"), http.StatusCreated},
		{http.MethodGet, "/api/v1/segments/auth-seg", nil, http.StatusOK},
		{http.MethodPut, "/api/v1/segments/auth-seg", segmentDoc("auth-seg"), http.StatusOK},
		{http.MethodGet, "/api/v1/segments/auth-seg/contacts", nil, http.StatusOK},
		{http.MethodDelete, "/api/v1/segments/auth-seg", nil, http.StatusNoContent},
		{http.MethodGet, "/api/v1/jobs", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/cluster", nil, http.StatusOK},
		// The model lab (a missing run answers 404 once the key is accepted).
		{http.MethodGet, "/api/v1/lab/runs", nil, http.StatusOK},
		{http.MethodPost, "/api/v1/lab/runs", map[string]any{"model": map[string]any{"base": "live"}, "outcome": map[string]any{"event": "Deal won"}}, http.StatusAccepted},
		{http.MethodGet, "/api/v1/lab/runs/nope", nil, http.StatusNotFound},
		{http.MethodDelete, "/api/v1/lab/runs/nope", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/lab/runs/nope/apply", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/lab/suggest", map[string]any{"outcome": map[string]any{"event": "Deal won"}}, http.StatusBadRequest},
	}
}

func segmentDoc(id string) map[string]any {
	return map[string]any{"id": id, "name": "Auth segment", "where": map[string]any{"field": "score", "op": "gte", "value": 10}}
}

// routeMatches reports whether url fits a fiber route pattern.
func routeMatches(pattern, url string) bool {
	ps, us := strings.Split(pattern, "/"), strings.Split(url, "/")
	if len(ps) != len(us) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], ":") && ps[i] != us[i] {
			return false
		}
	}
	return true
}

func TestAuthWithKeys(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})

	runScenarios(t, a, []scenario{
		{name: "no key", method: http.MethodGet, url: "/api/v1/flows", status: http.StatusUnauthorized,
			check: wantError("unauthorized")},
		{name: "no key on events", method: http.MethodPost, url: "/api/v1/events", body: map[string]any{"type": "Demo", "contact_id": "x"},
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "wrong key", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("Bearer nope"),
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "wrong key on events", method: http.MethodPost, url: "/api/v1/events", headers: authHeader("Bearer nope"),
			body: map[string]any{"type": "Demo", "contact_id": "x"}, status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "key that extends the admin key", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("Bearer admx"),
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "key without Bearer", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader(adminKey),
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "basic auth", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("Basic YWRtOg=="),
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "empty bearer", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("Bearer "),
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "write key on events", method: http.MethodPost, url: "/api/v1/events", headers: authHeader("Bearer " + writeKey),
			body: map[string]any{"id": "w1", "type": "Demo", "contact_id": "w"}, status: http.StatusAccepted, contains: []string{`"accepted":1`}},
		{name: "write key on a batch", method: http.MethodPost, url: "/api/v1/events", headers: authHeader("Bearer " + writeKey),
			body: map[string]any{"events": []any{map[string]any{"type": "Demo", "contact_id": "w"}}}, status: http.StatusAccepted},
		{name: "write key on flows", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("Bearer " + writeKey),
			status: http.StatusForbidden, check: wantError("forbidden")},
		{name: "write key creating a flow", method: http.MethodPost, url: "/api/v1/flows", headers: authHeader("Bearer " + writeKey),
			body: flowDoc("by-writer", 1), status: http.StatusForbidden, check: wantError("forbidden")},
		{name: "write key on contacts", method: http.MethodGet, url: "/api/v1/contacts/w", headers: authHeader("Bearer " + writeKey),
			status: http.StatusForbidden, check: wantError("forbidden")},
		{name: "write key on settings", method: http.MethodPut, url: "/api/v1/settings", headers: authHeader("Bearer " + writeKey),
			body: `{}`, status: http.StatusForbidden, check: wantError("forbidden")},
		{name: "admin key", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("Bearer " + adminKey), status: http.StatusOK},
		{name: "lower-case bearer", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("bearer " + adminKey), status: http.StatusOK},
		{name: "upper-case bearer", method: http.MethodGet, url: "/api/v1/flows", headers: authHeader("BEARER " + adminKey), status: http.StatusOK},
		{name: "lower-case bearer with the write key", method: http.MethodPost, url: "/api/v1/events", headers: authHeader("bEaReR " + writeKey),
			body: map[string]any{"type": "Demo", "contact_id": "w"}, status: http.StatusAccepted},
		{name: "the refused flow was not created", method: http.MethodGet, url: "/api/v1/flows/by-writer", headers: authHeader("Bearer " + adminKey),
			status: http.StatusNotFound},
		{name: "healthz needs no key", method: http.MethodGet, url: "/healthz", status: http.StatusOK},
		{name: "readyz needs no key", method: http.MethodGet, url: "/readyz", status: http.StatusOK},
	})

	t.Run("admin key everywhere", func(t *testing.T) {
		for _, rt := range apiRoutes() {
			r := apptest.Do(t, a, rt.method, rt.url, rt.body, authHeader("Bearer "+adminKey)...)
			assert.Equal(t, rt.ok, r.Status, "%s %s: %s", rt.method, rt.url, r.Body)
		}
	})

	t.Run("no key anywhere", func(t *testing.T) {
		for _, rt := range apiRoutes() {
			r := apptest.Do(t, a, rt.method, rt.url, rt.body)
			assert.Equal(t, http.StatusUnauthorized, r.Status, "%s %s: %s", rt.method, rt.url, r.Body)
		}
	})

	t.Run("write key only on ingestion", func(t *testing.T) {
		for _, rt := range apiRoutes() {
			r := apptest.Do(t, a, rt.method, rt.url, rt.body, authHeader("Bearer "+writeKey)...)
			want := http.StatusForbidden
			if rt.url == "/api/v1/events" {
				want = rt.ok
			}
			assert.Equal(t, want, r.Status, "%s %s: %s", rt.method, rt.url, r.Body)
		}
	})
}

func TestAuthOpenWithoutKeys(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	for _, rt := range apiRoutes() {
		r := apptest.Do(t, a, rt.method, rt.url, rt.body)
		assert.Equal(t, rt.ok, r.Status, "%s %s: %s", rt.method, rt.url, r.Body)
	}
	// A key sent to an open server is ignored, not refused.
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil, authHeader("Bearer whatever")...)
	assert.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}

func TestCheckExposure(t *testing.T) {
	tests := []struct {
		name    string
		cfg     app.Config
		wantErr string // "" = allowed
	}{
		{"open on all interfaces", app.Config{HTTPAddr: "0.0.0.0:8080"}, "refusing"},
		{"open on all interfaces, empty host", app.Config{HTTPAddr: ":8080"}, "refusing"},
		{"open on all IPv6 interfaces", app.Config{HTTPAddr: "[::]:8080"}, "refusing"},
		{"open on a LAN address", app.Config{HTTPAddr: "192.168.1.10:8080"}, "refusing"},
		{"open on a host name", app.Config{HTTPAddr: "example.com:8080"}, "refusing"},
		{"open on 127.0.0.1", app.Config{HTTPAddr: "127.0.0.1:8080"}, ""},
		{"open on another loopback address", app.Config{HTTPAddr: "127.0.0.2:8080"}, ""},
		{"open on localhost", app.Config{HTTPAddr: "localhost:8080"}, ""},
		{"open on ::1", app.Config{HTTPAddr: "[::1]:8080"}, ""},
		{"open without a listener", app.Config{}, ""},
		{"keys on all interfaces", app.Config{HTTPAddr: "0.0.0.0:8080", AdminKey: "adm", WriteKey: "wr"}, ""},
		{"admin key only on all interfaces", app.Config{HTTPAddr: "0.0.0.0:8080", AdminKey: "adm"}, ""},
		{"write key without admin key", app.Config{HTTPAddr: "0.0.0.0:8080", WriteKey: "wr"}, "admin key"},
		{"write key without admin key on loopback", app.Config{HTTPAddr: "127.0.0.1:8080", WriteKey: "wr"}, "admin key"},
		{"malformed address", app.Config{HTTPAddr: "nonsense"}, "nonsense"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := app.CheckExposure(tt.cfg)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// TestStartRefusesExposure: app.Start itself refuses, so no caller can
// forget the check.
func TestStartRefusesExposure(t *testing.T) {
	_, err := app.Start(t.Context(), app.Config{HTTPAddr: "0.0.0.0:0", DataDir: t.TempDir(), NATSListen: "off"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refusing")
}
