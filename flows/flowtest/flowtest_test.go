package flowtest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func TestRecorder(t *testing.T) {
	rec := &flowtest.Recorder{}
	var fx flows.Effects = rec
	require.NoError(t, fx.AdjustScore("fit", 5))
	require.NoError(t, fx.AddTag("vip"))
	require.NoError(t, fx.RemoveTag("trial"))
	require.NoError(t, fx.Disqualify("Competitor"))
	require.NoError(t, fx.Requalify())
	require.NoError(t, fx.SetDealStage("sql"))
	require.NoError(t, fx.SetField("attributes.plan", "pro"))
	require.NoError(t, fx.QueueWebhook("https://x.test", map[string]string{"X-Key": "1"}))
	assert.Equal(t, []flowtest.Call{
		{Method: "AdjustScore", Args: []any{"fit", int64(5)}},
		{Method: "AddTag", Args: []any{"vip"}},
		{Method: "RemoveTag", Args: []any{"trial"}},
		{Method: "Disqualify", Args: []any{"Competitor"}},
		{Method: "Requalify"},
		{Method: "SetDealStage", Args: []any{"sql"}},
		{Method: "SetField", Args: []any{"attributes.plan", "pro"}},
		{Method: "QueueWebhook", Args: []any{"https://x.test", map[string]string{"X-Key": "1"}}},
	}, rec.Calls())

	rec.Reset()
	assert.Empty(t, rec.Calls())
}

func TestRecorderErrors(t *testing.T) {
	boom, tagBoom := errors.New("boom"), errors.New("no tags today")

	rec := &flowtest.Recorder{Err: boom}
	assert.ErrorIs(t, rec.AdjustScore("fit", 1), boom)
	assert.ErrorIs(t, rec.Requalify(), boom)

	rec = &flowtest.Recorder{}
	rec.FailOn("AddTag", tagBoom)
	assert.ErrorIs(t, rec.AddTag("vip"), tagBoom)
	assert.NoError(t, rec.RemoveTag("vip"))
	assert.Equal(t, []flowtest.Call{
		{Method: "AddTag", Args: []any{"vip"}},
		{Method: "RemoveTag", Args: []any{"vip"}},
	}, rec.Calls(), "failed calls are recorded too")
}

func TestRecorderIsSafeForConcurrentUse(t *testing.T) {
	rec := &flowtest.Recorder{}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				_ = rec.AddTag("x")
				_ = rec.Calls()
			}
		}()
	}
	for range 4 {
		<-done
	}
	assert.Len(t, rec.Calls(), 200)
}

func TestContactValues(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	active := flowtest.Now.Add(-time.Hour)
	c := &flowtest.Contact{
		ID:             "c-1",
		Email:          "ivan@acme.test",
		Attributes:     map[string]any{"job_title": "CEO", "company_size": int64(40), "gone": nil},
		Scores:         map[string]int64{"engagement": 23, "fit": 15},
		Score:          38,
		Grade:          "warm",
		Tags:           []string{"trial"},
		DealStage:      "mql",
		Disqualified:   &model.Disqualification{At: created, Reason: "Competitor"},
		Segments:       []string{"active"},
		CreatedAt:      created,
		LastActivityAt: &active,
	}
	empty := &flowtest.Contact{ID: "c-2"}
	tests := []struct {
		field   string
		contact *flowtest.Contact
		want    any
		present bool
	}{
		{"attributes.job_title", c, "CEO", true},
		{"attributes.company_size", c, int64(40), true},
		{"attributes.gone", c, nil, true}, // JSON null is present: it stops the dotted-prefix walk, as in SQL
		{"attributes.missing", c, nil, false},
		{"score", c, int64(38), true},
		{"score.fit", c, int64(15), true},
		{"score.unknown", c, int64(0), true},
		{"grade", c, "warm", true},
		{"tags", c, []string{"trial"}, true},
		{"segments", c, []string{"active"}, true},
		{"deal_stage", c, "mql", true},
		{"disqualified", c, true, true},
		{"created_at", c, created, true},
		{"last_activity_at", c, active, true},
		{"email", c, nil, false},
		{"nonsense", c, nil, false},

		{"score", empty, int64(0), true},
		{"score.fit", empty, int64(0), true},
		{"grade", empty, "", false},
		{"deal_stage", empty, "", false},
		{"tags", empty, []string{}, true},
		{"segments", empty, []string{}, true},
		{"disqualified", empty, false, true},
		{"created_at", empty, time.Time{}, false},
		{"last_activity_at", empty, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.contact.ID+"/"+tt.field, func(t *testing.T) {
			got, ok := tt.contact.Value(tt.field)
			assert.Equal(t, tt.present, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

// ContactOf views a contact in place, so a filter sees later changes.
func TestContactOf(t *testing.T) {
	mc := &model.Contact{ID: "c-1", Tags: []string{"a"}}
	s := flowtest.ContactOf(mc)
	mc.Tags = append(mc.Tags, "b")
	got, _ := s.Value("tags")
	assert.Equal(t, []string{"a", "b"}, got)

	f, errs := flows.ParseFilterValue(map[string]any{"field": "tags", "op": "contains", "value": "b"}, flows.ContactFilter)
	require.Empty(t, errs)
	ok, err := f.Match(s, flowtest.Now)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestEvents(t *testing.T) {
	a := flowtest.Event("page_visited", map[string]any{"url": "/"})
	b := flowtest.Event("page_visited", nil)
	assert.NotEqual(t, a.ID, b.ID)
	assert.Equal(t, "page_visited", a.Type)
	assert.Equal(t, flowtest.ContactID, a.ContactID)
	assert.Equal(t, flowtest.Now, a.Timestamp)
	assert.Equal(t, map[string]any{"url": "/"}, a.Properties)
	assert.False(t, a.Internal)
	assert.Empty(t, a.Validate())

	in := flowtest.Internal(model.InternalTagAdded, map[string]any{"tag": "vip"})
	assert.True(t, in.Internal)
	assert.Equal(t, 1, in.Depth)
	assert.Equal(t, in.Type, flowtest.TagAdded("vip").Type)
	assert.Equal(t, in.Properties, flowtest.TagAdded("vip").Properties)
	assert.Equal(t, map[string]any{"tag": "x"}, flowtest.TagRemoved("x").Properties)
	assert.Equal(t, model.InternalTagRemoved, flowtest.TagRemoved("x").Type)
	fc := flowtest.FieldChanged("attributes.country", "DE", "FR")
	assert.Equal(t, model.InternalFieldChanged, fc.Type)
	assert.Equal(t, map[string]any{"field": "attributes.country", "old": "DE", "new": "FR"}, fc.Properties)
}

func TestNewRun(t *testing.T) {
	c := &flowtest.Contact{ID: "c-1"}
	ev := flowtest.Event("x", nil)
	run, rec := flowtest.NewRun(c, ev)
	assert.Same(t, rec, run.Effects)
	assert.Equal(t, c, run.Contact)
	assert.Same(t, ev, run.Event)
	assert.Equal(t, flowtest.Now, run.Now)
	assert.Equal(t, "test-flow", run.FlowID)
	assert.Equal(t, 1, run.FlowVersion)
	assert.Equal(t, "node", run.NodeID)
}
