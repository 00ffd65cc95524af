package sqlite

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// TestSeenEvents: the applied ids of a list come back, whatever they hold
// (JSON's escapes, HTML characters, bytes that are not UTF-8) and however
// many there are, and no others.
func TestSeenEvents(t *testing.T) {
	s := openInternal(t)
	ctx := context.Background()
	odd := []string{
		`quote"d`, `back\slash`, "<b>&amp;</b>", "line\nbreak", "tab\there", "\u2028sep", "émoji 🎯", "nul\x00byte",
		"bad\xffutf8", "trailing space ", "",
	}
	var stored []string
	for i := range 1200 {
		stored = append(stored, "e-"+strconv.Itoa(i))
	}
	stored = append(stored, odd...)

	tx, err := s.Begin(ctx)
	require.NoError(t, err)
	for _, id := range stored {
		require.NoError(t, tx.InsertEvent(&model.Event{ID: id, Type: "page_visited", ContactID: "c-1", Timestamp: time.Now()}, "c-1", time.Now()), "%q", id)
	}
	require.NoError(t, tx.Commit())

	cases := []struct {
		name string
		ids  []string
		want []string
	}{
		{"none", nil, nil},
		{"one applied", []string{"e-7"}, []string{"e-7"}},
		{"one new", []string{"e-99999"}, nil},
		{"mixed", []string{"e-1", "new-1", "e-2", "new-2"}, []string{"e-1", "e-2"}},
		{"repeated id", []string{"e-3", "e-3"}, []string{"e-3"}},
		{"more than a chunk of placeholders", stored[:1200], stored[:1200]},
		{"odd ids", odd, odd},
		{"odd ids never applied", []string{`quote"d2`, "bad\xfeutf8", "<i>"}, nil},
		{"prefix of an applied id", []string{"e-1", "e-", "émoji"}, []string{"e-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx, err := s.Begin(ctx)
			require.NoError(t, err)
			defer tx.Rollback()
			seen, err := tx.SeenEvents(c.ids)
			require.NoError(t, err)
			want := map[string]bool{}
			for _, id := range c.want {
				want[id] = true
			}
			assert.Equal(t, want, seen)
		})
	}
}

// TestSeenEventsUsesTheIDIndex: the JSON list is expanded into lookups
// of events' id index, never a scan of the events.
func TestSeenEventsUsesTheIDIndex(t *testing.T) {
	s := openInternal(t)
	rows, err := s.write.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+seenEventsSQL, `["a","b"]`)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notUsed, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	joined := strings.Join(plan, "; ")
	assert.Contains(t, joined, "SEARCH events USING COVERING INDEX", "plan: %s", joined)
	assert.NotContains(t, joined, "SCAN events", "plan: %s", joined)
}

func BenchmarkSeenEvents(b *testing.B) {
	for _, n := range []int{30, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s := openInternal(b)
			ctx := context.Background()
			ids := make([]string, n)
			tx, err := s.Begin(ctx)
			require.NoError(b, err)
			for i := range ids {
				ids[i] = "evt-" + strconv.Itoa(i*7919)
				if i%2 == 0 {
					require.NoError(b, tx.InsertEvent(&model.Event{ID: ids[i], Type: "page_visited", ContactID: "c-1", Timestamp: time.Now()}, "c-1", time.Now()))
				}
			}
			require.NoError(b, tx.Commit())
			tx, err = s.Begin(ctx)
			require.NoError(b, err)
			defer tx.Rollback()
			st := tx.(*sqliteTx)
			for _, way := range []struct {
				name string
				fn   func([]string) (map[string]bool, error)
			}{{"json", st.SeenEvents}, {"placeholders", st.seenEventsListed}} {
				b.Run(way.name, func(b *testing.B) {
					for range b.N {
						if _, err := way.fn(ids); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
