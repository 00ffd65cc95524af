package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeysCommand: `scoreflow keys` against the data dir of a running
// server: the key it creates works on the server within a second, is
// listed, and once revoked fails within a second.
func TestKeysCommand(t *testing.T) {
	data := t.TempDir()
	httpAddr := freeAddr(t)
	p := startBinary(t, cleanEnv(), "serve", "--data", data, "--http", httpAddr, "--nats-listen", "off", "--admin-key", "boot")
	p.waitReady(t, httpAddr)

	keys := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"keys"}, append(args, "--data", data)...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, _, errOut := keys("create", "--name", "metabase", "--scope", "root")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "scope")
	code, out, errOut := keys("create", "--name", "metabase", "--scope", "read")
	require.Equal(t, 0, code, "%s", errOut)
	secret := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(secret, "sf_"), "stdout is the secret alone: %q", out)
	assert.Contains(t, errOut, "shown only once")

	get := func(key string) int {
		req, err := http.NewRequest(http.MethodGet, "http://"+httpAddr+"/api/v1/flows", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitStatus := func(want int) {
		t.Helper()
		deadline := time.Now().Add(1500 * time.Millisecond)
		for get(secret) != want {
			require.True(t, time.Now().Before(deadline), "the server never answered %d", want)
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitStatus(http.StatusOK)

	code, out, errOut = keys("list")
	require.Equal(t, 0, code, "%s", errOut)
	assert.Contains(t, out, "metabase")
	assert.NotContains(t, out, secret)
	var id string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "metabase" {
			id = f[0]
		}
	}
	require.NotEmpty(t, id, "%s", out)

	code, out, errOut = keys("revoke", id)
	require.Equal(t, 0, code, "%s", errOut)
	assert.Contains(t, out, "revoked key metabase")
	waitStatus(http.StatusUnauthorized)

	status, body := httpDoKey(t, http.MethodGet, "http://"+httpAddr+"/api/v1/audit", "boot")
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Contains(t, string(body), `"key":"cli","action":"key.revoke","target":"metabase"`)
	code, _, errOut = keys("revoke", id)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not found")
	p.terminate(t)
}

func httpDoKey(t *testing.T, method, url, key string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b.Bytes()
}
