package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventBodies are single events and batches as clients send them, and the
// odd ones: case-insensitive and repeated keys, escapes, big and
// fractional numbers, nulls, bad types, bad UTF-8, trailing garbage.
var eventBodies = []string{
	`{"id":"e1","type":"page_visited","contact_id":"c-1","properties":{"url":"https://acme.test/pricing","n":3}}`,
	`{"type":"identify","email":"A@Acme.test","traits":{"age":41,"tags":["a","b"],"nested":{"x":null}},"timestamp":"2026-11-23T10:00:00.123+02:00"}`,
	`{"Type":"Hit","CONTACT_ID":"c-2","id":"x","id":"y"}`,
	`{"type":"Hit","contact_id":"c-3","properties":{"big":12345678901234567890,"f":-1.5e-7,"s":"\u00e9\ud83d\ude00\n\u0000"}}`,
	`{"type":"Hit","contact_id":null,"properties":null,"traits":null,"timestamp":null}`,
	`{"type":"Hit","contact_id":"c-4","account_id":"acme","anonymous_id":"anon-1","unknown":{"deep":[1,2,3]}}`,
	`{"events":[{"type":"Hit","contact_id":"c-1"},{"type":"Booked call","email":"b@acme.test","properties":{"k":"v"}}]}`,
	`{"events":[]}`,
	`{"events":null,"type":"Hit","contact_id":"c-5"}`,
	`{"type":"Hit","contact_id":"c-1","properties":"not an object"}`,
	`{"type":7,"contact_id":"c-1"}`,
	`{"type":"Hit","contact_id":"c-1","timestamp":5}`,
	`{"events":{"type":"Hit"}}`,
	`{"events":[{"type":"Hit","contact_id":["c-1"]}]}`,
	"{\"type\":\"Hit\",\"contact_id\":\"c-\xff\xfe\"}",
	`{"type":"Hit","contact_id":"c-1"} trailing`,
	`{"type":"Hit","contact_id":"c-1"`,
	`{"type":"Hit","contact_id":"c-1","properties":{"a":1,"a":2}}`,
}

// TestDecodeEventsAsEncodingJSON: what decodeEvents makes of a body with
// go-json is what encoding/json alone makes of it, values and errors.
func TestDecodeEventsAsEncodingJSON(t *testing.T) {
	type wire struct {
		wireEvent
		Events *[]json.RawMessage `json:"events"`
	}
	for _, body := range eventBodies {
		var got, want wire
		gotErr, wantErr := unmarshalEvent([]byte(body), &got), json.Unmarshal([]byte(body), &want)
		assert.Equal(t, want, got, "%s", body)
		assert.Equal(t, wantErr, gotErr, "%s", body)

		var gotOne, wantOne wireEvent
		gotErr, wantErr = unmarshalEvent([]byte(body), &gotOne), json.Unmarshal([]byte(body), &wantOne)
		assert.Equal(t, wantOne, gotOne, "%s", body)
		assert.Equal(t, wantErr, gotErr, "%s", body)
	}
	// The whole decode, messages included, for a body each way.
	evs, batch, details, err := decodeEvents([]byte(eventBodies[6]))
	require.NoError(t, err)
	assert.True(t, batch)
	assert.Empty(t, details)
	require.Len(t, evs, 2)
	assert.Equal(t, "b@acme.test", evs[1].Email)
	assert.Equal(t, map[string]any{"k": "v"}, evs[1].Properties)
	_, _, details, err = decodeEvents([]byte(eventBodies[9]))
	require.NoError(t, err)
	require.Len(t, details, 1)
	assert.Equal(t, "properties", details[0].Path)
}

func BenchmarkDecodeEvents(b *testing.B) {
	body := []byte(`{"id":"r-1-42","type":"email_clicked","properties":{"email":"onboarding-1","link":"https://acme.test/x"},"contact_id":"c-4242"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := decodeEvents(body); err != nil {
			b.Fatal(err)
		}
	}
}
