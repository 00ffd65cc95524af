package triggers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func visit(url string) *model.Event {
	return flowtest.Event(model.EventPageVisited, map[string]any{"url": url})
}

func TestPageVisitedConfig(t *testing.T) {
	testConfigErrors(t, "trigger.page_visited", []configCase{
		{"url missing", map[string]any{}, "url", "is required"},
		{"url null", map[string]any{"url": nil}, "url", "is required"},
		{"url empty", map[string]any{"url": ""}, "url", "must not be empty"},
		{"url blank", map[string]any{"url": "   "}, "url", "must not be empty"},
		{"url not a string", map[string]any{"url": int64(5)}, "url", "must be a string"},
		{"bad match", map[string]any{"url": "/pricing", "match": "fuzzy"}, "match", "must be one of [exact prefix contains glob regex]"},
		{"match not a string", map[string]any{"url": "/pricing", "match": true}, "match", "must be a string"},
		{"bad regex", map[string]any{"url": "(pricing", "match": "regex"}, "url", "is not a valid regular expression: error parsing regexp: missing closing ): `(pricing`"},
		{"bad glob", map[string]any{"url": "/blog/{a,b", "match": "glob"}, "url", "is not a valid glob pattern: unclosed `{`"},
		{"unknown field", map[string]any{"url": "/pricing", "path": "/x"}, "path", "is not a field of trigger.page_visited"},
	})
}

func TestPageVisitedKey(t *testing.T) {
	tr := build(t, "trigger.page_visited", map[string]any{"url": "/pricing"})
	assert.Equal(t, flows.TriggerKey{Type: "page_visited"}, tr.Key())
}

func TestPageVisitedMatch(t *testing.T) {
	tests := []struct {
		name  string
		url   string
		match string // "" = the default
		cases []matchCase
	}{
		{"contains is the default", "/pricing", "", []matchCase{
			{"path", visit("https://acme.test/pricing"), true},
			{"deeper path", visit("https://acme.test/en/pricing/enterprise"), true},
			{"query", visit("https://acme.test/pricing?plan=pro"), true},
			{"letter case", visit("https://ACME.test/Pricing"), true},
			{"other page", visit("https://acme.test/blog"), false},
		}},
		{"contains without slash searches the whole URL", "acme.test", "contains", []matchCase{
			{"host", visit("https://www.acme.test/blog"), true},
			{"other host", visit("https://other.test/acme"), false},
		}},
		{"exact path", "/pricing", "exact", []matchCase{
			{"same path", visit("https://acme.test/pricing"), true},
			{"trailing slash", visit("https://acme.test/pricing/"), true},
			{"query ignored", visit("https://acme.test/pricing?utm_source=x"), true},
			{"any host", visit("https://other.test/pricing"), true},
			{"relative URL", visit("/pricing"), true},
			{"letter case", visit("https://acme.test/PRICING"), true},
			{"deeper path", visit("https://acme.test/pricing/enterprise"), false},
			{"other prefix", visit("https://acme.test/en/pricing"), false},
			{"two trailing slashes", visit("https://acme.test/pricing//"), false},
		}},
		{"exact path with trailing slash", "/pricing/", "exact", []matchCase{
			{"without slash", visit("https://acme.test/pricing"), true},
			{"with slash", visit("https://acme.test/pricing/"), true},
		}},
		{"exact home page", "/", "exact", []matchCase{
			{"no path", visit("https://acme.test"), true},
			{"slash", visit("https://acme.test/"), true},
			{"query", visit("https://acme.test/?ref=ad"), true},
			{"other page", visit("https://acme.test/pricing"), false},
		}},
		{"exact whole URL", "https://acme.test/pricing", "exact", []matchCase{
			{"same", visit("https://acme.test/pricing"), true},
			{"trailing slash", visit("https://acme.test/pricing/"), true},
			{"host case", visit("https://Acme.Test/pricing"), true},
			{"query counts", visit("https://acme.test/pricing?x=1"), false},
			{"other scheme", visit("http://acme.test/pricing"), false},
			{"other host", visit("https://other.test/pricing"), false},
		}},
		{"prefix path", "/blog", "prefix", []matchCase{
			{"post", visit("https://acme.test/blog/post-1"), true},
			{"index", visit("https://acme.test/blog"), true},
			{"query", visit("https://acme.test/blog?page=2"), true},
			{"nested elsewhere", visit("https://acme.test/en/blog"), false},
			{"host only", visit("https://acme.test"), false},
		}},
		{"prefix whole URL", "https://acme.test/blog", "prefix", []matchCase{
			{"post", visit("https://acme.test/blog/post-1"), true},
			{"other host", visit("https://other.test/blog/post-1"), false},
		}},
		{"glob path", "/blog/*", "glob", []matchCase{
			{"post", visit("https://acme.test/blog/post-1"), true},
			{"star crosses slashes", visit("https://acme.test/blog/2026/11/post"), true},
			{"letter case", visit("https://acme.test/BLOG/Post"), true},
			{"not under blog", visit("https://acme.test/blogs/post"), false},
			{"index without slash", visit("https://acme.test/blog"), false},
		}},
		{"glob alternatives", "/{pricing,plans}", "glob", []matchCase{
			{"pricing", visit("https://acme.test/pricing"), true},
			{"plans", visit("https://acme.test/plans?x=1"), true},
			{"other", visit("https://acme.test/about"), false},
		}},
		{"glob whole URL", "https://*.acme.test/*", "glob", []matchCase{
			{"subdomain", visit("https://docs.acme.test/start"), true},
			{"apex", visit("https://acme.test/start"), false},
		}},
		{"regex", `^https://acme\.test/(pricing|plans)\b`, "regex", []matchCase{
			{"pricing", visit("https://acme.test/pricing"), true},
			{"plans with query", visit("https://acme.test/plans?x=1"), true},
			{"case-sensitive", visit("https://ACME.test/plans"), false},
			{"other page", visit("https://acme.test/planning"), false},
		}},
		{"regex case-insensitive", `(?i)/PRICING$`, "regex", []matchCase{
			{"lower", visit("https://acme.test/pricing"), true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]any{"url": tt.url}
			if tt.match != "" {
				cfg["match"] = tt.match
			}
			testMatches(t, build(t, "trigger.page_visited", cfg), tt.cases)
		})
	}
}

func TestPageVisitedIgnoresOtherEvents(t *testing.T) {
	for _, mode := range []string{"exact", "prefix", "contains", "glob", "regex"} {
		t.Run(mode, func(t *testing.T) {
			tr := build(t, "trigger.page_visited", map[string]any{"url": "/", "match": mode})
			testMatches(t, tr, []matchCase{
				{"other type", flowtest.Event("form_submitted", map[string]any{"url": "https://acme.test/"}), false},
				{"internal", flowtest.Internal(model.EventPageVisited, map[string]any{"url": "https://acme.test/"}), false},
				{"no url", flowtest.Event(model.EventPageVisited, nil), false},
				{"url not a string", flowtest.Event(model.EventPageVisited, map[string]any{"url": 42}), false},
				{"unparsable url", visit("https://acme.test/%zz"), mode == "contains" || mode == "regex"},
			})
		})
	}
}
