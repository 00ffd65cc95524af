package lab

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

func p(v int64) *int64 { return &v }

// defaultGrades are the default settings' grades, given out of order so
// Evaluate's own sorting is exercised.
var defaultGrades = []model.Grade{{Name: "hot", Min: p(50)}, {Name: "cold"}, {Name: "warm", Min: p(20)}}

// judgedScores makes contacts c0, c1, … with those scores, graded by the
// default settings, converted where conv says.
func judgedScores(scores []int64, conv []bool) []Judged {
	s := model.DefaultSettings()
	out := make([]Judged, len(scores))
	for i, sc := range scores {
		out[i] = Judged{Contact: fmt.Sprintf("c%d", i), Score: sc, Grade: s.GradeFor(sc), Converted: conv[i]}
	}
	return out
}

func TestEvaluateHistogram(t *testing.T) {
	cases := []struct {
		name    string
		scores  []int64
		buckets int
		want    []Bucket
	}{
		{"none", nil, 10, []Bucket{}},
		{"one score", []int64{7}, 10, []Bucket{{7, 8, 1}}},
		{"width 1", []int64{0, 3, 3}, 10, []Bucket{{0, 1, 1}, {1, 2, 0}, {2, 3, 0}, {3, 4, 2}}},
		// span 0..37 = 38 in ≤ 10 buckets → width 5, starting at 0.
		{"width 5", []int64{0, 12, 37}, 10, []Bucket{{0, 5, 1}, {5, 10, 0}, {10, 15, 1}, {15, 20, 0}, {20, 25, 0}, {25, 30, 0}, {30, 35, 0}, {35, 40, 1}}},
		// span −7..13 = 21 in ≤ 5 buckets → width 5, the first bucket at −10.
		{"negative", []int64{-7, 13}, 5, []Bucket{{-10, -5, 1}, {-5, 0, 0}, {0, 5, 0}, {5, 10, 0}, {10, 15, 1}}},
		// span 0..1000 = 1001 in ≤ 20 buckets → width 100 (50 needs 21).
		{"width 100", []int64{0, 1000}, 20, func() []Bucket {
			var b []Bucket
			for lo := int64(0); lo <= 1000; lo += 100 {
				b = append(b, Bucket{lo, lo + 100, 0})
			}
			b[0].Contacts, b[10].Contacts = 1, 1
			return b
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := Evaluate(judgedScores(c.scores, make([]bool, len(c.scores))), defaultGrades, c.buckets)
			assert.Equal(t, c.want, ev.Histogram)
		})
	}
}

func TestEvaluateGrades(t *testing.T) {
	t.Run("every grade present", func(t *testing.T) {
		ev := Evaluate(judgedScores([]int64{1, 2, 60}, []bool{false, false, true}), defaultGrades, 10)
		assert.Equal(t, map[string]int64{"cold": 2, "warm": 0, "hot": 1}, ev.Grades)
	})
	t.Run("no grade counts as none", func(t *testing.T) {
		grades := []model.Grade{{Name: "a", Min: p(10)}}
		judged := []Judged{{Contact: "x", Score: 3}, {Contact: "y", Score: 12, Grade: "a"}}
		ev := Evaluate(judged, grades, 10)
		assert.Equal(t, map[string]int64{"a": 1, "none": 1}, ev.Grades)
		// The score below the only grade's bound is in no band.
		require.Len(t, ev.Outcome.Bands, 1)
		assert.Equal(t, int64(1), ev.Outcome.Bands[0].Contacts)
	})
}

func TestEvaluateBands(t *testing.T) {
	// cold: 4 contacts, 1 converted; warm: 2, 1; hot: 2, 2.
	scores := []int64{0, 5, 10, 19, 20, 49, 50, 90}
	conv := []bool{false, false, true, false, false, true, true, true}
	ev := Evaluate(judgedScores(scores, conv), defaultGrades, 10)
	assert.Equal(t, []Band{
		{Band: "cold", Min: nil, Max: p(20), Contacts: 4, Converted: 1, Rate: 0.25},
		{Band: "warm", Min: p(20), Max: p(50), Contacts: 2, Converted: 1, Rate: 0.5},
		{Band: "hot", Min: p(50), Max: nil, Contacts: 2, Converted: 2, Rate: 1},
	}, ev.Outcome.Bands)
	assert.Equal(t, int64(4), ev.Outcome.Converted)
}

