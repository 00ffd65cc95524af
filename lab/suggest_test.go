package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

// planted are features with a known effect on the log-odds of converting.
var planted = []struct {
	feature string
	share   float64 // fraction of contacts that have it
	effect  float64
}{
	{"event:Booked call", 0.2, 2.5},
	{"page:/careers", 0.15, -1.5},
	{"email_opened:Newsletter", 0.4, 0.6},
}

const baseLogit = -2.5

// noiseFeature is the k-th feature with no effect, of every kind in turn.
func noiseFeature(k int) string {
	switch k % 4 {
	case 0:
		return fmt.Sprintf("page:/blog/post-%d", k)
	case 1:
		return fmt.Sprintf("event:Noise %d", k)
	case 2:
		return fmt.Sprintf("attributes.country=C%d", k)
	}
	return fmt.Sprintf("form:Form %d", k)
}

// history makes n contacts whose conversion follows the planted effects;
// noise features have none, and "form:Rare" (three converted contacts) is
// too rare to learn from.
func history(n, noise int, seed uint64) []Example {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]Example, n)
	for i := range out {
		z := baseLogit
		var features []string
		for _, p := range planted {
			if r.Float64() < p.share {
				features = append(features, p.feature)
				z += p.effect
			}
		}
		for k := range noise {
			if r.Float64() < 0.05+0.4*float64(k%10)/10 {
				features = append(features, noiseFeature(k))
			}
		}
		conv := r.Float64() < 1/(1+math.Exp(-z))
		if i < 3 {
			features, conv = append(features, "form:Rare"), true
		}
		out[i] = Example{Contact: fmt.Sprintf("c%06d", i), Features: features, Converted: conv}
	}
	return out
}

func TestSuggestPlantedSignal(t *testing.T) {
	s, err := Suggest(history(8000, 12, 1), SuggestOptions{Seed: 7})
	require.NoError(t, err)

	require.NotEmpty(t, s.Features)
	top := s.Features[0]
	assert.Equal(t, "event:Booked call", top.Feature)
	assert.Equal(t, int64(topPoints), top.Points)
	assert.InDelta(t, 2.5, top.Weight, 0.4, "the weight estimates the planted log-odds")
	for _, f := range s.Features[1:] {
		assert.Less(t, f.Points, top.Points, f.Feature)
	}
	byName := map[string]SuggestedFeature{}
	for _, f := range s.Features {
		byName[f.Feature] = f
	}
	assert.Less(t, byName["page:/careers"].Points, int64(-8), "a planted negative effect gives negative points")
	assert.Greater(t, byName["email_opened:Newsletter"].Points, int64(2))
	for k := range 12 {
		if f, ok := byName[noiseFeature(k)]; ok {
			assert.LessOrEqual(t, math.Abs(float64(f.Points)), 4.0, "noise %s", f.Feature)
		}
	}
	assert.NotContains(t, byName, "form:Rare", "a feature under the minimum support is not learned")

	assert.Greater(t, s.HoldoutAUC, 0.7)
	assert.Greater(t, s.AUC, 0.7)
	assert.InDelta(t, s.AUC, s.HoldoutAUC, 0.05, "three real features do not overfit")

	// Sorted by |weight|, descending.
	for i := 1; i < len(s.Features); i++ {
		assert.GreaterOrEqual(t, math.Abs(s.Features[i-1].Weight), math.Abs(s.Features[i].Weight))
	}
	require.Len(t, s.Flows, len(s.Features))
	for i, doc := range s.Flows {
		f := compileFlow(t, doc)
		assert.Equal(t, "suggest-"+slug(s.Features[i].Feature), f.Flow.ID)
		assert.Equal(t, map[string]any{"score": "engagement", "points": s.Features[i].Points}, f.Flow.Nodes[1].Config)
	}
}

