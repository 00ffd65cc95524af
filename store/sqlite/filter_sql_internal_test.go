package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/storetest"
)

// What only the SQLite compiler's text can show; its answers are checked
// through the store interface by storetest (the conformance table and
// FilterProperty).

// filterNow has a sub-millisecond part, so every ms/ns boundary rule is used.
var filterNow = time.Date(2025, 3, 10, 12, 0, 0, 123456789, time.UTC)

func parseFilter(t testing.TB, raw string) *flows.Filter {
	t.Helper()
	f, errs := flows.ParseFilter(json.RawMessage(raw), flows.ContactFilter)
	require.Empty(t, errs, raw)
	return f
}

func TestFilterSQLNilAndKind(t *testing.T) {
	expr, args, err := filterSQL(nil, filterNow)
	require.NoError(t, err)
	assert.Equal(t, "1", expr)
	assert.Empty(t, args)
	ef, errs := flows.ParseFilter(json.RawMessage(`{"field":"url","op":"eq","value":"x"}`), flows.EventFilter)
	require.Empty(t, errs)
	_, _, err = filterSQL(ef, filterNow)
	assert.ErrorIs(t, err, store.ErrNoSQL)
}

// TestFilterSQLBindsValues checks that nothing of the filter's text reaches
// the SQL: names and values travel as parameters.
func TestFilterSQLBindsValues(t *testing.T) {
	f := parseFilter(t, `{"all":[{"field":"attributes.x'); DROP TABLE contacts; --","op":"eq","value":"'; DROP TABLE contacts; --"},
		{"event":"x'); DROP TABLE events; --","where":{"field":"a\"]'","op":"in","value":["'", "\""]}}]}`)
	expr, args, err := filterSQL(f, filterNow)
	require.NoError(t, err)
	assert.NotContains(t, expr, "DROP")
	assert.NotContains(t, expr, "x'")
	assert.NotEmpty(t, args)
}

// TestFilterSQLEveryContactField compiles a leaf on every row of the table
// of contact fields and runs it: each row's storage kind has an SQL form
// and its column exists.
func TestFilterSQLEveryContactField(t *testing.T) {
	st := openInternal(t)
	for _, f := range flows.ContactFields() {
		name := f.Name
		if f.Family() {
			name += "x"
		}
		leaf := fmt.Sprintf(`{"field":%q,"op":"exists"}`, name)
		switch {
		case f.Type == flows.FieldBool:
			leaf = fmt.Sprintf(`{"field":%q,"op":"eq","value":true}`, name)
		case f.Window:
			leaf = fmt.Sprintf(`{"field":%q,"within":"7d","op":"gte","value":1}`, name)
		}
		expr, args, err := filterSQL(parseFilter(t, leaf), filterNow)
		require.NoError(t, err, name)
		_, err = st.read.Exec(`SELECT `+expr+` FROM contacts c`, args...)
		require.NoError(t, err, name)
	}
}

// TestFilterSQLNeverNull runs every op on every kind of field and event
// property, with values of every kind, plain and negated, over contacts
// holding every kind of value or none: each expression must be 0 or 1 for
// every contact, never NULL, so NOT (expr) selects exactly the others.
func TestFilterSQLNeverNull(t *testing.T) {
	st := openInternal(t)
	ctx := context.Background()
	tx, err := st.Begin(ctx)
	require.NoError(t, err)
	created := filterNow.Add(-40 * 24 * time.Hour).Truncate(time.Millisecond)
	for i, attrs := range []string{`{}`, `{"a":null,"s":"2025-03-01T00:00:00Z","n":"12"}`, `{"a":{"b":[1,"x",null,{"c":true}]},"a.b":null}`,
		`{"a":[],"b":{},"s":[null],"n":1e308}`, `{"a":"x","a.b":{"c":"y"}}`} {
		c := &model.Contact{ID: fmt.Sprintf("c%d", i), CreatedAt: created, Scores: map[string]int64{"fit": int64(i)}}
		if i%2 == 1 {
			c.LastActivityAt = &created
			c.Tags, c.Segments, c.Grade, c.DealStage = []string{"x", ""}, []string{"s"}, "x", "y"
			c.Disqualified = &model.Disqualification{At: created}
		}
		require.NoError(t, tx.SaveContact(&store.ContactRecord{Contact: c, Attributes: attrs}))
		ev := &model.Event{ID: fmt.Sprintf("e%d", i), Type: "t", ContactID: c.ID, Timestamp: created}
		if i > 0 {
			ev.RawProperties = json.RawMessage(attrs)
		}
		require.NoError(t, tx.InsertEvent(ev, c.ID, created))
	}
	require.NoError(t, tx.Commit())

	values := []any{nil, "x", "", 12.0, true, false, "2025-03-01T00:00:00Z", []any{"x", 12.0, true, nil, "2025-03-01T00:00:00Z"}, "30d"}
	compiled := 0
	for _, raw := range storetest.LeafFilters(values) {
		f, errs := flows.ParseFilter(json.RawMessage(raw), flows.ContactFilter)
		if len(errs) > 0 {
			continue // an op the value or field does not take
		}
		expr, args, err := filterSQL(f, filterNow)
		if errors.Is(err, store.ErrNoSQL) {
			continue
		}
		require.NoError(t, err, raw)
		compiled++
		rows, err := st.read.Query(`SELECT c.id, `+expr+` FROM contacts c`, args...)
		require.NoError(t, err, raw)
		for rows.Next() {
			var id string
			var v sql.NullInt64
			require.NoError(t, rows.Scan(&id, &v))
			if !v.Valid || v.Int64 != 0 && v.Int64 != 1 {
				t.Errorf("%s on %s gave %v, want 0 or 1\nSQL: %s", raw, id, v, expr)
			}
		}
		require.NoError(t, rows.Close())
	}
	assert.Greater(t, compiled, 1000, "the test compiles what it means to")
}

func openInternal(t testing.TB) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "scoreflow.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// TestNextChangeSQLRefusesAttributeTimes: the time of an attribute is text
// the SQL here does not parse into ms, so the caller falls back to DueAll.
func TestNextChangeSQLRefusesAttributeTimes(t *testing.T) {
	_, _, _, err := nextChangeSQL(parseFilter(t, `{"field":"attributes.signup","op":"older_than","value":"1d"}`), filterNow)
	assert.ErrorIs(t, err, store.ErrNoSQL)
	_, _, ok, err := nextChangeSQL(parseFilter(t, `{"field":"score","op":"gt","value":1}`), filterNow)
	assert.NoError(t, err)
	assert.False(t, ok, "no time leaf, nothing to schedule")
}