func TestEvaluateDeciles(t *testing.T) {
	t.Run("distinct scores", func(t *testing.T) {
		// 20 contacts scored 0..19: two per decile; the top four converted.
		scores := make([]int64, 20)
		conv := make([]bool, 20)
		for i := range scores {
			scores[i], conv[i] = int64(i), i >= 16
		}
		ev := Evaluate(judgedScores(scores, conv), defaultGrades, 10)
		d := ev.Outcome.Deciles
		require.Len(t, d, 10)
		for i, b := range d {
			assert.Equal(t, fmt.Sprint(i+1), b.Band)
			assert.Equal(t, int64(2), b.Contacts, "decile %s", b.Band)
			assert.Equal(t, int64(2*i), *b.Min)
			assert.Equal(t, int64(2*i+1), *b.Max)
		}
		assert.Equal(t, Band{Band: "10", Min: p(18), Max: p(19), Contacts: 2, Converted: 2, Rate: 1}, d[9])
		require.NotNil(t, ev.Outcome.LiftTopDecile)
		assert.InDelta(t, 1/(4.0/20), *ev.Outcome.LiftTopDecile, 1e-12)
		require.NotNil(t, ev.Outcome.AUC)
		assert.InDelta(t, 1.0, *ev.Outcome.AUC, 1e-12)
	})
	t.Run("ties go whole to the decile of their highest rank", func(t *testing.T) {
		// Six zeros then four distinct scores: the zeros fill ranks 0..5,
		// so all go to decile 6 and deciles 1..5 are empty.
		scores := []int64{0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
		ev := Evaluate(judgedScores(scores, make([]bool, 10)), defaultGrades, 10)
		d := ev.Outcome.Deciles
		for i := 0; i < 5; i++ {
			assert.Equal(t, Band{Band: fmt.Sprint(i + 1)}, d[i])
		}
		assert.Equal(t, int64(6), d[5].Contacts)
		for i := 6; i < 10; i++ {
			assert.Equal(t, int64(1), d[i].Contacts)
			assert.Equal(t, int64(i-5), *d[i].Min)
		}
	})
	t.Run("a constant model has lift 1", func(t *testing.T) {
		scores := []int64{5, 5, 5, 5, 5, 5, 5, 5}
		conv := []bool{true, false, false, true, false, false, false, false}
		ev := Evaluate(judgedScores(scores, conv), defaultGrades, 10)
		assert.Equal(t, int64(8), ev.Outcome.Deciles[9].Contacts)
		require.NotNil(t, ev.Outcome.LiftTopDecile)
		assert.InDelta(t, 1.0, *ev.Outcome.LiftTopDecile, 1e-12)
		assert.InDelta(t, 0.5, *ev.Outcome.AUC, 1e-12)
	})
}

func TestEvaluateUndefined(t *testing.T) {
	cases := []struct {
		name   string
		scores []int64
		conv   []bool
		lift   bool
	}{
		{"no contacts", nil, nil, false},
		{"nobody converted", []int64{1, 2, 3}, []bool{false, false, false}, false},
		{"everybody converted", []int64{1, 2, 3}, []bool{true, true, true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := Evaluate(judgedScores(c.scores, c.conv), defaultGrades, 10)
			assert.Nil(t, ev.Outcome.AUC)
			assert.Equal(t, c.lift, ev.Outcome.LiftTopDecile != nil)
			assert.Len(t, ev.Outcome.Deciles, 10)
			assert.Len(t, ev.Outcome.Bands, 3)
			// JSON carries null for the undefined figures and [] for lists.
			raw, err := json.Marshal(ev)
			require.NoError(t, err)
			assert.Contains(t, string(raw), `"auc":null`)
			assert.Contains(t, string(raw), `"roc":[]`)
			assert.Contains(t, string(raw), `"histogram":[`)
		})
	}
}

func TestEvaluateJSONShape(t *testing.T) {
	ev := Evaluate(judgedScores([]int64{0, 30, 60}, []bool{false, false, true}), defaultGrades, 10)
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.ElementsMatch(t, []string{"histogram", "grades", "outcome"}, keys(got))
	outcome := got["outcome"].(map[string]any)
	assert.ElementsMatch(t, []string{"converted", "bands", "deciles", "auc", "lift_top_decile", "roc"}, keys(outcome))
	band := outcome["bands"].([]any)[0].(map[string]any)
	assert.ElementsMatch(t, []string{"band", "min", "max", "contacts", "converted", "rate"}, keys(band))
	assert.Nil(t, band["min"], "the open bottom grade has min null")
	bucket := got["histogram"].([]any)[0].(map[string]any)
	assert.ElementsMatch(t, []string{"min", "max", "contacts"}, keys(bucket))
	roc := outcome["roc"].([]any)
	assert.Equal(t, map[string]any{"fpr": 0.0, "tpr": 0.0}, roc[0])
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMovers(t *testing.T) {
	live := []Judged{
		{Contact: "a", Score: 10, Grade: "cold"},
		{Contact: "b", Score: 30, Grade: "warm"},
		{Contact: "c", Score: 5, Grade: "cold"},
		{Contact: "d", Score: 0, Grade: "cold"},
		{Contact: "e", Score: 40, Grade: "warm"},
		{Contact: "f", Score: 7, Grade: "cold"},
	}
	draft := []Judged{
		{Contact: "f", Score: 7, Grade: "cold"},  // unchanged
		{Contact: "e", Score: 10, Grade: "cold"}, // −30
		{Contact: "d", Score: 30, Grade: "warm"}, // +30
		{Contact: "c", Score: 5, Grade: "warm"},  // grade only (other settings)
		{Contact: "b", Score: 60, Grade: "hot"},  // +30
		{Contact: "a", Score: 12, Grade: "cold"}, // +2
		{Contact: "g", Score: 50, Grade: "hot"},  // only in the draft
	}
	cases := []struct {
		limit int
		want  []string
	}{
		{0, []string{"g", "b", "d", "e", "a", "c"}},
		{3, []string{"g", "b", "d"}},
		{100, []string{"g", "b", "d", "e", "a", "c"}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint("limit ", c.limit), func(t *testing.T) {
			got := Movers(live, draft, c.limit)
			ids := make([]string, len(got))
			for i, m := range got {
				ids[i] = m.Contact
			}
			assert.Equal(t, c.want, ids)
		})
	}
	got := Movers(live, draft, 0)
	assert.Equal(t, Mover{Contact: "b", LiveScore: 30, DraftScore: 60, LiveGrade: "warm", DraftGrade: "hot"}, got[1])
	assert.Equal(t, Mover{Contact: "g", DraftScore: 50, DraftGrade: "hot"}, got[0])
	assert.Equal(t, []Mover{}, Movers(live, live, 10), "no change → an empty list, not null")
}
