package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

func TestDriverValueMatchesDatabaseSQL(t *testing.T) {
	s := "x"
	var nilString *string
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		in   any
		want driver.Value
	}{
		{"nil", nil, nil},
		{"string", "a", "a"},
		{"int", 7, int64(7)},
		{"int64", int64(-3), int64(-3)},
		{"int32", int32(5), int64(5)},
		{"bool", true, true},
		{"bytes", []byte("{}"), []byte("{}")},
		{"time", at, at},
		{"valid NullString", sql.NullString{String: "b", Valid: true}, "b"},
		{"null NullString", sql.NullString{}, nil},
		{"valid NullInt64", sql.NullInt64{Int64: 9, Valid: true}, int64(9)},
		{"null NullInt64", sql.NullInt64{}, nil},
		{"string pointer", &s, "x"},
		{"nil string pointer", nilString, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := driverValue(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	_, err := driverValue(struct{ A int }{1})
	assert.Error(t, err, "a type database/sql would refuse is refused")
}

func TestRawStatementArgumentCount(t *testing.T) {
	s := openInternal(t)
	tx, err := s.Begin(context.Background())
	require.NoError(t, err)
	defer tx.Rollback()
	_, err = tx.(*sqliteTx).raw.recordEntry.exec(context.Background(), "f", "c")
	assert.ErrorContains(t, err, "takes 3 arguments, got 2")
}

// A writer connection that database/sql closes and replaces gets its hot
// statements prepared again, and the old ones are finalized rather than
// run on a closed connection.
func TestRawStatementsFollowANewWriterConnection(t *testing.T) {
	ctx := context.Background()
	s := openInternal(t)
	insert := func(id string) {
		t.Helper()
		tx, err := s.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, tx.InsertEvent(&model.Event{ID: id, Type: "page_visited", ContactID: "c-1",
			Timestamp: time.Now()}, "c-1", time.Now()))
		require.NoError(t, tx.Commit())
	}
	insert("e-1")
	first := s.raw
	require.NotNil(t, first)

	insert("e-2")
	assert.Same(t, first, s.raw, "the same connection keeps its statements")

	// With no idle connection allowed, the pool closes the writer's
	// connection when the batch gives it back; the next batch opens another.
	s.write.SetMaxIdleConns(0)
	insert("e-3")
	s.write.SetMaxIdleConns(1)
	insert("e-4")
	assert.NotSame(t, first, s.raw, "a new connection gets its own statements")
	assert.Empty(t, first.all, "the old statements are finalized")

	var n int
	require.NoError(t, s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n))
	assert.Equal(t, 4, n)

	// A repeated id is still the conflict the engine skips.
	tx, err := s.Begin(ctx)
	require.NoError(t, err)
	err = tx.InsertEvent(&model.Event{ID: "e-4", Type: "page_visited", ContactID: "c-1", Timestamp: time.Now()}, "c-1", time.Now())
	assert.ErrorIs(t, err, model.ErrConflict)
	require.NoError(t, tx.Rollback())
}

