package broker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// The body EventMsg writes with go-json is the one encoding/json would
// write: the same bytes, or for keys that are not valid UTF-8 the same
// object with its keys in another order.
func TestEventMsgBodyIsEncodingJSONs(t *testing.T) {
	cases := []struct {
		name     string
		ev       model.Event
		sameKeys bool // false: only the order of keys may differ
	}{
		{name: "bare", sameKeys: true,
			ev: model.Event{ID: "e-1", Type: "page_visited", ContactID: "c-1", Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))}},
		{name: "every field and awkward values", sameKeys: true,
			ev: model.Event{ID: "a<b>&", Type: "x\u2028y", ContactID: "c", Email: "é@acme.test", Timestamp: time.Unix(1700000000, 0).UTC(),
				Properties: map[string]any{"z": 1e21, "a": 0.000001, "neg": -0.0, "big": 12345678901234567890.0, "bad": "a\xffb",
					"nested": map[string]any{"k": []any{1.0, "s", nil, true}}, "num": json.Number("12.50")},
				Traits: map[string]any{"name": "<script>"}, AccountID: "acme", AnonymousID: "anon-1"}},
		{name: "a key that is not UTF-8", sameKeys: false,
			ev: model.Event{ID: "bad\xfe", Type: "t", Properties: map[string]any{"\xffkey": "v", "n": 1.0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := json.Marshal(&c.ev)
			require.NoError(t, err)
			msg, err := EventMsg(&c.ev, "api", 16)
			require.NoError(t, err)
			if c.sameKeys {
				assert.Equal(t, string(want), string(msg.Data))
				return
			}
			var a, b any
			require.NoError(t, json.Unmarshal(want, &a))
			require.NoError(t, json.Unmarshal(msg.Data, &b))
			assert.Equal(t, a, b)
		})
	}
}

// BenchmarkEventMsg: go test -run '^$' -bench BenchmarkEventMsg -benchmem ./broker
func BenchmarkEventMsg(b *testing.B) {
	ev := &model.Event{ID: "e-123456", Type: "page_visited", ContactID: "c-4242", Timestamp: time.Now(),
		Properties: map[string]any{"url": "https://acme.test/pricing", "referrer": "https://google.com", "n": 3.5}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := EventMsg(ev, "api", 16); err != nil {
			b.Fatal(err)
		}
	}
}
