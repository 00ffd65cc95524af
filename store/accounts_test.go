package store

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/model"
)

// TestEncodeAccountScoresIsJSON: the hand-written encoding of sums and
// scores is what encoding/json writes, keys that need escaping included.
func TestEncodeAccountScoresIsJSON(t *testing.T) {
	for _, m := range []map[string]int64{
		nil,
		{},
		{"engagement": 30},
		{"fit": -7, "engagement": 0, "a_b-c.d": math.MaxInt64, "z": math.MinInt64},
		{`quo"te`: 1, `back\slash`: 2, "tab\t": 3, "<html>&": 4, "naïve": 5, "日本": 6, "": 7},
	} {
		want, err := json.Marshal(nonNilMap(m))
		assert.NoError(t, err)
		sums, scores := EncodeAccountScores(&model.Account{Sums: m, Scores: m})
		assert.Equal(t, string(want), sums, "%v", m)
		assert.Equal(t, string(want), scores, "%v", m)
		back := map[string]int64{}
		assert.NoError(t, json.Unmarshal([]byte(sums), &back))
		assert.Equal(t, len(m), len(back))
		for k, v := range m {
			assert.Equal(t, v, back[k], "%q", k)
		}
	}
}
