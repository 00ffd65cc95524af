package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/internal/pgtest"
)

// TestServeOnPostgres: `serve --store postgres://…` keeps everything in
// PostgreSQL; a new process on another data dir finds the contact there.
func TestServeOnPostgres(t *testing.T) {
	url := pgtest.URL(t)
	httpAddr := freeAddr(t)
	p := startBinary(t, cleanEnv(), "serve", "--data", t.TempDir(), "--store", url, "--http", httpAddr, "--nats-listen", "off", "--examples")
	p.waitReady(t, httpAddr)
	status, body := httpDo(t, http.MethodPost, "http://"+httpAddr+"/api/v1/events",
		`{"id": "pg-1", "type": "Booked call", "contact_id": "c-pg"}`)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	waitContact(t, httpAddr, "c-pg", 20)
	p.terminate(t)

	httpAddr2 := freeAddr(t)
	p2 := startBinary(t, cleanEnv("SCOREFLOW_STORE="+url), "serve", "--data", t.TempDir(), "--http", httpAddr2, "--nats-listen", "off")
	p2.waitReady(t, httpAddr2)
	waitContact(t, httpAddr2, "c-pg", 20)
	p2.terminate(t)
}

// TestServeRefusesABadStore: a store that cannot be reached or read is one
// line naming the host and the cause, before anything listens; the
// password never shows.
func TestServeRefusesABadStore(t *testing.T) {
	closed := freeAddr(t) // nothing listens there
	tests := []struct {
		name, store string
		want        []string
	}{
		{"unreachable", "postgres://scoreflow:s3cret@" + closed + "/scoreflow?connect_timeout=3", []string{closed, "refused"}},
		{"unknown host", "postgres://scoreflow:s3cret@no-such-host.invalid:5432/scoreflow?connect_timeout=3", []string{"no-such-host.invalid"}},
		{"unknown scheme", "mysql://scoreflow:s3cret@db/scoreflow", []string{"unknown scheme", "mysql"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			httpAddr := freeAddr(t)
			p := startBinary(t, cleanEnv(), "serve", "--data", t.TempDir(), "--store", tt.store, "--http", httpAddr, "--nats-listen", "off")
			code := p.wait(t, 20*time.Second)
			assert.NotEqual(t, 0, code)
			out := p.out.String()
			var line string
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(l, "scoreflow: ") {
					line = l
				}
			}
			require.NotEmpty(t, line, "a plain error line; output:\n%s", out)
			for _, w := range tt.want {
				assert.Contains(t, line, w)
			}
			assert.NotContains(t, out, "s3cret")
			assert.NotContains(t, out, "scoreflow ready")
			conn, err := net.DialTimeout("tcp", httpAddr, 200*time.Millisecond)
			if err == nil {
				conn.Close()
				t.Errorf("something listens on %s", httpAddr)
			}
		})
	}
}

func TestMigrateCommand(t *testing.T) {
	url := pgtest.URL(t)
	code, out, errOut := runCmd("migrate", "--store", url)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	assert.Contains(t, out, "applied 0001_init.sql")
	code, out, errOut = runCmd("migrate", "--store", url)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	assert.Contains(t, out, "schema up to date")

	dir := t.TempDir()
	code, out, _ = runCmd("migrate", "--data", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "sqlite "+dir)
	assert.Contains(t, out, "applied 0001_init.sql")
}

// TestStoreCopyCommand moves a stopped SQLite Scoreflow into PostgreSQL
// with the command an operator runs, then serves from the copy.
func TestStoreCopyCommand(t *testing.T) {
	data := t.TempDir()
	httpAddr := freeAddr(t)
	p := startBinary(t, cleanEnv(), "serve", "--data", data, "--http", httpAddr, "--nats-listen", "off", "--examples")
	p.waitReady(t, httpAddr)
	for i := 0; i < 5; i++ {
		status, body := httpDo(t, http.MethodPost, "http://"+httpAddr+"/api/v1/events",
			fmt.Sprintf(`{"id": "cp-%d", "type": "Booked call", "contact_id": "c-copy", "account_id": "acme-copy"}`, i))
		require.Equal(t, http.StatusAccepted, status, "%s", body)
	}
	waitContact(t, httpAddr, "c-copy", 100)
	p.terminate(t)

	url := pgtest.URL(t)
	code, out, errOut := runCmd("store", "copy", "--from", data, "--to", url)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	assert.Regexp(t, `events\s+5 rows`, out)
	assert.Regexp(t, `flows\s+\d+ rows`, out)
	assert.Contains(t, out, "copied ")

	code, _, errOut = runCmd("store", "copy", "--from", data, "--to", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not empty")

	code, _, errOut = runCmd("store", "copy", "--from", t.TempDir()+"/missing", "--to", url)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no Scoreflow store")

	httpAddr2 := freeAddr(t)
	p2 := startBinary(t, cleanEnv(), "serve", "--data", t.TempDir(), "--store", url, "--http", httpAddr2, "--nats-listen", "off")
	p2.waitReady(t, httpAddr2)
	waitContact(t, httpAddr2, "c-copy", 100)
	status, body := httpDo(t, http.MethodGet, "http://"+httpAddr2+"/api/v1/accounts/acme-copy", "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Contains(t, string(body), `"score":100`, "the account came along")
	assert.Contains(t, string(body), `"contacts":1`)
	p2.terminate(t)
}
