package engine

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"

	"github.com/scoreflow/scoreflow/model"
)

// decodeBody decodes a message body into an event. It uses goccy/go-json,
// which decodes the bench's events in about a third of encoding/json's time
// and allocations (BenchmarkDecodeBody); TestDecodeBodyAsEncodingJSON holds
// it to encoding/json's results. Properties and traits are also kept raw, so
// storing them costs no re-encoding.
//
// A body that is not valid UTF-8 goes to encoding/json, which turns the bad
// bytes into U+FFFD where go-json keeps them (checking costs ~1% of the
// decode).
func decodeBody(data []byte) (*model.Event, error) {
	unmarshal := gojson.Unmarshal
	if !utf8.Valid(data) {
		unmarshal = json.Unmarshal
	}
	// The event is returned from inside the wire form: one allocation, not
	// a second for a copy.
	wire := &struct {
		model.Event
		Properties json.RawMessage `json:"properties"`
		Traits     json.RawMessage `json:"traits"`
	}{}
	if err := unmarshal(data, wire); err != nil {
		return nil, fmt.Errorf("not an event: %w", err)
	}
	ev := &wire.Event
	if err := decodeObject(unmarshal, wire.Properties, &ev.Properties, &ev.RawProperties); err != nil {
		return nil, fmt.Errorf("properties: %w", err)
	}
	if err := decodeObject(unmarshal, wire.Traits, &ev.Traits, &ev.RawTraits); err != nil {
		return nil, fmt.Errorf("traits: %w", err)
	}
	return ev, nil
}

func decodeObject(unmarshal func([]byte, any) error, raw json.RawMessage, dst *map[string]any, keep *json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := unmarshal(raw, dst); err != nil {
		return fmt.Errorf("must be a JSON object: %w", err)
	}
	*keep = raw
	return nil
}
