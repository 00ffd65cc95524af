package triggers

import (
	"regexp"
	"strings"

	"github.com/gobwas/glob"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// Match modes of trigger.page_visited.
const (
	matchExact    = "exact"
	matchPrefix   = "prefix"
	matchContains = "contains"
	matchGlob     = "glob"
	matchRegex    = "regex"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "trigger.page_visited",
		Kind:  flows.KindTrigger,
		Title: "Page visited",
		Description: "Starts the flow when a contact visits a page whose URL matches, such as the pricing page " +
			"or any post under /blog/.",
		Fields: []flows.Field{
			{
				Name:     "url",
				Type:     flows.TypeString,
				Required: true,
				Description: "The page to watch for, read according to the match mode. A pattern starting with " +
					"\"/\" (\"/pricing\") is compared with the page's path for exact, prefix and glob; " +
					"anything else is compared with the full URL (\"https://acme.test/pricing\").",
			},
			{
				Name:    "match",
				Type:    flows.TypeString,
				Default: matchContains,
				Enum:    []string{matchExact, matchPrefix, matchContains, matchGlob, matchRegex},
				Description: "How the URL pattern is compared: exact (the same page; a trailing slash is " +
					"ignored), prefix (starts with), contains (appears anywhere in the full URL), glob " +
					"(\"/blog/*\"; `*` matches any run of characters) or regex (an RE2 regular expression " +
					"searched in the full URL, case-sensitive unless it starts with (?i)). All but regex " +
					"ignore letter case.",
			},
		},
		NewTrigger: newPageVisited,
	})
}

// pageVisited matches page_visited events by their properties.url.
type pageVisited struct {
	mode    string
	pattern string // exact, prefix, contains: lowercased; for exact, without its trailing slash
	onPath  bool   // exact, prefix, glob: compare with the URL's path rather than the whole URL
	glob    *glob.Pattern
	re      *regexp.Regexp

	globSource string // glob: the lowercased pattern, for PagePrefilter
}

func newPageVisited(cfg flows.Config) (flows.Trigger, error) {
	raw := strings.TrimSpace(cfg.String("url"))
	if raw == "" {
		return nil, flows.BadField("url", "must not be empty")
	}
	t := &pageVisited{mode: cfg.String("match")}
	if t.mode == "" {
		t.mode = matchContains
	}
	switch t.mode {
	case matchRegex:
		re, err := regexp.Compile(raw)
		if err != nil {
			return nil, flows.BadField("url", "is not a valid regular expression: %v", err)
		}
		t.re = re
		return t, nil
	case matchContains:
		t.pattern = strings.ToLower(raw)
		return t, nil
	case matchExact, matchPrefix:
		t.onPath = strings.HasPrefix(raw, "/")
		t.pattern = strings.ToLower(raw)
		if t.mode == matchExact {
			t.pattern = trimSlash(t.pattern)
		}
		return t, nil
	case matchGlob:
		t.onPath = strings.HasPrefix(raw, "/")
		g, err := compileGlob("url", raw)
		if err != nil {
			return nil, err
		}
		t.glob, t.globSource = g, strings.ToLower(raw)
		return t, nil
	}
	return nil, flows.BadField("match", "must be one of exact, prefix, contains, glob or regex")
}

func (t *pageVisited) Key() flows.TriggerKey { return flows.TriggerKey{Type: model.EventPageVisited} }

func (t *pageVisited) Match(ev *model.Event) bool {
	if ev.Internal || ev.Type != model.EventPageVisited {
		return false
	}
	if t.mode == matchRegex {
		raw := ev.PropertyString("url")
		return raw != "" && t.re.MatchString(raw)
	}
	lowerURL, lowerPath, ok := ev.Page()
	if !ok {
		return false
	}
	if t.mode == matchContains {
		return strings.Contains(lowerURL, t.pattern)
	}
	target := lowerURL
	if t.onPath {
		if lowerPath == "" {
			return false
		}
		target = lowerPath
	}
	switch t.mode {
	case matchExact:
		return trimSlash(target) == t.pattern
	case matchPrefix:
		return strings.HasPrefix(target, t.pattern)
	case matchGlob:
		return t.glob.Match(target)
	}
	return false
}

// trimSlash removes one trailing slash, so "/pricing/" and "/pricing" are the
// same page (and "/" becomes "").
func trimSlash(s string) string { return strings.TrimSuffix(s, "/") }
