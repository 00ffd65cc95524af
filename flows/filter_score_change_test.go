package flows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// historyRow is one score change of a scoreSubject.
type historyRow struct {
	dim     string
	delta   int64
	eventAt time.Time
}

// scoreSubject sums its rows as the store does: Since < event_at <= Until.
type scoreSubject struct {
	rows    []historyRow
	queries []ScoreChangeQuery
}

func (s *scoreSubject) Value(string) (any, bool) { return nil, false }

func (s *scoreSubject) ScoreChange(q ScoreChangeQuery) (float64, error) {
	s.queries = append(s.queries, q)
	sum := 0.0
	for _, r := range s.rows {
		if (q.Dimension == "" || r.dim == q.Dimension) && r.eventAt.After(q.Since) && !r.eventAt.After(q.Until) {
			sum += float64(r.delta)
		}
	}
	return sum, nil
}

func TestScoreChangeMatch(t *testing.T) {
	s := &scoreSubject{rows: []historyRow{
		{"engagement", 15, filterDaysAgo(1)},
		{"engagement", 10, filterDaysAgo(3)},
		{"fit", -8, filterDaysAgo(2)},
		{"engagement", 100, filterDaysAgo(7)}, // exactly now-7d: out of (now-7d, now]
		{"engagement", 40, filterDaysAgo(10)},
		{"engagement", 500, filterNow.Add(time.Hour)}, // stamped ahead of now: not yet in
	}}
	for _, tt := range []struct {
		filter string
		want   bool
	}{
		{`{"field":"score_change","within":"7d","op":"eq","value":17}`, true},
		{`{"field":"score_change.engagement","within":"7d","op":"gte","value":25}`, true},
		{`{"field":"score_change.engagement","within":"7d","op":"gt","value":25}`, false},
		{`{"field":"score_change.fit","within":"7d","op":"lt","value":0}`, true},
		{`{"field":"score_change.fit","within":"1d","op":"eq","value":0}`, true},
		{`{"field":"score_change","within":"8d","op":"eq","value":117}`, true},
		{`{"field":"score_change","within":"30d","op":"neq","value":157}`, false},
		{`{"field":"score_change.none","within":"30d","op":"lte","value":0}`, true},
		{`{"not":{"field":"score_change","within":"7d","op":"gte","value":20}}`, true},
	} {
		f := mustParseFilter(t, tt.filter, ContactFilter)
		got, err := f.Match(s, filterNow)
		require.NoError(t, err, tt.filter)
		assert.Equal(t, tt.want, got, tt.filter)
	}
	s.queries = nil
	f := mustParseFilter(t, `{"field":"score_change.fit","within":"36h","op":"gte","value":1}`, ContactFilter)
	_, err := f.Match(s, filterNow)
	require.NoError(t, err)
	assert.Equal(t, []ScoreChangeQuery{{Dimension: "fit", Since: filterNow.Add(-36 * time.Hour), Until: filterNow}}, s.queries)

	_, err = f.Match(filterPlainSubject{}, filterNow)
	assert.True(t, errors.Is(err, ErrNoScoreHistory), "%v", err)
}

// A false field leaf settles an "all" before the history is summed.
func TestScoreChangeIsEvaluatedLate(t *testing.T) {
	s := &scoreSubject{}
	f := mustParseFilter(t, `{"all":[{"field":"score_change","within":"7d","op":"gte","value":20},{"field":"score","op":"gt","value":1}]}`, ContactFilter)
	ok, err := f.Match(s, filterNow)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, s.queries)
}

func TestScoreChangeParseErrors(t *testing.T) {
	for _, tt := range []struct {
		filter, path, msg string
		kind              FilterKind
	}{
		{`{"field":"score_change","op":"gte","value":20}`, "within", "is required for score_change", ContactFilter},
		{`{"field":"score_change.fit","within":"soon","op":"gte","value":20}`, "within", "invalid duration", ContactFilter},
		{`{"field":"score_change","within":"0d","op":"gte","value":20}`, "within", "must be positive", ContactFilter},
		{`{"field":"score_change","within":"7d","op":"contains","value":20}`, "op", "score_change is a number of points: use one of eq, neq, gt, gte, lt, lte", ContactFilter},
		{`{"field":"score_change","within":"7d","op":"exists"}`, "op", "is a number of points", ContactFilter},
		{`{"field":"score_change","within":"7d","op":"gte","value":"2024-01-01T00:00:00Z"}`, "value", "must be a number of points", ContactFilter},
		{`{"field":"score_change","within":"7d","op":"eq","value":"20"}`, "value", "must be a number of points", ContactFilter},
		{`{"field":"score","within":"7d","op":"gte","value":20}`, "within", "within applies only to score_change", ContactFilter},
		{`{"field":"url","within":"7d","op":"eq","value":"/x"}`, "within", "a filter on an event reads its properties", EventFilter},
		{`{"event":"x","where":{"field":"score_change","within":"7d","op":"gte","value":1}}`, "where.within", "a filter on an event", ContactFilter},
		{`{"field":"score_change","within":"7d","event":"x"}`, "", "mixes", ContactFilter},
	} {
		_, errs := ParseFilter([]byte(tt.filter), tt.kind)
		require.NotEmpty(t, errs, tt.filter)
		found := false
		for _, e := range errs {
			found = found || e.Path == tt.path && strings.Contains(e.Message, tt.msg)
		}
		assert.True(t, found, "%s: want %q at %q, got %v", tt.filter, tt.msg, tt.path, errs)
	}
}

func TestScoreChangeJSONAndLeaves(t *testing.T) {
	raw := `{"all":[{"field":"score_change.engagement","within":"72h","op":"gte","value":20},{"field":"score","op":"gt","value":1}]}`
	f := mustParseFilter(t, raw, ContactFilter)
	b, err := f.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, raw, string(b))
	assert.Contains(t, string(b), `"within":"72h"`, "as written")
	assert.Equal(t, []TimeLeaf{{Field: "score_change.engagement", ScoreChange: true, Dimension: "engagement", Window: 72 * time.Hour}}, f.TimeLeaves())
	assert.Equal(t, []string{"score", "score_change.engagement"}, f.Fields())
	assert.Equal(t, "score", ChangeOf("score_change.engagement"), "a score change moves it")
	assert.Equal(t, "score", ChangeOf("score_change"))
	leaf := f.Root().(AllNode)[0].(*FieldCond)
	assert.Equal(t, 72*time.Hour, leaf.Within())
	assert.Equal(t, "engagement", leaf.Dimension())
	assert.Zero(t, f.Root().(AllNode)[1].(*FieldCond).Within())
}
