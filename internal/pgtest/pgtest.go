// Package pgtest gives tests a real PostgreSQL: each test gets a fresh,
// empty database of its own.
//
// The server is the one named by SCOREFLOW_TEST_POSTGRES (a postgres://
// URL of a server where the tests may create databases) or, without it, a
// private cluster that the test binary starts once (initdb into a temporary
// directory, pg_ctl start on a free port) and shares between its tests. A
// package whose tests use it calls Main from TestMain, which stops that
// cluster and removes its directory when the tests are done:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without PostgreSQL binaries (initdb and pg_ctl in /usr/lib/postgresql/*/bin
// or on PATH) and without SCOREFLOW_TEST_POSTGRES a test asking for a
// database is skipped, unless SCOREFLOW_REQUIRE_POSTGRES=1 (CI), which
// makes it fail instead.
//
// Fault tests stop and start the server under load through Private, which
// always returns the private cluster (see Cluster).
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// EnvServer names an existing server to create the test databases on.
	EnvServer = "SCOREFLOW_TEST_POSTGRES"
	// EnvRequire=1 turns "no PostgreSQL here" from a skip into a failure.
	EnvRequire = "SCOREFLOW_REQUIRE_POSTGRES"
)

// URL returns the URL of a new, empty database for this test. It is
// dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	return NewDatabase(t, "")
}

// NewDatabase is URL with options appended to CREATE DATABASE, for tests
// that need a database unlike the default, such as another locale:
// "LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR'". Databases are made from
// template0 in UTF8 with the C locale unless options say otherwise.
func NewDatabase(t testing.TB, options string) string {
	t.Helper()
	if server := os.Getenv(EnvServer); server != "" {
		return createDatabase(t, server, options)
	}
	return Private(t).NewDatabase(t, options)
}

// dbSeq makes database names unique within the test binary; the process
// id makes them unique between binaries sharing one server.
var dbSeq atomic.Int64

// createDatabase creates a database on the server at adminURL and returns
// its URL.
func createDatabase(t testing.TB, adminURL, options string) string {
	t.Helper()
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL", EnvServer)
	}
	name := fmt.Sprintf("sf_%d_%d_%s", os.Getpid(), dbSeq.Add(1), slug(t.Name()))
	upper := strings.ToUpper(options)
	if !strings.Contains(upper, "LOCALE") && !strings.Contains(upper, "LC_") {
		options = "LOCALE 'C' " + options
	}
	if !strings.Contains(upper, "ENCODING") {
		options = "ENCODING 'UTF8' " + options
	}
	stmt := `CREATE DATABASE "` + name + `" TEMPLATE template0 ` + options
	if err := admin(adminURL, stmt); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		// The test's own pools are closed by now (cleanups run last first);
		// FORCE ends any connection a failed test left open.
		if err := admin(adminURL, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// admin runs one statement on the server's maintenance connection.
// CREATE and DROP DATABASE cannot run inside a transaction, so this is a
// plain connection, not a pool.
func admin(adminURL, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

// slug is a test name cut down to what an unquoted identifier may hold,
// short enough that the whole name stays under PostgreSQL's 63 bytes.
func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if b.Len() >= 30 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// unavailable skips a test that needs PostgreSQL when there is none, or
// fails it when SCOREFLOW_REQUIRE_POSTGRES=1.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("pgtest: PostgreSQL is required (%s=1) but %s", EnvRequire, why)
	}
	t.Skip("no PostgreSQL: install postgresql or set SCOREFLOW_TEST_POSTGRES")
}

// Main runs the tests of a package that uses pgtest and then stops the
// private cluster, if one was started. Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if c := started.Load(); c != nil {
		if err := c.shutdown(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}
