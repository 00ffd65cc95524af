package store

import (
	"encoding/json"
	"math"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// EncodeParts uses go-json for scores, tags and segments; what it writes
// must be byte for byte what encoding/json writes, so a stored text never
// depends on the path it took.
func TestEncodePartsMatchesEncodingJSON(t *testing.T) {
	values := []any{
		map[string]int64{"engagement": 23, "fit": -15, "": 0, "z": math.MaxInt64, "a": math.MinInt64, "<&>": 1, "é 日本": 2},
		[]string{"trial", "<tag>", "é", "a\u2028b\u2029c", "\x00\x1f\"\\", "🎉"},
		map[string]int64{},
		[]string{},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		got, err := gojson.Marshal(v)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%#v", v)
	}
	// Attributes keep encoding/json: go-json writes 1e-7 as 1e-07.
	attrs := map[string]any{"small": 1e-7, "big": 1e21, "html": "<b>", "nested": []any{0.1, nil, true}}
	r := &ContactRecord{Contact: &model.Contact{ID: "c", Attributes: attrs, Scores: values[0].(map[string]int64)}}
	require.NoError(t, EncodeParts(r))
	want, _ := json.Marshal(attrs)
	assert.Equal(t, string(want), r.Attributes)
	want, _ = json.Marshal(values[0])
	assert.Equal(t, string(want), r.Scores)
	assert.Equal(t, "[]", r.Tags)
	assert.Equal(t, "[]", r.Segments)
}

// DecodeContactJSON reads with go-json; what it reads from the columns
// EncodeParts writes must be what encoding/json reads.
func TestDecodeContactJSONMatchesEncodingJSON(t *testing.T) {
	c := &model.Contact{ID: "c",
		Attributes: map[string]any{"small": 1e-7, "big": 1e21, "int": 42, "neg": -0.5, "html": "<b>&</b>", "uni": "é 日本 🎉 a\u2028b",
			"ctl": "\x00\x1f\"\\", "nested": map[string]any{"list": []any{0.1, nil, true, "x"}, "empty": map[string]any{}}, "none": nil},
		Scores: map[string]int64{"engagement": 23, "fit": -15, "z": math.MaxInt64, "a": math.MinInt64},
		Tags:   []string{"trial", "<tag>", "é"}, Segments: []string{"a", "b"}}
	r := &ContactRecord{Contact: c}
	require.NoError(t, EncodeParts(r))
	got := &model.Contact{}
	require.NoError(t, DecodeContactJSON(got, r.Attributes, r.Scores, r.Tags, r.Segments))
	want := &model.Contact{Attributes: map[string]any{}, Scores: map[string]int64{}}
	for _, p := range []struct {
		raw string
		dst any
	}{{r.Attributes, &want.Attributes}, {r.Scores, &want.Scores}, {r.Tags, &want.Tags}, {r.Segments, &want.Segments}} {
		require.NoError(t, json.Unmarshal([]byte(p.raw), p.dst))
	}
	assert.Equal(t, want.Attributes, got.Attributes)
	assert.Equal(t, want.Scores, got.Scores)
	assert.Equal(t, want.Tags, got.Tags)
	assert.Equal(t, want.Segments, got.Segments)

	empty := &model.Contact{}
	require.NoError(t, DecodeContactJSON(empty, "", "", "", ""))
	assert.NotNil(t, empty.Attributes)
	assert.NotNil(t, empty.Scores)
	assert.Equal(t, []string{}, empty.Tags)
	assert.Error(t, DecodeContactJSON(&model.Contact{}, `{"a":`, "", "", ""), "a broken column is an error")
}