// compileFlow parses and compiles a suggested flow document with the real
// flows package, and checks what every suggested flow shares.
func compileFlow(t *testing.T, doc json.RawMessage) *flows.Compiled {
	t.Helper()
	f, err := flows.Parse(doc)
	require.NoError(t, err, string(doc))
	c, err := flows.Compile(f, flows.Env{Stages: model.DefaultSettings().Pipeline})
	require.NoError(t, err, string(doc))
	assert.True(t, strings.HasPrefix(f.ID, "suggest-"), f.ID)
	assert.True(t, strings.HasPrefix(f.Name, "Suggested: "), f.Name)
	assert.True(t, f.Enabled)
	assert.Equal(t, flows.Entry{Mode: flows.EntryOnce}, f.Entry)
	require.Len(t, f.Nodes, 2)
	require.Len(t, c.Triggers, 1)
	assert.Equal(t, "action.adjust_score", f.Nodes[1].Type)
	assert.Equal(t, []flows.Edge{{From: f.Nodes[0].ID, To: f.Nodes[1].ID}}, f.Edges)
	for _, n := range f.Nodes {
		require.NotNil(t, n.Position, "node %s has a position", n.ID)
	}
	assert.Greater(t, f.Nodes[1].Position.X, f.Nodes[0].Position.X, "the action is drawn right of its trigger")
	return c
}

func TestSuggestDeterministic(t *testing.T) {
	examples := history(3000, 8, 2)
	a, err := Suggest(examples, SuggestOptions{Seed: 42})
	require.NoError(t, err)
	// The same examples in another order, same seed: the same result.
	shuffled := append([]Example(nil), examples...)
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	b, err := Suggest(shuffled, SuggestOptions{Seed: 42})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	// Another seed holds out other contacts.
	c, err := Suggest(examples, SuggestOptions{Seed: 43})
	require.NoError(t, err)
	assert.NotEqual(t, a.HoldoutAUC, c.HoldoutAUC)
}

func TestSuggestTooLittleHistory(t *testing.T) {
	examples := func(converted, other int) []Example {
		var out []Example
		for i := range converted + other {
			out = append(out, Example{Contact: fmt.Sprint(i), Features: []string{"event:X"}, Converted: i < converted})
		}
		return out
	}
	cases := []struct {
		name     string
		examples []Example
		opt      SuggestOptions
		have     int
		need     int
		message  string
	}{
		{"no history", nil, SuggestOptions{}, 0, 50, "0 conversions, at least 50 needed (50 more)"},
		{"few conversions", examples(12, 500), SuggestOptions{}, 12, 50, "12 conversions, at least 50 needed (38 more)"},
		{"own minimum", examples(12, 500), SuggestOptions{MinConversions: 20}, 12, 20, "(8 more)"},
		{"everyone converted", examples(500, 10), SuggestOptions{}, 10, 50, "10 contacts that did not convert, at least 50 needed (40 more)"},
		{"one of each cannot be split", examples(1, 1), SuggestOptions{MinConversions: 1}, 1, 2, "(1 more)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Suggest(c.examples, c.opt)
			var tl *TooLittleHistoryError
			require.True(t, errors.As(err, &tl), "got %v", err)
			assert.Equal(t, c.have, tl.Have)
			assert.Equal(t, c.need, tl.Need)
			assert.Contains(t, err.Error(), c.message)
		})
	}
	t.Run("just enough", func(t *testing.T) {
		s, err := Suggest(examples(50, 50), SuggestOptions{})
		require.NoError(t, err)
		// One feature every contact has says nothing: no points.
		assert.Empty(t, s.Features)
		assert.Empty(t, s.Flows)
		assert.InDelta(t, 0.5, s.HoldoutAUC, 1e-9)
	})
	t.Run("no features at all", func(t *testing.T) {
		ex := examples(60, 60)
		for i := range ex {
			ex[i].Features = nil
		}
		s, err := Suggest(ex, SuggestOptions{})
		require.NoError(t, err)
		assert.Empty(t, s.Features)
		assert.InDelta(t, 0.5, s.AUC, 1e-9)
	})
}

