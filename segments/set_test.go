package segments_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
)

func compile(t *testing.T, id, where string) *segments.Segment {
	t.Helper()
	s, errs := segments.Compile(model.Segment{ID: id, Name: id, Where: json.RawMessage(where)})
	require.Empty(t, errs)
	return s
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		seg   model.Segment
		paths []string
	}{
		{"no id", model.Segment{Name: "x", Where: json.RawMessage(`{"field":"score","op":"gt","value":1}`)}, []string{"id"}},
		{"bad id", model.Segment{ID: "-x", Name: "x", Where: json.RawMessage(`{"field":"score","op":"gt","value":1}`)}, []string{"id"}},
		{"no name", model.Segment{ID: "x", Where: json.RawMessage(`{"field":"score","op":"gt","value":1}`)}, []string{"name"}},
		{"no filter", model.Segment{ID: "x", Name: "x"}, []string{"where"}},
		{"bad op", model.Segment{ID: "x", Name: "x", Where: json.RawMessage(`{"all":[{"field":"score","op":"bogus","value":1}]}`)}, []string{"where.all[0].op"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := segments.Compile(tc.seg)
			var paths []string
			for _, e := range errs {
				paths = append(paths, e.Path)
			}
			assert.Equal(t, tc.paths, paths)
		})
	}
}

func TestSetOrdersReferencesAndRefusesCycles(t *testing.T) {
	a := compile(t, "a", `{"field":"score","op":"gte","value":1}`)
	b := compile(t, "b", `{"field":"segments","op":"contains","value":"c"}`)
	c := compile(t, "c", `{"field":"segments","op":"contains","value":"a"}`)
	set, err := segments.NewSet([]*segments.Segment{b, c, a})
	require.NoError(t, err)
	var order []string
	for _, s := range set.List {
		order = append(order, s.ID)
	}
	assert.Equal(t, []string{"a", "c", "b"}, order, "a segment comes after those it reads")
	assert.True(t, b.References("c"))

	a2 := compile(t, "a", `{"field":"segments","op":"contains","value":"b"}`)
	_, err = segments.NewSet([]*segments.Segment{b, c, a2})
	var cyc *segments.CycleError
	require.ErrorAs(t, err, &cyc)
	assert.Equal(t, "segments reference each other in a cycle: a → b → c → a", cyc.Error())

	_, err = segments.NewSet([]*segments.Segment{b})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `uses segment "c", which does not exist`)
}

