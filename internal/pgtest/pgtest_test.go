package pgtest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestTwoDatabasesAreDistinctAndEmpty(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.URL(t), pgtest.URL(t)
	if a == b {
		t.Fatalf("two calls gave one database: %s", a)
	}
	ca, cb := connect(t, a), connect(t, b)
	for name, c := range map[string]*pgx.Conn{"first": ca, "second": cb} {
		var tables int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("%s database has %d tables, want an empty one", name, tables)
		}
	}
	if _, err := ca.Exec(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := cb.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("a table made in the first database shows in the second")
	}
	var dbA, dbB string
	ca.QueryRow(ctx, `SELECT current_database()`).Scan(&dbA)
	cb.QueryRow(ctx, `SELECT current_database()`).Scan(&dbB)
	if dbA == dbB {
		t.Errorf("both URLs reach database %s", dbA)
	}
}

func TestDatabaseOptions(t *testing.T) {
	var ctype string
	c := connect(t, pgtest.URL(t))
	if err := c.QueryRow(context.Background(), `SELECT datctype FROM pg_database WHERE datname = current_database()`).Scan(&ctype); err != nil {
		t.Fatal(err)
	}
	if ctype != "C" {
		t.Errorf("default database LC_CTYPE = %q, want C", ctype)
	}
	c = connect(t, pgtest.NewDatabase(t, "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
	if err := c.QueryRow(context.Background(), `SELECT datctype FROM pg_database WHERE datname = current_database()`).Scan(&ctype); err != nil {
		t.Fatal(err)
	}
	if ctype != "C.UTF-8" {
		t.Errorf("LC_CTYPE with options = %q, want C.UTF-8", ctype)
	}
}

// TestStopStart: a URL handed out before a stop works again after the
// start; while stopped, connecting fails.
func TestStopStart(t *testing.T) {
	c := pgtest.Private(t)
	url := c.URL(t)
	conn := connect(t, url)
	if _, err := conn.Exec(context.Background(), `CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}

	c.Stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if down, err := pgx.Connect(ctx, url); err == nil {
		down.Close(ctx)
		t.Fatal("connected while the server was stopped")
	}
	c.Start(t)
	c.Start(t) // starting a running server is a no-op

	var x int
	if err := connect(t, url).QueryRow(context.Background(), `SELECT x FROM kept`).Scan(&x); err != nil || x != 42 {
		t.Fatalf("after restart: x = %d, %v; want 42", x, err)
	}

	// A crash loses nothing committed: the start replays the WAL.
	if _, err := connect(t, url).Exec(context.Background(), `INSERT INTO kept VALUES (43)`); err != nil {
		t.Fatal(err)
	}
	c.Crash(t)
	c.Start(t)
	var n int
	if err := connect(t, url).QueryRow(context.Background(), `SELECT count(*) FROM kept`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after crash: %d rows, %v; want 2", n, err)
	}
	c.Restart(t)
	connect(t, url)
}
