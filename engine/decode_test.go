package engine

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// stdDecodeBody is decodeBody with encoding/json: the reference it must match.
func stdDecodeBody(data []byte) (*model.Event, error) {
	var wire struct {
		model.Event
		Properties json.RawMessage `json:"properties"`
		Traits     json.RawMessage `json:"traits"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return nil, err
	}
	ev := wire.Event
	for _, p := range []struct {
		raw  json.RawMessage
		dst  *map[string]any
		keep *json.RawMessage
	}{{wire.Properties, &ev.Properties, &ev.RawProperties}, {wire.Traits, &ev.Traits, &ev.RawTraits}} {
		if len(p.raw) == 0 || string(p.raw) == "null" {
			continue
		}
		if err := json.Unmarshal(p.raw, p.dst); err != nil {
			return nil, err
		}
		*p.keep = p.raw
	}
	return &ev, nil
}

// TestDecodeBodyAsEncodingJSON: the fast decoder reads every body as
// encoding/json does (the same event, or an error for both), over the
// shapes events arrive in and the corners of JSON.
func TestDecodeBodyAsEncodingJSON(t *testing.T) {
	bodies := []string{
		`{"id":"e1","type":"page_visited","contact_id":"c1","timestamp":"2026-03-01T12:00:00.123Z","properties":{"url":"https://acme.test/pricing","title":"Pricing"}}`,
		`{"id":"e2","type":"identify","email":"A@Acme.test","traits":{"country":"DE","age":31,"vip":true,"score":1.5e3,"big":12345678901234567890,"neg":-0.0,"nested":{"a":[1,"x",null,{"b":false}]}}}`,
		`{"type":"Signed up for trial","contact_id":"c2","properties":null,"traits":null}`,
		`{"ID":"e3","Type":"x","CONTACT_ID":"c3"}`,                 // keys match fields without regard to case
		`{"id":"e4","type":"x","contact_id":"c4","id":"e4-again"}`, // the last duplicate wins
		`{"id":"e5","type":"x","contact_id":"c5","properties":{"k":"v","k":"w"}}`,
		`{"id":"\u00e9\ud83d\ude00\n\t\"\\\/","type":"x","contact_id":"c6","properties":{"s":"\u0000\u001f<>&\u2028"}}`,
		`{"id":"e7","type":"x","contact_id":"c7","unknown":{"deep":[1,2,3]},"depth":2}`,
		`{"id":"e8","type":"x","contact_id":"c8","timestamp":"2026-03-01T12:00:00+02:00"}`,
		`  {"id":"e9","type":"x","contact_id":"c9"}  `,
		`{"id":"e10","type":"x","contact_id":"c10","properties":{"url":"https://acme.test/é?q=1#f","n":0,"f":1e-7}}`,
		"{\"id\":\"e19\xff\",\"type\":\"x\",\"contact_id\":\"c19\",\"properties\":{\"s\":\"a\xc3\"}}", // invalid UTF-8
		// refused by both
		`{"id":"e11","type":"x","contact_id":"c11","properties":[1,2]}`,
		`{"id":"e12","type":"x","contact_id":"c12","properties":"text"}`,
		`{"id":"e13","type":"x","contact_id":"c13","timestamp":"yesterday"}`,
		`{"id":"e14","type":"x","contact_id":"c14","timestamp":12}`,
		`{"id":15,"type":"x","contact_id":"c15"}`,
		`{"id":"e16","type":"x"`,
		`not json`,
		`[]`,
		`{"id":"e17","type":"x","contact_id":"c17"} trailing`,
		`{"id":"e18","type":"x","contact_id":"c18","properties":{"a":1,}}`,
		``,
	}
	for i, body := range bodies {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, wantErr := stdDecodeBody([]byte(body))
			got, err := decodeBody([]byte(body))
			if wantErr != nil {
				assert.Error(t, err, "encoding/json refuses %s: %v", body, wantErr)
				return
			}
			require.NoError(t, err, body)
			assert.Equal(t, want, got, body)
		})
	}
}

// BenchmarkDecodeBody is the JSON part of decoding a bench event:
//
//	go test -run '^$' -bench BenchmarkDecodeBody -benchmem ./engine
func BenchmarkDecodeBody(b *testing.B) {
	body := []byte(`{"id":"b-12345","type":"identify","contact_id":"c-345","email":"lead345@acme.test","timestamp":"2026-12-01T20:00:00.123Z","traits":{"country":"DE","city":"Berlin","age":31,"job_title":"CEO","company_size":120,"buying_authority":true}}`)
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			_, _ = stdDecodeBody(body)
		}
	})
	b.Run("go-json", func(b *testing.B) {
		for b.Loop() {
			_, _ = decodeBody(body)
		}
	})
}