func TestAffectedOnlyReadsWhatChanged(t *testing.T) {
	score := compile(t, "score", `{"field":"grade","op":"eq","value":"hot"}`)
	attr := compile(t, "attr", `{"field":"attributes.address.city","op":"eq","value":"Oslo"}`)
	opens := compile(t, "opens", `{"event":"email_opened","within":"30d"}`)
	onSeg := compile(t, "on-seg", `{"field":"segments","op":"contains","value":"score"}`)
	set, err := segments.NewSet([]*segments.Segment{score, attr, opens, onSeg})
	require.NoError(t, err)
	ids := func(list []*segments.Segment) []string {
		var out []string
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	assert.Equal(t, []string{"score"}, ids(set.Affected([]segments.Change{segments.ChangeScore})))
	assert.Equal(t, []string{"attr"}, ids(set.Affected([]segments.Change{segments.AttributeChange("address")})))
	assert.Empty(t, ids(set.Affected([]segments.Change{segments.AttributeChange("city")})))
	assert.Equal(t, []string{"opens"}, ids(set.Affected([]segments.Change{segments.EventChange("email_opened")})))
	assert.Equal(t, []string{"on-seg"}, ids(set.Affected([]segments.Change{segments.ChangeSegments})))
	assert.Len(t, set.Affected([]segments.Change{segments.ChangeCreated}), 4, "a new contact is evaluated for every segment")
	assert.Equal(t, []string{"opens"}, ids(set.Timed()))
}

// history is an in-memory contact for NextChange.
type history struct {
	values map[string]any
	events map[string][]time.Time
	scores map[string][]time.Time // event_at of score history rows by dimension
}

func (h history) Value(f string) (any, bool) { v, ok := h.values[f]; return v, ok }

func (h history) OldestEvent(q flows.BehaviourQuery) (time.Time, bool, error) {
	var oldest time.Time
	for _, ts := range h.events[q.Type] {
		if !ts.Before(q.Since) && (oldest.IsZero() || ts.Before(oldest)) {
			oldest = ts
		}
	}
	return oldest, !oldest.IsZero(), nil
}

func (h history) ScoreChangeEdges(dim string, since, now time.Time) (oldest, ahead time.Time, err error) {
	for d, list := range h.scores {
		for _, at := range list {
			ms := at.UnixMilli()
			switch {
			case dim != "" && d != dim || ms <= since.UnixMilli():
			case ms <= now.UnixMilli():
				if oldest.IsZero() || at.Before(oldest) {
					oldest = at
				}
			case ahead.IsZero() || at.Before(ahead):
				ahead = at
			}
		}
	}
	return oldest, ahead, nil
}

// TestNextChangeOfScoreChange: a score_change window changes when its
// oldest row leaves (event_at + window) or a row stamped ahead of now
// enters (its event_at), whichever comes first; rows already out and other
// dimensions do not count; a score change makes the segment re-evaluate.
func TestNextChangeOfScoreChange(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	heating := compile(t, "heating-up", `{"field":"score_change.engagement","within":"7d","op":"gte","value":20}`)
	assert.True(t, heating.TimeBased)
	set, err := segments.NewSet([]*segments.Segment{heating})
	require.NoError(t, err)
	assert.Len(t, set.Affected([]segments.Change{segments.ChangeScore}), 1, "a score change re-evaluates it")

	for _, tt := range []struct {
		name   string
		scores map[string][]time.Time
		want   time.Time
	}{
		{"oldest in the window leaves", map[string][]time.Time{"engagement": {now.Add(-2 * day), now.Add(-5 * day), now.Add(-9 * day)}, "fit": {now.Add(-6 * day)}},
			now.Add(2 * day)},
		{"a row on the very edge is out already", map[string][]time.Time{"engagement": {now.Add(-7 * day), now.Add(-time.Hour)}},
			now.Add(7*day - time.Hour)},
		{"a row ahead of now enters first", map[string][]time.Time{"engagement": {now.Add(-6 * day), now.Add(3 * time.Hour)}},
			now.Add(3 * time.Hour)},
		{"only a row ahead", map[string][]time.Time{"engagement": {now.Add(40 * day)}}, now.Add(40 * day)},
		{"nothing in the window", map[string][]time.Time{"engagement": {now.Add(-30 * day)}, "fit": {now.Add(-time.Hour)}}, time.Time{}},
	} {
		next, err := heating.NextChange(history{scores: tt.scores}, now)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, next, tt.name)
	}
	total := compile(t, "t", `{"field":"score_change","within":"1.5ms","op":"gt","value":0}`)
	next, err := total.NextChange(history{scores: map[string][]time.Time{"fit": {now}}}, now)
	require.NoError(t, err)
	assert.Equal(t, now.Add(2*time.Millisecond), next, "rounded up to a whole millisecond")
}

