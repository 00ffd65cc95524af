package postgres_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/postgres"
	"github.com/scoreflow/scoreflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openAt opens the store on url and closes it when the test ends.
func openAt(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

func TestPostgresStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openAt(t, pgtest.URL(t)) })
}

// TestPostgresStoreTurkishCollation runs the suite on databases whose
// default collation is ICU's Turkish, where lower('I') is 'ı' and the
// order of text differs from code points: the store's answers may not
// depend on the database's locale.
func TestPostgresStoreTurkishCollation(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, pgtest.NewDatabase(t, "LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR'"))
	})
}

// raw is a plain connection to look at what the store interface does not
// expose.
func raw(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

type applied struct {
	version int
	name    string
}

func schemaMigrations(t *testing.T, url string) []applied {
	t.Helper()
	rows, err := raw(t, url).Query(context.Background(), `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []applied
	for rows.Next() {
		var a applied
		if err := rows.Scan(&a.version, &a.name); err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// embedded lists the migration files in order, as schema_migrations
// should record them.
func embedded(t *testing.T) []applied {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var want []applied
	for _, f := range files {
		// Numbers are assigned per change, so they may leave gaps.
		num, _, _ := strings.Cut(filepath.Base(f), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		want = append(want, applied{version: v, name: filepath.Base(f)})
	}
	if len(want) < 2 {
		t.Fatalf("only %d migrations embedded", len(want))
	}
	return want
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)

	names, err := postgres.Migrate(ctx, url)
	if err != nil {
		t.Fatalf("Migrate on an empty database: %v", err)
	}
	var want []string
	for _, m := range embedded(t) {
		want = append(want, m.name)
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Migrate applied %v, want %v", names, want)
	}
	if names, err := postgres.Migrate(ctx, url); err != nil || len(names) != 0 {
		t.Errorf("Migrate again = %v, %v; want nothing applied", names, err)
	}

	first := openAt(t, url)
	if _, err := first.CreateFlow(ctx, store.FlowRecord{ID: "kept", Name: "Kept", Doc: []byte(`{"id":"kept"}`)}); err != nil {
		t.Fatal(err)
	}
	gen, err := first.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A second store while the first is open finds everything applied.
	second := openAt(t, url)
	f, err := second.GetFlow(ctx, "kept")
	if err != nil || f.Version != 1 {
		t.Fatalf("GetFlow after reopen = %+v, %v", f, err)
	}
	if g, err := second.Generation(ctx); err != nil || g != gen {
		t.Errorf("generation after reopen = %d, %v; want %d (a migration re-run would reset it)", g, err, gen)
	}
	if got := schemaMigrations(t, url); !reflect.DeepEqual(got, embedded(t)) {
		t.Errorf("schema_migrations = %+v, want %+v", got, embedded(t))
	}
}

// TestConcurrentOpen: processes starting together on an empty database
// both succeed; the advisory lock makes one wait for the other's
// migrations instead of both creating the tables.
func TestConcurrentOpen(t *testing.T) {
	url := pgtest.URL(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*postgres.Store, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		stores[i].Close()
	}
	if got := schemaMigrations(t, url); !reflect.DeepEqual(got, embedded(t)) {
		t.Errorf("schema_migrations = %+v, want %+v", got, embedded(t))
	}
}

// TestOpenErrors: a failed Open says, in one line, which server and why,
// and never the password.
func TestOpenErrors(t *testing.T) {
	const password = "s3cret-Pa55"
	missing := strings.Replace(pgtest.URL(t), "/sf_", "/nope_", 1)
	for _, c := range []struct {
		name, url string
		want      []string
	}{
		{"nothing listens", "postgres://scoreflow:" + password + "@127.0.0.1:1/db", []string{"postgres 127.0.0.1:1: connect: connection refused"}},
		{"not a URL", "postgres://scoreflow:" + password + "@127.0.0.1:notaport/db", []string{"postgres:", "invalid URL"}},
		{"no such database", missing, []string{"postgres 127.0.0.1:", "does not exist", "3D000"}},
		{"not UTF8", pgtest.NewDatabase(t, "ENCODING 'LATIN1' LOCALE 'C'"), []string{"postgres 127.0.0.1:", "encoding is LATIN1", "needs UTF8"}},
		{"no such host", "postgres://scoreflow:" + password + "@no-such-host.invalid:5432/db", []string{"postgres no-such-host.invalid:5432:", "no-such-host.invalid"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s, err := postgres.Open(ctx, c.url)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
			if strings.Contains(msg, password) {
				t.Errorf("error shows the password: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if _, err := postgres.Migrate(ctx, c.url); err == nil || err.Error() != msg {
				t.Errorf("Migrate's error = %v, want Open's %q", err, msg)
			}
		})
	}
}

// TestFailedQueuedWriteFailsCommit: an event applied by another process
// between this batch's look-up and its commit makes the queued insert
// fail at Commit: Commit reports a conflict, and nothing of the batch is
// applied.
func TestFailedQueuedWriteFailsCommit(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, pgtest.URL(t))
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if seen, err := tx.SeenEvents([]string{"e1", "e2"}); err != nil || len(seen) != 0 {
		t.Fatalf("SeenEvents = %v, %v", seen, err)
	}
	// Another process applies e2 meanwhile.
	other, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.InsertEvent(&model.Event{ID: "e2", Type: "custom", Timestamp: base}, "c9", base); err != nil {
		t.Fatal(err)
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}

	if err := tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "c1", Score: 5, CreatedAt: base}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"e1", "e2"} {
		if err := tx.InsertEvent(&model.Event{ID: id, Type: "custom", Timestamp: base}, "c1", base); err != nil {
			t.Fatalf("InsertEvent(%s) is queued, so it cannot fail yet: %v", id, err)
		}
	}
	if err := tx.InsertLedger(&model.LedgerEntry{ContactID: "c1", At: base, Score: "engagement", Delta: 5, Value: 5}); err != nil {
		t.Fatal(err)
	}
	err = tx.Commit()
	if !errors.Is(err, model.ErrConflict) {
		t.Fatalf("Commit = %v, want a conflict", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Errorf("Rollback after a failed Commit: %v", err)
	}

	if _, err := s.GetContact(ctx, "c1"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("contact of the failed batch: %v, want not found", err)
	}
	if ok, _ := s.EventApplied(ctx, "e1"); ok {
		t.Error("event e1 of the failed batch was applied")
	}
	if h, _ := s.History(ctx, "c1", 0); len(h) != 0 {
		t.Errorf("ledger rows of the failed batch: %+v", h)
	}
	// The pool is sound afterwards.
	if n, err := s.CountContacts(ctx); err != nil || n != 0 {
		t.Errorf("CountContacts = %d, %v", n, err)
	}
}

// TestFailedQueuedWriteFailsBatch: a queued write the server refuses (JSON
// holding \u0000, which jsonb cannot store) surfaces at the next
// round trip that sends it; the batch then refuses every call, and Commit
// reports the first failure and applies nothing.
func TestFailedQueuedWriteFailsBatch(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, pgtest.URL(t))
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "ok", CreatedAt: base}}); err != nil {
		t.Fatal(err)
	}
	bad := &model.Event{ID: "e1", Type: "custom", Timestamp: base, Properties: map[string]any{"x": "a\x00b"}}
	if err := tx.InsertEvent(bad, "ok", base); err != nil {
		t.Fatal(err)
	}
	// A read of another table does not send the events.
	if r, err := tx.LoadContact("ok"); err != nil || r == nil {
		t.Fatalf("LoadContact = %v, %v", r, err)
	}
	// Neither does a count: it adds the queued events itself.
	if n, err := tx.CountContactEvents("ok", "custom", time.Time{}); err != nil || n != 1 {
		t.Fatalf("CountContactEvents = %d, %v; want the queued event counted", n, err)
	}
	err = tx.ContactEvents("ok", "custom", time.Time{}, func(map[string]any) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "insert 1 events") {
		t.Fatalf("read after the bad write = %v, want the insert's error", err)
	}
	if err := tx.InsertLedger(&model.LedgerEntry{ContactID: "ok", At: base, Score: "x", Delta: 1, Value: 1}); err == nil {
		t.Error("a failed batch took another write")
	}
	if err := tx.Commit(); err == nil || !strings.Contains(err.Error(), "insert 1 events") {
		t.Errorf("Commit = %v, want the insert's error", err)
	}
	if _, err := s.GetContact(ctx, "ok"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("contact of the failed batch: %v, want not found", err)
	}
}

// TestServerDown: while the server is down an empty Begin/Commit fails
// (the engine's health check relies on it) and so does a batch; once it
// is back the same store works again, without a restart.
func TestServerDown(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.Private(t)
	s := openAt(t, cluster.URL(t))
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	batch := func(id string) error {
		tx, err := s.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: id, CreatedAt: base}}); err != nil {
			return err
		}
		return tx.Commit()
	}
	healthy := func() error {
		tx, err := s.Begin(ctx)
		if err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := batch("before"); err != nil {
		t.Fatal(err)
	}
	if err := healthy(); err != nil {
		t.Fatalf("health check with the server up: %v", err)
	}

	cluster.Crash(t)
	defer cluster.Start(t)
	if err := healthy(); err == nil {
		t.Error("health check passed with the server down")
	}
	if err := batch("during"); err == nil {
		t.Error("a batch committed with the server down")
	}
	if _, err := s.GetContact(ctx, "before"); err == nil {
		t.Error("a read succeeded with the server down")
	}

	cluster.Start(t)
	if err := healthy(); err != nil {
		t.Errorf("health check after the restart: %v", err)
	}
	if err := batch("after"); err != nil {
		t.Fatalf("batch after the restart: %v", err)
	}
	for id, want := range map[string]bool{"before": true, "during": false, "after": true} {
		_, err := s.GetContact(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("contact %s stored = %v, want %v (%v)", id, got, want, err)
		}
	}
}
