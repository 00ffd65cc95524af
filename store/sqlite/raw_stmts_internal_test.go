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
