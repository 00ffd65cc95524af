package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

// TestPageIndexMatchesPlainScan is the index's property: for random page
// triggers of every match mode and random URLs, the triggers that match
// among the index's candidates are exactly those that match when every
// trigger is tried, in the same order; and the candidates are a subset of
// the triggers, in dispatch order.
func TestPageIndexMatchesPlainScan(t *testing.T) {
	rnd := rand.New(rand.NewPCG(15, 4))
	for set := 0; set < 20; set++ {
		refs := randomPageRefs(t, rnd, 40+rnd.IntN(200))
		idx := newPageIndex(refs)
		for n := 0; n < 500; n++ {
			ev := randomPageView(rnd)
			var want []string
			for _, ref := range refs {
				if ref.trig.Match(ev) {
					want = append(want, ref.nodeID)
				}
			}
			var got []string
			last := -1
			for _, ref := range idx.candidates(ev) {
				pos := refPos(refs, ref.nodeID)
				require.Greater(t, pos, last, "candidates in dispatch order, once each")
				last = pos
				if ref.trig.Match(ev) {
					got = append(got, ref.nodeID)
				}
			}
			require.Equal(t, want, got, "set %d, url %v", set, ev.Properties["url"])
		}
	}
}

// TestPageIndexNarrows: the index is worth having only if a page view on an
// unrelated URL is tried on (almost) nothing.
func TestPageIndexNarrows(t *testing.T) {
	var refs []triggerRef
	add := func(match, url string) {
		tr, _, errs := flows.Nodes.Build("trigger.page_visited", map[string]any{"url": url, "match": match})
		require.Empty(t, errs)
		refs = append(refs, triggerRef{nodeID: fmt.Sprintf("t%d", len(refs)), trig: tr})
	}
	for i := 0; i < 100; i++ {
		add("prefix", fmt.Sprintf("/never-%d", i))
		add("exact", fmt.Sprintf("/exact-%d", i))
		add("contains", fmt.Sprintf("campaign-%d", i))
		add("glob", fmt.Sprintf("/blog/*/glob-%d", i))
		add("regex", fmt.Sprintf(`^https://[a-z]+\.test/re-%d$`, i))
	}
	add("glob", "*")
	idx := newPageIndex(refs)
	ids := func(url string) []string {
		var out []string
		for _, r := range idx.candidates(flowtest.Event(model.EventPageVisited, map[string]any{"url": url})) {
			out = append(out, r.nodeID)
		}
		return out
	}
	assert.Equal(t, []string{"t500"}, ids("https://acme.test/pricing"), "only the pattern with no literal")
	assert.Equal(t, []string{"t35", "t500"}, ids("https://acme.test/never-7"), "prefix /never-7 only")
	assert.Equal(t, []string{"t6", "t500"}, ids("https://acme.test/exact-1/"))
	assert.Equal(t, []string{"t42", "t500"}, ids("https://acme.test/x?utm=campaign-8"))
	assert.Equal(t, []string{"t13", "t500"}, ids("https://acme.test/blog/a/glob-2"))
	assert.Equal(t, []string{"t19", "t500"}, ids("https://acme.test/re-3"))
}

func refPos(refs []triggerRef, id string) int {
	for i, r := range refs {
		if r.nodeID == id {
			return i
		}
	}
	return -1
}

var (
	patternPieces = []string{"/", "/pricing", "Pricing", "pri", "/blog", "/blog/", "a", "b", "acme.test", "ACME",
		"https://", "?", "=", "x", ".", "-", "é", "%41", "/never-1", "ß", "K"}
	globPieces  = []string{"*", "?", "[a-c]", "[!p]", "{x,y}", "{/blog,/docs}", `\*`, "**"}
	regexPieces = []string{"(?i)", "+", "*", "|", "[0-9]", ".", `\.`, "(", ")", "^", "$", "{2}", "?", "(?:", `\w`, "[^/]"}
	urlPieces   = []string{"/", "pricing", "Pricing", "/pricing/", "blog", "/blog/a", "a", "b", "x", "y", "?", "=", "#",
		".", "-", "é", "%41", "%2F", "ß", "K", "docs", "1", "22", "never-1", "\xff", "acme.test", "ACME.test"}
	matchModes = []string{"exact", "prefix", "contains", "glob", "regex", ""}
)

