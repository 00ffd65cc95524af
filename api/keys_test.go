package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

type keyList struct {
	Keys []struct {
		ID         string     `json:"id"`
		Name       string     `json:"name"`
		Scope      string     `json:"scope"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
		Builtin    bool       `json:"builtin"`
	} `json:"keys"`
}

type auditPage struct {
	Entries []struct {
		ID      int64     `json:"id"`
		At      time.Time `json:"at"`
		Key     string    `json:"key"`
		Action  string    `json:"action"`
		Target  string    `json:"target"`
		Version *int      `json:"version"`
	} `json:"entries"`
	NextCursor string `json:"next_cursor"`
}

func bearerOf(key string) []string { return authHeader("Bearer " + key) }

func TestKeysAPI(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})
	admin := bearerOf(adminKey)

	runScenarios(t, a, []scenario{
		{name: "no name", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"scope": "read"},
			status: http.StatusBadRequest, check: wantError("invalid_key", "name")},
		{name: "bad scope", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"name": "x", "scope": "root"},
			status: http.StatusBadRequest, check: wantError("invalid_key", "scope")},
		{name: "control characters", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"name": "a\nb", "scope": "read"},
			status: http.StatusBadRequest, check: wantError("invalid_key", "name")},
		{name: "too long", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"name": strings.Repeat("n", 65), "scope": "read"},
			status: http.StatusBadRequest, check: wantError("invalid_key", "name")},
		{name: "not JSON", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: "{", status: http.StatusBadRequest, check: wantError("invalid_key")},
		{name: "a built-in's name", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"name": "admin-key", "scope": "read"},
			status: http.StatusConflict, check: wantError("conflict")},
		{name: "the CLI's name", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"name": "cli", "scope": "admin"},
			status: http.StatusConflict, check: wantError("conflict")},
		{name: "create", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"name": " metabase ", "scope": "read"},
			status: http.StatusCreated, check: func(t *testing.T, r apptest.Response) {
				m := r.Map(t)
				assert.Equal(t, "metabase", m["name"], "the name is trimmed")
				assert.Equal(t, "read", m["scope"])
				assert.NotEmpty(t, m["id"])
				assert.NotEmpty(t, m["created_at"])
				secret, _ := m["key"].(string)
				assert.True(t, strings.HasPrefix(secret, "sf_"), "a recognisable prefix: %q", secret)
				assert.GreaterOrEqual(t, len(secret), 3+43, "32 random bytes, base64: %q", secret)
			}},
		{name: "the same name again", method: http.MethodPost, url: "/api/v1/keys", headers: admin, body: map[string]any{"name": "metabase", "scope": "admin"},
			status: http.StatusConflict, check: wantError("conflict")},
		{name: "built-ins cannot be revoked", method: http.MethodDelete, url: "/api/v1/keys/admin-key", headers: admin,
			status: http.StatusConflict, check: wantError("conflict")},
		{name: "revoke an unknown key", method: http.MethodDelete, url: "/api/v1/keys/nope", headers: admin,
			status: http.StatusNotFound, check: wantError("not_found")},
		{name: "me with the admin flag", method: http.MethodGet, url: "/api/v1/me", headers: admin, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				assert.JSONEq(t, `{"name":"admin-key","scope":"admin","open":false}`, string(r.Body))
			}},
		{name: "me with the write flag", method: http.MethodGet, url: "/api/v1/me", headers: bearerOf(writeKey), status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				assert.JSONEq(t, `{"name":"write-key","scope":"write","open":false}`, string(r.Body))
			}},
	})

	// Two secrets of the same request are never alike.
	_, s1 := createKey(t, a, adminKey, "one", "write")
	_, s2 := createKey(t, a, adminKey, "two", "write")
	assert.NotEqual(t, s1, s2)

	// The list: built-ins first, no secret, no hash; last use in memory.
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/me", nil, bearerOf(s1)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.JSONEq(t, `{"name":"one","scope":"write","open":false}`, string(r.Body))
	r = apptest.Do(t, a, http.MethodGet, "/api/v1/keys", nil, admin...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var list keyList
	r.JSON(t, &list)
	require.Len(t, list.Keys, 5, "%s", r.Body)
	names := []string{}
	for _, k := range list.Keys {
		names = append(names, k.Name)
		assert.Equal(t, k.Name == "admin-key" || k.Name == "write-key", k.Builtin, "%s builtin", k.Name)
		assert.False(t, k.CreatedAt.IsZero(), "%s created_at", k.Name)
	}
	assert.Equal(t, []string{"admin-key", "write-key", "metabase", "one", "two"}, names)
	assert.NotNil(t, list.Keys[0].LastUsedAt, "the admin key was used")
	assert.NotNil(t, list.Keys[3].LastUsedAt, "key one was used")
	assert.Nil(t, list.Keys[4].LastUsedAt, "key two never was")
	for _, secret := range []string{s1, s2} {
		assert.NotContains(t, string(r.Body), secret)
		assert.NotContains(t, string(r.Body), hashHex(secret))
	}
	assert.NotContains(t, string(r.Body), `"key"`)
}

func hashHex(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// TestRevokedKeyFailsAtOnce: the request right after the revoke is refused,
// in the process that revoked it; another API on the same store (a
// replica) refuses it within a second.
func TestRevokedKeyFailsAtOnce(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey})
	id, secret := createKey(t, a, adminKey, "laptop", "admin")
	replica := api.New(api.Config{Store: a.Store, AdminKey: adminKey, Logger: apptest.Logger(t)})
	onReplica := func() int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/flows", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := replica.Test(req, 10_000)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, onReplica(), "the replica loads keys created elsewhere")
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil, bearerOf(secret)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	r = apptest.Do(t, a, http.MethodDelete, "/api/v1/keys/"+id, nil, bearerOf(secret)...)
	require.Equal(t, http.StatusNoContent, r.Status, "a key may revoke itself: %s", r.Body)
	revokedAt := time.Now()
	r = apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil, bearerOf(secret)...)
	assert.Equal(t, http.StatusUnauthorized, r.Status, "the very next request: %s", r.Body)

	apptest.CheckFor(t, 3*time.Second, 20*time.Millisecond, func() error {
		if code := onReplica(); code != http.StatusUnauthorized {
			return fmt.Errorf("the replica answers %d", code)
		}
		return nil
	})
	assert.Less(t, time.Since(revokedAt), 1500*time.Millisecond, "the replica refused it within a second (and a poll)")
}

// TestSecretsNeverLogged: the log of a session that creates, uses, mistypes
// and revokes keys (also as ?key= on a webhook) holds no secret or hash;
// nor do the list and the audit log.
func TestSecretsNeverLogged(t *testing.T) {
	var buf logBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey, Logger: log})
	id, secret := createKey(t, a, adminKey, "ci", "admin")
	_, writer := createKey(t, a, adminKey, "hooks", "write")
	for _, c := range []struct{ method, url, key string }{
		{http.MethodGet, "/api/v1/flows", secret},
		{http.MethodGet, "/api/v1/nope", secret},
		{http.MethodGet, "/api/v1/flows", secret + "x"},
		{http.MethodPut, "/api/v1/settings", writer},
	} {
		apptest.Do(t, a, c.method, c.url, `{}`, bearerOf(c.key)...)
	}
	apptest.Do(t, a, http.MethodPost, "/webhooks/sendgrid?key="+writer, `[]`)
	list := apptest.Do(t, a, http.MethodGet, "/api/v1/keys", nil, bearerOf(secret)...)
	require.Equal(t, http.StatusNoContent, apptest.Do(t, a, http.MethodDelete, "/api/v1/keys/"+id, nil, bearerOf(adminKey)...).Status)
	audit := apptest.Do(t, a, http.MethodGet, "/api/v1/audit", nil, bearerOf(adminKey)...)
	require.Equal(t, http.StatusOK, audit.Status, "%s", audit.Body)
	assert.Contains(t, string(audit.Body), `"key.revoke"`)
	require.NoError(t, a.Shutdown(t.Context()))

	logged := buf.String()
	require.Contains(t, logged, "http request", "the requests were logged")
	for _, s := range []string{secret, writer, hashHex(secret), hashHex(writer)} {
		assert.NotContains(t, logged, s, "the log")
		assert.NotContains(t, string(list.Body), s, "the key list")
		assert.NotContains(t, string(audit.Body), s, "the audit log")
	}
}

// TestWrongKeysLimitedPerAddress: past the burst, wrong keys from an
// address get 429 with Retry-After, while valid keys from the same
// address go on at once.
func TestWrongKeysLimitedPerAddress(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey, WrongKeys: api.WrongKeyLimit{PerSecond: 0.01, Burst: 3}})
	_, reader := createKey(t, a, adminKey, "bi", "read")
	for i := 0; i < 3; i++ {
		r := apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil, bearerOf(fmt.Sprint("guess-", i))...)
		require.Equal(t, http.StatusUnauthorized, r.Status, "guess %d: %s", i, r.Body)
	}
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil, bearerOf("guess-3")...)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	wantError("rate_limited")(t, r)
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	// Segment's basic auth counts against the same address.
	r = apptest.Do(t, a, http.MethodPost, "/v1/track", `{"userId":"u","event":"E"}`, authHeader("Basic Z3Vlc3M6")...)
	assert.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)

	start := time.Now()
	for _, key := range []string{adminKey, writeKey, reader} {
		url, method, want := "/api/v1/flows", http.MethodGet, http.StatusOK
		if key == writeKey {
			url, method, want = "/api/v1/events", http.MethodPost, http.StatusAccepted
		}
		r := apptest.Do(t, a, method, url, map[string]any{"type": "Demo", "contact_id": "rl"}, bearerOf(key)...)
		assert.Equal(t, want, r.Status, "a valid key from the limited address: %s", r.Body)
	}
	assert.Less(t, time.Since(start), time.Second, "valid keys are not slowed")
	r = apptest.Do(t, a, http.MethodGet, "/api/v1/flows", nil)
	assert.Equal(t, http.StatusUnauthorized, r.Status, "a missing key is no guess: %s", r.Body)
}

func TestMeOnAnOpenServer(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/me", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.JSONEq(t, `{"name":"","scope":"admin","open":true}`, string(r.Body))
}

// TestAuditLog: changes made through the API appear newest first, under
// the name of the key that made them, with flow versions; the log pages
// with a cursor; read keys cannot see it.
func TestAuditLog(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey})
	_, ops := createKey(t, a, adminKey, "ops", "admin")
	readID, reader := createKey(t, a, ops, "bi", "read")
	opsH := bearerOf(ops)
	for _, c := range []struct {
		method, url string
		body        any
		status      int
	}{
		{http.MethodPost, "/api/v1/flows", flowDoc("pricing", 1), http.StatusCreated},
		{http.MethodPut, "/api/v1/flows/pricing", flowDoc("pricing", 2), http.StatusOK},
		{http.MethodPut, "/api/v1/flows/pricing", withVersion(flowDoc("pricing", 3), 1), http.StatusConflict},
		{http.MethodPost, "/api/v1/segments", segmentDoc("hot"), http.StatusCreated},
		{http.MethodPut, "/api/v1/segments/hot", segmentDoc("hot"), http.StatusOK},
		{http.MethodDelete, "/api/v1/segments/hot", nil, http.StatusNoContent},
		{http.MethodPut, "/api/v1/settings", map[string]any{"scores": []any{map[string]any{"name": "engagement"}},
			"grades": []any{map[string]any{"name": "cold", "min": nil}}, "pipeline": []any{"new"}}, http.StatusOK},
		{http.MethodDelete, "/api/v1/flows/pricing", nil, http.StatusNoContent},
		{http.MethodDelete, "/api/v1/keys/" + readID, nil, http.StatusNoContent},
	} {
		r := apptest.Do(t, a, c.method, c.url, c.body, opsH...)
		require.Equal(t, c.status, r.Status, "%s %s: %s", c.method, c.url, r.Body)
	}
	want := []string{
		"admin-key key.create ops -", "ops key.create bi -",
		"ops flow.create pricing 1", "ops flow.update pricing 2",
		"ops segment.create hot -", "ops segment.update hot -", "ops segment.delete hot -",
		"ops settings.update settings -", "ops flow.delete pricing 2", "ops key.revoke bi -",
	}
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 10)
		r := apptest.Do(t, a, http.MethodGet, "/api/v1/audit?limit=4&cursor="+cursor, nil, opsH...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var p auditPage
		r.JSON(t, &p)
		assert.LessOrEqual(t, len(p.Entries), 4)
		for _, e := range p.Entries {
			v := "-"
			if e.Version != nil {
				v = fmt.Sprint(*e.Version)
			}
			assert.False(t, e.At.IsZero())
			got = append(got, e.Key+" "+e.Action+" "+e.Target+" "+v)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	assert.Equal(t, reversed(want), got)

	r := apptest.Do(t, a, http.MethodGet, "/api/v1/audit", nil, opsH...)
	assert.Contains(t, string(r.Body), `"version":null`, "version is null where none applies: %s", r.Body)
	runScenarios(t, a, []scenario{
		{name: "bad cursor", method: http.MethodGet, url: "/api/v1/audit?cursor=zzz", headers: opsH,
			status: http.StatusBadRequest, check: wantError("invalid_cursor", "cursor")},
		{name: "bad limit", method: http.MethodGet, url: "/api/v1/audit?limit=0", headers: opsH,
			status: http.StatusBadRequest, check: wantError("invalid_query", "limit")},
	})
	_, reader = createKey(t, a, ops, "bi-2", "read")
	r = apptest.Do(t, a, http.MethodGet, "/api/v1/audit", nil, bearerOf(reader)...)
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
}

func withVersion(doc map[string]any, v int) map[string]any {
	doc["version"] = v
	return doc
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