// BenchmarkInsertEvent is an event's row written through database/sql and
// on the driver connection (rawStmt):
//
//	go test -run '^$' -bench BenchmarkInsertEvent -benchmem ./store/sqlite
func BenchmarkInsertEvent(b *testing.B) {
	ctx := context.Background()
	props := sql.NullString{String: `{"url":"https://acme.test/pricing"}`, Valid: true}
	for _, way := range []string{"database-sql", "raw"} {
		b.Run(way, func(b *testing.B) {
			s, err := Open(ctx, filepath.Join(b.TempDir(), "scoreflow.db"))
			require.NoError(b, err)
			defer s.Close()
			stmt, err := s.write.PrepareContext(ctx, insertEventSQL)
			require.NoError(b, err)
			defer stmt.Close()
			tx, err := s.Begin(ctx)
			require.NoError(b, err)
			st := tx.(*sqliteTx)
			bound := st.stmt(stmt)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := "e-" + strconv.Itoa(i)
				switch way {
				case "database-sql":
					_, err = bound.Exec(id, "c-1", "page_visited", int64(i), props, sql.NullString{}, int64(i))
				case "raw":
					_, err = st.raw.insertEvent.exec(ctx, id, "c-1", "page_visited", int64(i), props, sql.NullString{}, int64(i))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			require.NoError(b, tx.Commit())
		})
	}
}

func TestScanRowAsDatabaseSQL(t *testing.T) {
	var s string
	var i int
	var i64 int64
	var f float64
	var ns sql.NullString
	var ni sql.NullInt64
	ok := []struct {
		name string
		dest any
		v    driver.Value
		want any
	}{
		{"text", &s, "a", "a"},
		{"blob into string", &s, []byte("b"), "b"},
		{"integer into string", &s, int64(12), "12"},
		{"int", &i, int64(7), 7},
		{"int64", &i64, int64(-7), int64(-7)},
		{"text into int64", &i64, "42", int64(42)},
		{"float", &f, 1.5, 1.5},
		{"integer into float", &f, int64(2), 2.0},
		{"null NullString", &ns, nil, sql.NullString{}},
		{"NullString", &ns, "x", sql.NullString{String: "x", Valid: true}},
		{"null NullInt64", &ni, nil, sql.NullInt64{}},
		{"NullInt64", &ni, int64(5), sql.NullInt64{Int64: 5, Valid: true}},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, scanRow([]driver.Value{c.v}, []any{c.dest}))
			assert.Equal(t, c.want, reflectDeref(c.dest))
		})
	}
	bad := []struct {
		name string
		dest any
		v    driver.Value
	}{
		{"NULL into string", &s, nil},
		{"NULL into int", &i, nil},
		{"text into int", &i, "x"},
		{"text into float", &f, "1.5"},
		{"unsupported destination", &[]int{}, int64(1)},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			assert.Error(t, scanRow([]driver.Value{c.v}, []any{c.dest}))
		})
	}
	assert.ErrorContains(t, scanRow([]driver.Value{int64(1), int64(2)}, []any{&i}), "2 columns into 1 destinations")
}

func reflectDeref(p any) any {
	switch x := p.(type) {
	case *string:
		return *x
	case *int:
		return *x
	case *int64:
		return *x
	case *float64:
		return *x
	case *sql.NullString:
		return *x
	case *sql.NullInt64:
		return *x
	}
	return nil
}

// queryRow says sql.ErrNoRows when nothing matched, scans the first row
// otherwise; query hands every row over.
func TestRawQueries(t *testing.T) {
	ctx := context.Background()
	s := openInternal(t)
	tx, err := s.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback()
	st := tx.(*sqliteTx)
	var n int
	require.NoError(t, st.raw.countEntriesEver.queryRow(ctx, []any{&n}, "f", "c"))
	assert.Equal(t, 0, n)
	for _, at := range []time.Time{time.UnixMilli(1000), time.UnixMilli(2000), time.UnixMilli(3000)} {
		require.NoError(t, tx.RecordEntry("f", "c", at))
	}
	require.NoError(t, st.raw.countEntries.queryRow(ctx, []any{&n}, "f", "c", int64(2000)))
	assert.Equal(t, 2, n)

	var into string
	assert.ErrorIs(t, st.raw.resolveAlias.queryRow(ctx, []any{&into}, "nobody"), sql.ErrNoRows)

	var seen []string
	require.NoError(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "a", Email: "x@acme.test", CreatedAt: time.UnixMilli(5)}}))
	require.NoError(t, tx.SaveContact(&store.ContactRecord{Contact: &model.Contact{ID: "b", Email: "x@acme.test", CreatedAt: time.UnixMilli(4)}}))
	require.NoError(t, st.raw.contactByEmail.query(ctx, func(row []driver.Value) error {
		seen = append(seen, row[0].(string))
		return nil
	}, "x@acme.test"))
	assert.ElementsMatch(t, []string{"a", "b"}, seen)
	id, err := tx.ContactIDByEmail("x@acme.test")
	require.NoError(t, err)
	assert.Equal(t, "b", id, "the oldest contact of the email")
}