func randomPageRefs(t *testing.T, rnd *rand.Rand, n int) []triggerRef {
	var refs []triggerRef
	for len(refs) < n {
		mode := matchModes[rnd.IntN(len(matchModes))]
		pieces := patternPieces
		switch mode {
		case "glob":
			pieces = append(append([]string{}, patternPieces...), globPieces...)
		case "regex":
			pieces = append(append([]string{}, patternPieces...), regexPieces...)
		}
		var b strings.Builder
		for k := 1 + rnd.IntN(4); k > 0; k-- {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		cfg := map[string]any{"url": b.String()}
		if mode != "" {
			cfg["match"] = mode
		}
		tr, _, errs := flows.Nodes.Build("trigger.page_visited", cfg)
		if len(errs) > 0 {
			continue // a pattern that does not compile is refused before it reaches the engine
		}
		refs = append(refs, triggerRef{nodeID: fmt.Sprintf("t%d", len(refs)), trig: tr})
		if rnd.IntN(30) == 0 {
			// A custom event named page_visited lands under the same key and has no prefilter.
			ct, _, errs := flows.Nodes.Build("trigger.event", map[string]any{"name": model.EventPageVisited})
			require.Empty(t, errs)
			refs = append(refs, triggerRef{nodeID: fmt.Sprintf("t%d", len(refs)), trig: ct})
		}
	}
	return refs
}

func randomPageView(rnd *rand.Rand) *model.Event {
	switch rnd.IntN(40) {
	case 0:
		return flowtest.Event(model.EventPageVisited, map[string]any{})
	case 1:
		return flowtest.Event(model.EventPageVisited, map[string]any{"url": int64(3)})
	}
	var b strings.Builder
	switch rnd.IntN(4) {
	case 0:
		b.WriteString("https://acme.test")
	case 1:
		b.WriteString("HTTPS://ACME.test")
	case 2:
		b.WriteString("http://[::1") // does not parse: no path
	}
	for k := rnd.IntN(7); k > 0; k-- {
		b.WriteString(urlPieces[rnd.IntN(len(urlPieces))])
	}
	return flowtest.Event(model.EventPageVisited, map[string]any{"url": b.String()})
}

// BenchmarkPageDispatch is the per page view cost of choosing and matching
// page triggers with n idle prefix triggers beside the reference model's
// own kinds (scan = every trigger tried, as without the index):
//
//	go test -run '^$' -bench BenchmarkPageDispatch -benchmem ./engine
func BenchmarkPageDispatch(b *testing.B) {
	for _, n := range []int{10, 5000} {
		var refs []triggerRef
		for _, c := range []map[string]any{{"url": "/pricing"}, {"url": "/careers", "match": "prefix"}, {"url": "/blog/*", "match": "glob"}} {
			tr, _, errs := flows.Nodes.Build("trigger.page_visited", c)
			require.Empty(b, errs)
			refs = append(refs, triggerRef{nodeID: "ref", trig: tr})
		}
		for i := 0; i < n; i++ {
			tr, _, errs := flows.Nodes.Build("trigger.page_visited", map[string]any{"url": fmt.Sprintf("/never-%d", i), "match": "prefix"})
			require.Empty(b, errs)
			refs = append(refs, triggerRef{nodeID: "idle", trig: tr})
		}
		idx := newPageIndex(refs)
		urls := []string{"https://acme.test/pricing", "https://acme.test/careers/eng", "https://acme.test/blog/post-1", "https://acme.test/"}
		run := func(b *testing.B, pick func(*model.Event) []triggerRef) {
			matched := 0
			for i := 0; b.Loop(); i++ {
				ev := flowtest.Event(model.EventPageVisited, map[string]any{"url": urls[i%len(urls)]})
				for _, r := range pick(ev) {
					if r.trig.Match(ev) {
						matched++
					}
				}
			}
			require.Positive(b, matched)
		}
		b.Run(fmt.Sprintf("scan/%d", n), func(b *testing.B) { run(b, func(*model.Event) []triggerRef { return refs }) })
		b.Run(fmt.Sprintf("index/%d", n), func(b *testing.B) { run(b, idx.candidates) })
	}
}
