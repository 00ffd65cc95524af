package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	gojson "github.com/goccy/go-json"

	"github.com/scoreflow/scoreflow/model"
)

// The encodings every backend stores alike, so that a record, a cursor or a
// settings document read from one store means the same in the other (and
// store/stores can copy between them).

// EncodeParts fills in the JSON encodings a contact record lacks: the
// attributes, scores, tags and segments of r.Contact. A nil map or slice is
// encoded as {} or [], never null.
func EncodeParts(r *ContactRecord) error {
	c := r.Contact
	for _, p := range []struct {
		dst  *string
		v    any
		fast bool
	}{{&r.Attributes, nonNilMap(c.Attributes), false}, {&r.Scores, nonNilMap(c.Scores), true},
		{&r.Tags, nonNil(c.Tags), true}, {&r.Segments, nonNil(c.Segments), true}} {
		if *p.dst != "" {
			continue
		}
		b, err := marshalPart(p.v, p.fast)
		if err != nil {
			return err
		}
		*p.dst = string(b)
	}
	return nil
}

// marshalPart encodes integers and strings with go-json, which writes the
// same bytes as encoding/json for them in under half the time (a batch
// encodes every changed contact's scores). Attributes hold any JSON value,
// and go-json writes some floats differently (1e-07 for 1e-7): they stay
// with encoding/json, so a stored text never depends on the path it took.
func marshalPart(v any, fast bool) ([]byte, error) {
	if fast {
		return gojson.Marshal(v)
	}
	return json.Marshal(v)
}

// nonNilMap keeps a nil map from being stored as JSON null, which would
// read back as a nil map and reach the API as "attributes": null.
func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DecodeContactJSON decodes a contact's JSON columns (as EncodeParts
// writes them) into c; an empty column leaves an empty, non-nil value. It
// uses go-json, in under half encoding/json's time: every contact read
// from the store or the engine's cold cache is decoded here, and what
// EncodeParts wrote (valid UTF-8, canonical numbers) reads back the same
// (TestDecodeContactJSONMatchesEncodingJSON).
func DecodeContactJSON(c *model.Contact, attrs, scores, tags, segments string) error {
	c.Attributes = map[string]any{}
	c.Scores = map[string]int64{}
	c.Tags = []string{}
	c.Segments = []string{}
	for _, p := range []struct {
		raw string
		dst any
	}{{attrs, &c.Attributes}, {scores, &c.Scores}, {tags, &c.Tags}, {segments, &c.Segments}} {
		if p.raw == "" {
			continue
		}
		if err := gojson.Unmarshal([]byte(p.raw), p.dst); err != nil {
			return err
		}
	}
	return nil
}

// EncodeCursor is the contact list's keyset cursor after the contact with
// this score and id: the same text from every backend.
func EncodeCursor(score int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(score, 10) + ":" + id))
}

// DecodeCursor reads a cursor EncodeCursor made.
func DecodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", fmt.Errorf("malformed cursor")
	}
	num, id, ok := strings.Cut(string(b), ":")
	score, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil {
		return 0, "", fmt.Errorf("malformed cursor")
	}
	return score, id, nil
}

// DecodeSettings reads a stored settings document, its grades sorted.
func DecodeSettings(doc string) (model.Settings, error) {
	var st model.Settings
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return model.Settings{}, fmt.Errorf("decode settings: %w", err)
	}
	st.Validate() // sorts grades
	return st, nil
}