func TestNextChange(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	deadEnd := compile(t, "dead-end", `{"all":[{"event":"email_opened","within":"60d","count":{"op":"eq","value":0}},
		{"field":"attributes.job_title","op":"in","value":["student"]}]}`)
	inactive := compile(t, "inactive", `{"field":"last_activity_at","op":"older_than","value":"30d"}`)
	static := compile(t, "static", `{"field":"score","op":"gt","value":1}`)

	student := history{values: map[string]any{"attributes.job_title": "Student"},
		events: map[string][]time.Time{"email_opened": {now.Add(-10 * day), now.Add(-50 * day), now.Add(-70 * day)}}}
	next, err := deadEnd.NextChange(student, now)
	require.NoError(t, err)
	assert.Equal(t, now.Add(10*day+time.Millisecond), next, "the oldest open still in the window leaves it just after 10 days")

	ceo := history{values: map[string]any{"attributes.job_title": "CEO"}, events: student.events}
	next, err = deadEnd.NextChange(ceo, now)
	require.NoError(t, err)
	assert.True(t, next.IsZero(), "a CEO is never a dead-end student, however long we wait")

	seen := now.Add(-5 * day)
	next, err = inactive.NextChange(history{values: map[string]any{"last_activity_at": seen}}, now)
	require.NoError(t, err)
	assert.Equal(t, seen.Add(30*day+time.Millisecond), next)
	next, err = inactive.NextChange(history{values: map[string]any{"last_activity_at": now.Add(-40 * day)}}, now)
	require.NoError(t, err)
	assert.True(t, next.IsZero(), "already past: time changes nothing more")

	next, err = static.NextChange(history{}, now)
	require.NoError(t, err)
	assert.True(t, next.IsZero())
	assert.False(t, static.TimeBased)
	assert.True(t, strings.Contains(deadEnd.Name, "dead"))
}

// TestNextChangeAtTheBoundary: a pass that runs exactly when the window
// ends still counts the event, so the next moment is one millisecond later,
// never dropped.
func TestNextChangeAtTheBoundary(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	opens := compile(t, "opens", `{"event":"email_opened","within":"30d"}`)
	h := history{events: map[string][]time.Time{"email_opened": {now.Add(-30 * 24 * time.Hour)}}}
	next, err := opens.NextChange(h, now)
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Millisecond), next)
}

// TestReferencesAndTimeBasedFromTheTree: references come from every leaf
// on segments, whatever its op, and not from a behaviour leaf's where; a
// behaviour leaf without within is not time-based.
func TestReferencesAndTimeBasedFromTheTree(t *testing.T) {
	s := compile(t, "s", `{"all":[{"not":{"field":"segments","op":"nin","value":["a","b"]}},
		{"any":[{"field":"segments","op":"eq","value":"c"},{"event":"x","where":{"field":"segments","op":"eq","value":"d"}}]}]}`)
	for _, id := range []string{"a", "b", "c"} {
		assert.True(t, s.References(id), id)
	}
	assert.False(t, s.References("d"), "an event property named segments is no reference")
	assert.False(t, s.TimeBased)
	assert.True(t, compile(t, "t", `{"not":{"event":"x","within":"1h"}}`).TimeBased)
}

// TestNextChangePrunesUnderNotAndAny: an "any" with a true time-free part
// stays true whatever the time, also under a "not".
func TestNextChangePrunesUnderNotAndAny(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	seg := compile(t, "s", `{"not":{"any":[{"field":"score","op":"gt","value":10},
		{"field":"last_activity_at","op":"older_than","value":"1d"}]}}`)
	seen := now.Add(-time.Hour)
	next, err := seg.NextChange(history{values: map[string]any{"score": int64(20), "last_activity_at": seen}}, now)
	require.NoError(t, err)
	assert.True(t, next.IsZero(), "score > 10 settles the any")
	next, err = seg.NextChange(history{values: map[string]any{"score": int64(5), "last_activity_at": seen}}, now)
	require.NoError(t, err)
	assert.Equal(t, seen.Add(24*time.Hour+time.Millisecond), next)
}

// EventChange interns a bounded number of types: senders name their own,
// and every answer is the same Change whether interned or not.
func TestEventChangeInternsABoundedTable(t *testing.T) {
	for i := 0; i < segments.MaxInternedEventChanges+100; i++ {
		typ := fmt.Sprintf("type-%d", i)
		assert.Equal(t, segments.Change("event:"+typ), segments.EventChange(typ))
	}
	assert.LessOrEqual(t, segments.InternedEventChanges(), segments.MaxInternedEventChanges)
	assert.Equal(t, segments.Change("event:type-1"), segments.EventChange("type-1"), "an interned type answers the same")
}
