package lab

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/model"
)

func ev(typ string, props map[string]any) *model.Event {
	return &model.Event{Type: typ, ContactID: "c1", Properties: props}
}

func TestFeaturesOf(t *testing.T) {
	long := strings.Repeat("x", maxFeatureValue+1)
	cases := []struct {
		name   string
		attrs  map[string]any
		events []*model.Event
		want   []string
	}{
		{"nothing", nil, nil, []string{}},
		{"custom events once each", nil, []*model.Event{
			ev("Booked call", nil), ev("Booked call", nil), ev("Signed up", nil),
		}, []string{"event:Booked call", "event:Signed up"}},
		{"page paths without query, fragment or trailing slash", nil, []*model.Event{
			ev(model.EventPageVisited, map[string]any{"url": "https://acme.test/Pricing/?utm_source=x#plans"}),
			ev(model.EventPageVisited, map[string]any{"url": "https://acme.test/pricing"}),
			ev(model.EventPageVisited, map[string]any{"url": "https://acme.test/blog/post-1/"}),
		}, []string{"page:/blog/post-1", "page:/pricing"}},
		{"the root keeps its slash", nil, []*model.Event{
			ev(model.EventPageVisited, map[string]any{"url": "https://acme.test"}),
			ev(model.EventPageVisited, map[string]any{"url": "https://acme.test/?ref=ad"}),
		}, []string{"page:/"}},
		{"pages without a usable url", nil, []*model.Event{
			ev(model.EventPageVisited, nil),
			ev(model.EventPageVisited, map[string]any{"url": "http://[::1"}),
			ev(model.EventPageVisited, map[string]any{"url": "pricing"}),
			ev(model.EventPageVisited, map[string]any{"url": 42}),
		}, []string{}},
		{"emails and forms by name", nil, []*model.Event{
			ev(model.EventEmailOpened, map[string]any{"email": "Welcome"}),
			ev(model.EventEmailClicked, map[string]any{"email": "Welcome", "link": "https://acme.test"}),
			ev(model.EventEmailOpened, nil), // no name: not a feature
			ev(model.EventFormSubmitted, map[string]any{"form": " Demo request "}),
			ev(model.EventFormSubmitted, map[string]any{}),
		}, []string{"email_clicked:Welcome", "email_opened:Welcome", "form:Demo request"}},
		{"well-known types that are not features", nil, []*model.Event{
			ev(model.EventIdentify, nil), ev(model.EventEmailReplied, map[string]any{"email": "x"}),
			ev(model.EventEmailBounced, nil), ev(model.EventEmailUnsubscribed, nil),
		}, []string{}},
		{"events the engine raises", nil, []*model.Event{
			{Type: "Booked call", Internal: true},
			// stored and replayed events lose Internal: the type tells
			ev(model.InternalTagAdded, map[string]any{"tag": "vip"}),
			ev(model.InternalTagRemoved, nil), ev(model.InternalFieldChanged, nil),
			ev(model.InternalSegmentEntered, nil), ev(model.InternalSegmentExited, nil),
			ev("decay", nil), ev("time_pass", nil), ev("backfill", nil),
			nil,
		}, []string{}},
		{"scalar attributes", map[string]any{
			"job_title": "CEO", "employees": float64(50), "trial": true, "ratio": 2.5,
			"big": json.Number("1e3"), "count": int64(7),
		}, nil, []string{
			"attributes.big=1000", "attributes.count=7", "attributes.employees=50",
			"attributes.job_title=CEO", "attributes.ratio=2.5", "attributes.trial=true",
		}},
		{"attributes that are not features", map[string]any{
			"address": map[string]any{"city": "Paris"}, "tags": []any{"a"}, "none": nil, "empty": "",
			"bio": long, "a.b": "x", "a=b": "x", "": "x",
		}, nil, []string{}},
		{"long values are skipped", nil, []*model.Event{
			ev(long, nil), ev(model.EventFormSubmitted, map[string]any{"form": long}),
		}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, FeaturesOf(c.attrs, c.events))
		})
	}
}

// TestFeaturesOfLeavesEventsAlone: the lab may read one contact's events
// from several goroutines, so FeaturesOf must not write to them (as
// Event.Page's cache would).
func TestFeaturesOfLeavesEventsAlone(t *testing.T) {
	e := ev(model.EventPageVisited, map[string]any{"url": "https://acme.test/pricing"})
	before := *e
	done := make(chan []string, 2)
	for range 2 {
		go func() { done <- FeaturesOf(nil, []*model.Event{e}) }()
	}
	assert.Equal(t, []string{"page:/pricing"}, <-done)
	assert.Equal(t, []string{"page:/pricing"}, <-done)
	assert.Equal(t, before, *e)
}