func TestSuggestOptions(t *testing.T) {
	examples := history(2000, 4, 3)
	t.Run("score and max features", func(t *testing.T) {
		s, err := Suggest(examples, SuggestOptions{Score: "fit", MaxFeatures: 2})
		require.NoError(t, err)
		require.Len(t, s.Features, 2)
		require.Len(t, s.Flows, 2)
		f := compileFlow(t, s.Flows[0])
		assert.Equal(t, "fit", f.Flow.Nodes[1].Config["score"])
	})
	for _, opt := range []SuggestOptions{{Holdout: 1}, {Holdout: -0.1}, {Lambda: -1}, {Lambda: math.NaN()}, {MaxFeatures: -1}, {Score: "  "}, {Score: strings.Repeat("s", 101)}} {
		t.Run(fmt.Sprintf("bad %+v", opt), func(t *testing.T) {
			_, err := Suggest(examples, opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "suggest:")
		})
	}
}

// TestFlowFor compiles the flow of every kind of feature with the real
// flows package and checks its trigger fires on the events that make the
// feature, and not on others.
func TestFlowFor(t *testing.T) {
	page := func(url string) *model.Event {
		return flowtest.Event(model.EventPageVisited, map[string]any{"url": url})
	}
	cases := []struct {
		feature string
		fires   []*model.Event
		not     []*model.Event
	}{
		{"event:Booked call",
			[]*model.Event{flowtest.Event("Booked call", nil)},
			[]*model.Event{flowtest.Event("Booked", nil), flowtest.Internal("Booked call", nil)}},
		{"page:/pricing",
			[]*model.Event{page("https://acme.test/pricing?utm=x#top"), page("https://acme.test/Pricing/"), page("/pricing")},
			[]*model.Event{page("https://acme.test/pricing/enterprise"), page("https://acme.test/?to=/pricing")}},
		{"page:/",
			[]*model.Event{page("https://acme.test"), page("https://acme.test/?ref=ad")},
			[]*model.Event{page("https://acme.test/pricing")}},
		{"email_opened:Promo [A]*",
			[]*model.Event{flowtest.Event(model.EventEmailOpened, map[string]any{"email": "Promo [A]*"})},
			[]*model.Event{flowtest.Event(model.EventEmailOpened, map[string]any{"email": "Promo A"}),
				flowtest.Event(model.EventEmailClicked, map[string]any{"email": "Promo [A]*"})}},
		{"email_clicked:Welcome",
			[]*model.Event{flowtest.Event(model.EventEmailClicked, map[string]any{"email": "Welcome", "link": "https://x.test"})},
			[]*model.Event{flowtest.Event(model.EventEmailClicked, map[string]any{"email": "Welcome 2"})}},
		{"form:Demo request",
			[]*model.Event{flowtest.Event(model.EventFormSubmitted, map[string]any{"form": "Demo request"})},
			[]*model.Event{flowtest.Event(model.EventFormSubmitted, map[string]any{"form": "Newsletter"})}},
		{"attributes.job_title=CEO",
			[]*model.Event{flowtest.FieldChanged("attributes.job_title", nil, "CEO")},
			[]*model.Event{flowtest.FieldChanged("attributes.country", nil, "FR")}},
	}
	for _, c := range cases {
		t.Run(c.feature, func(t *testing.T) {
			doc, err := flowFor("suggest-"+slug(c.feature), c.feature, 7, "engagement")
			require.NoError(t, err)
			compiled := compileFlow(t, doc)
			trigger := compiled.Triggers[0].Trigger
			for _, e := range c.fires {
				assert.True(t, trigger.Match(e), "fires on %s %v", e.Type, e.Properties)
			}
			for _, e := range c.not {
				assert.False(t, trigger.Match(e), "does not fire on %s %v", e.Type, e.Properties)
			}
			// The action gives the points on the dimension.
			run, rec := flowtest.NewRun(&flowtest.Contact{}, c.fires[0])
			_, err = compiled.Steps["a1"].Run(run)
			require.NoError(t, err)
			assert.Equal(t, []flowtest.Call{{Method: "AdjustScore", Args: []any{"engagement", int64(7)}}}, rec.Calls())
		})
	}
	for _, bad := range []string{"tag:vip", "attributes.job_title", "attributes.=x", "attributes.a="} {
		_, err := flowFor("suggest-x", bad, 5, "engagement")
		assert.Error(t, err, bad)
	}
}

