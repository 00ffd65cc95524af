package stores_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// TestKeysAcrossReplicas: on either store, two APIs over one database (a
// running Scoreflow and a second replica's API) agree on keys within a
// second: a key made on one works on the other, a key revoked on the
// other fails on the first, and the audit log names both changes.
func TestKeysAcrossReplicas(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{AdminKey: "boot", Schedules: apptest.Off})
		b := api.New(api.Config{Store: a.Store, AdminKey: "boot", Logger: apptest.Logger(t)})
		onA := func(method, url, key, body string) (int, []byte) {
			r := apptest.Do(t, a, method, url, body, "Authorization", "Bearer "+key)
			return r.Status, r.Body
		}
		onB := func(method, url, key, body string) (int, []byte) { return call(t, b, method, url, key, body) }

		status, body := onA(http.MethodPost, "/api/v1/keys", "boot", `{"name":"dashboards","scope":"read"}`)
		require.Equal(t, http.StatusCreated, status, "%s", body)
		var k struct{ ID, Key string }
		require.NoError(t, json.Unmarshal(body, &k))
		waitStatus(t, func() int { s, _ := onB(http.MethodGet, "/api/v1/flows", k.Key, ""); return s }, http.StatusOK)
		status, _ = onB(http.MethodPut, "/api/v1/settings", k.Key, `{}`)
		assert.Equal(t, http.StatusForbidden, status, "a read key changes nothing on any replica")

		status, body = onB(http.MethodDelete, "/api/v1/keys/"+k.ID, "boot", "")
		require.Equal(t, http.StatusNoContent, status, "%s", body)
		status, _ = onB(http.MethodGet, "/api/v1/flows", k.Key, "")
		assert.Equal(t, http.StatusUnauthorized, status, "at once on the replica that revoked it")
		waitStatus(t, func() int { s, _ := onA(http.MethodGet, "/api/v1/flows", k.Key, ""); return s }, http.StatusUnauthorized)

		status, body = onA(http.MethodGet, "/api/v1/audit", "boot", "")
		require.Equal(t, http.StatusOK, status, "%s", body)
		assert.Contains(t, string(body), `"key":"admin-key","action":"key.revoke","target":"dashboards"`)
		assert.Contains(t, string(body), `"key":"admin-key","action":"key.create","target":"dashboards"`)
	})
}

// waitStatus polls until get answers want, at most a second after the change.
func waitStatus(t *testing.T, get func() int, want int) {
	t.Helper()
	start := time.Now()
	for got := get(); got != want; got = get() {
		require.Less(t, time.Since(start), 1200*time.Millisecond, "still %d, want %d", got, want)
		time.Sleep(10 * time.Millisecond)
	}
}

func call(t *testing.T, srv *fiber.App, method, url, key, body string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := srv.Test(req, 10_000)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}
