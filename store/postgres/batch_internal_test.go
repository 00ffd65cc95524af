package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// roundTrips counts what a connection sends: round trips (a batch or a
// lone query each) and the statements in them.
type roundTrips struct {
	mu         sync.Mutex
	trips      int
	statements int
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips++
	r.statements++
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips++
	r.statements += d.Batch.Len()
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (r *roundTrips) take() (trips, statements int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	trips, statements = r.trips, r.statements
	r.trips, r.statements = 0, 0
	return trips, statements
}

// tracedStore opens a store whose connections report to a roundTrips.
func tracedStore(t *testing.T) (*Store, *roundTrips) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	rt := &roundTrips{}
	cfg.ConnConfig.Tracer = rt
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := migrate(ctx, pool, time.Now); err != nil {
		t.Fatal(err)
	}
	lower, err := searchFold(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	rt.take() // the migrations' queries
	return &Store{pool: pool, now: time.Now, lower: lower, entries: newEntryCache()}, rt
}

// TestBatchRoundTrips: a batch's writes cost no round trip of their own;
// they ride with the reads that need them and with COMMIT, one statement
// per table however many rows.
func TestBatchRoundTrips(t *testing.T) {
	s, rt := tracedStore(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	const n = 300
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint("e", i)
	}
	write := func(tx store.Tx, i int) {
		t.Helper()
		c := fmt.Sprint("c", i%50)
		flow := "f"
		for _, err := range []error{
			tx.InsertEvent(&model.Event{ID: ids[i], Type: "page_visited", Timestamp: base, Properties: map[string]any{"i": i}}, c, base),
			tx.InsertLedger(&model.LedgerEntry{ContactID: c, At: base, Score: "engagement", Delta: 1, Value: int64(i), Flow: &flow}),
			tx.RecordEntry(flow, c, base),
			tx.EnqueueWebhook(model.WebhookDelivery{Key: fmt.Sprint("k", i), URL: "http://x.test", Body: []byte("{}"), NextAt: base, CreatedAt: base}),
			tx.SetMembership("seg", c, i%2 == 0, base),
			tx.AddNodeStats([]store.NodeStats{{FlowID: flow, NodeID: "n", Minute: base, Entered: 1}}),
			tx.CountEvents(base, 1),
			tx.ParkRun(store.WaitingRun{FlowID: flow, FlowVersion: 1, ContactID: c, NodeID: "d", Event: []byte("{}"), WakeAt: base, CreatedAt: base}),
			tx.MarkDecayed(c, "engagement", base),
			tx.RecordRunFailure(store.RunFailure{FlowID: flow, FlowVersion: 1, ContactID: c, Reason: "x", At: base}),
			tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: c, Score: int64(i), CreatedAt: base}}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	// Writes only: the look-up of the batch's events, then everything with COMMIT.
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.SeenEvents(ids); err != nil {
		t.Fatal(err)
	}
	for i := range n / 2 {
		write(tx, i)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	trips, statements := rt.take()
	if trips != 2 {
		t.Errorf("a batch of %d writes took %d round trips, want 2 (look-up, commit)", n/2*11, trips)
	}
	if statements > 16 {
		t.Errorf("it sent %d statements, want one per table and BEGIN/COMMIT", statements)
	}

	// With reads between the writes: one round trip per read, still one
	// statement per table per round trip at most. Entries are read once
	// per contact and flow, then counted here.
	tx, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.SeenEvents(ids); err != nil {
		t.Fatal(err)
	}
	reads := 0
	for i := n / 2; i < n; i++ {
		c := fmt.Sprint("c", i%50)
		if _, err := tx.CountEntries("f", c, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.CountContactEvents(c, "page_visited", time.Time{}); err != nil {
			t.Fatal(err)
		}
		reads += 2
		write(tx, i)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if trips, _ := rt.take(); trips != reads/2+50+2 {
		t.Errorf("%d reads took %d round trips, want %d", reads, trips, reads/2+50+2)
	}

	// And all of it arrived.
	for _, c := range []struct {
		table string
		want  int
	}{{"events", n}, {"ledger", n}, {"flow_entries", n}, {"webhook_outbox", n}, {"waiting_runs", n}, {"run_failures", n},
		{"contacts", 50}, {"score_decay", 50}, {"segment_members", 25}} {
		var got int
		if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM `+c.table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s has %d rows, want %d", c.table, got, c.want)
		}
	}
	stats, err := s.FlowStats(ctx, "f", base)
	if err != nil {
		t.Fatal(err)
	}
	if err != nil || len(stats) != 1 || stats[0].Entered != n {
		t.Errorf("FlowStats = %+v, %v; want %d entered", stats, err, n)
	}
	minutes, err := s.EventsPerMinute(ctx, base)
	if err != nil || len(minutes) != 1 || minutes[0].Count != n {
		t.Errorf("EventsPerMinute = %+v, %v; want %d", minutes, err, n)
	}
}

// TestEntryCache: after a batch has counted a contact's entries into a
// flow, later batches count them without a round trip; an entry recorded
// behind the cache's back (another process) fails the commit of the batch
// that relied on the stale count, and the next batch reads the table.
func TestEntryCache(t *testing.T) {
	s, rt := tracedStore(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	count := func(tx store.Tx, flow, contact string, since time.Time) int {
		t.Helper()
		n, err := tx.CountEntries(flow, contact, since)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	batch := func(fn func(tx store.Tx)) error {
		t.Helper()
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		fn(tx)
		return tx.Commit()
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(batch(func(tx store.Tx) {
		if n := count(tx, "f", "c", time.Time{}); n != 0 {
			t.Errorf("count before any entry = %d", n)
		}
		must(tx.RecordEntry("f", "c", base))
		must(tx.RecordEntry("f", "c", base.Add(time.Hour)))
		if n := count(tx, "f", "c", base.Add(time.Minute)); n != 1 {
			t.Errorf("count of the batch's own entries since +1m = %d, want 1", n)
		}
	}))
	rt.take()
	must(batch(func(tx store.Tx) {
		for _, c := range []struct {
			since time.Time
			want  int
		}{{time.Time{}, 2}, {base, 2}, {base.Add(time.Millisecond), 1}, {base.Add(2 * time.Hour), 0}} {
			if n := count(tx, "f", "c", c.since); n != c.want {
				t.Errorf("cached count since %v = %d, want %d", c.since, n, c.want)
			}
		}
		must(tx.RecordEntry("f", "c", base.Add(2*time.Hour)))
		if n := count(tx, "f", "c", time.Time{}); n != 3 {
			t.Errorf("cached count with the batch's entry = %d, want 3", n)
		}
	}))
	if trips, _ := rt.take(); trips != 1 {
		t.Errorf("a batch counting from the cache took %d round trips, want 1 (the commit)", trips)
	}

	// Another process records an entry: the cache does not know.
	if _, err := s.pool.Exec(ctx, `INSERT INTO flow_entries (flow_id, contact_id, at) VALUES ('f', 'c', $1)`, ms(base.Add(3*time.Hour))); err != nil {
		t.Fatal(err)
	}
	err := batch(func(tx store.Tx) {
		if n := count(tx, "f", "c", time.Time{}); n != 3 {
			t.Errorf("stale cached count = %d, want the cache's 3", n)
		}
		must(tx.RecordEntry("f", "c", base.Add(4*time.Hour)))
		must(tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "c", CreatedAt: base}}))
	})
	if err == nil || !strings.Contains(err.Error(), "flow entries changed") {
		t.Fatalf("commit on a stale count = %v, want the check's failure", err)
	}
	if _, err := s.GetContact(ctx, "c"); err == nil {
		t.Error("the failed batch's contact was stored")
	}
	must(batch(func(tx store.Tx) {
		if n := count(tx, "f", "c", time.Time{}); n != 4 {
			t.Errorf("count after the failed commit = %d, want 4 from the table", n)
		}
	}))

	// A deleted contact has no entries, whatever the cache held.
	must(batch(func(tx store.Tx) {
		must(tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "c", CreatedAt: base}}))
	}))
	must(batch(func(tx store.Tx) {
		if gone, err := tx.DeleteContact("c"); err != nil || !gone {
			t.Fatalf("DeleteContact = %v, %v", gone, err)
		}
		if n := count(tx, "f", "c", time.Time{}); n != 0 {
			t.Errorf("count after delete = %d", n)
		}
		must(tx.RecordEntry("f", "c", base))
		if n := count(tx, "f", "c", time.Time{}); n != 1 {
			t.Errorf("count after delete and a new entry = %d", n)
		}
	}))
	must(batch(func(tx store.Tx) {
		if n := count(tx, "f", "c", time.Time{}); n != 1 {
			t.Errorf("count in the next batch = %d, want 1", n)
		}
	}))
	var stored int
	must(s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM flow_entries WHERE contact_id = 'c'`).Scan(&stored))
	if stored != 1 {
		t.Errorf("table holds %d entries of c, want 1", stored)
	}
}