// TestFlowForAttributeAudience: an attribute flow enters only contacts that
// have the value, numbers and booleans matched whichever way they were sent.
func TestFlowForAttributeAudience(t *testing.T) {
	cases := []struct {
		feature string
		match   []any
		not     []any
	}{
		{"attributes.job_title=CEO", []any{"CEO", "ceo"}, []any{"CTO", nil, 1}},
		{"attributes.employees=50", []any{float64(50), "50", int64(50)}, []any{float64(51), "fifty", true}},
		{"attributes.trial=true", []any{true, "true"}, []any{false, "yes", 1}},
	}
	for _, c := range cases {
		t.Run(c.feature, func(t *testing.T) {
			doc, err := flowFor("suggest-x", c.feature, -3, "fit")
			require.NoError(t, err)
			compiled := compileFlow(t, doc)
			require.NotNil(t, compiled.Audience)
			name := strings.TrimPrefix(strings.SplitN(c.feature, "=", 2)[0], "attributes.")
			check := func(v any) bool {
				contact := &flowtest.Contact{ID: "c1", Attributes: map[string]any{}}
				if v != nil {
					contact.Attributes[name] = v
				}
				ok, err := compiled.Audience.Match(contact, flowtest.Now)
				require.NoError(t, err)
				return ok
			}
			for _, v := range c.match {
				assert.True(t, check(v), "%v (%T) is in the audience", v, v)
			}
			for _, v := range c.not {
				assert.False(t, check(v), "%v (%T) is not in the audience", v, v)
			}
		})
	}
}

// TestSuggestFlowIDsUnique: features that slug alike still get distinct
// flow ids, so the draft can hold them all.
func TestSuggestFlowIDsUnique(t *testing.T) {
	var examples []Example
	r := rand.New(rand.NewPCG(4, 4))
	for i := range 1200 {
		a, b := r.Float64() < 0.3, r.Float64() < 0.3
		var fs []string
		if a {
			fs = append(fs, "event:Booked call")
		}
		if b {
			fs = append(fs, "event:booked_call")
		}
		conv := r.Float64() < map[bool]float64{true: 0.5, false: 0.05}[a || b]
		examples = append(examples, Example{Contact: fmt.Sprint(i), Features: fs, Converted: conv})
	}
	s, err := Suggest(examples, SuggestOptions{})
	require.NoError(t, err)
	require.Len(t, s.Flows, 2)
	ids := map[string]bool{}
	for _, doc := range s.Flows {
		ids[compileFlow(t, doc).Flow.ID] = true
	}
	assert.Equal(t, map[string]bool{"suggest-event-booked-call": true, "suggest-event-booked-call-2": true}, ids)
}

// BenchmarkSuggest is the figure: 100k contacts, ~50 features.
// Run with: go test -run '^$' -bench Suggest -benchtime 1x ./lab
func BenchmarkSuggest(b *testing.B) {
	examples := history(100_000, 47, 5)
	b.ResetTimer()
	for b.Loop() {
		s, err := Suggest(examples, SuggestOptions{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if s.Features[0].Feature != "event:Booked call" {
			b.Fatalf("top feature %s", s.Features[0].Feature)
		}
	}
}
