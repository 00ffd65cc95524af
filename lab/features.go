package lab

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/scoreflow/scoreflow/model"
)

// Feature name prefixes: each is something a flow trigger can react to, so a
// learned weight can become a flow (see Flows).
const (
	featEvent        = "event:"
	featPage         = "page:"
	featEmailOpened  = "email_opened:"
	featEmailClicked = "email_clicked:"
	featForm         = "form:"
	featAttribute    = "attributes."
)

// maxFeatureValue bounds the text a feature carries (an attribute value, a
// page path, a name): longer values are free text or ids, which no two
// contacts share and no marketer would score.
const maxFeatureValue = 100

// engineRaised are the event types the engine itself raises: internal ones
// (a change the engine made, as a cascade) and the synthetic causes of
// changes that time made (engine/jobs.go). They are consequences of scoring,
// not things a contact did, and a flow cannot trigger on them as custom
// events, so they are never features — even when a replay hands them over
// with Internal lost (it is not stored).
var engineRaised = map[string]bool{
	model.InternalTagAdded:       true,
	model.InternalTagRemoved:     true,
	model.InternalFieldChanged:   true,
	model.InternalSegmentEntered: true,
	model.InternalSegmentExited:  true,
	"time_pass":                  true,
	"decay":                      true,
	"backfill":                   true,
}

// FeaturesOf lists what a contact did and is, as feature names, each once and
// sorted: "event:<custom type>", "page:<url path, no query>",
// "email_opened:<email name>", "email_clicked:<email name>",
// "form:<form name>" and "attributes.<name>=<value>" (scalar attributes only).
//
// Page paths are lower-cased, as page triggers compare them, and lose a
// trailing slash except for the root. Events without the name a feature
// needs (an email or form without a name, a page without a parsable URL) add
// nothing: a trigger with an empty name means "any", which is not the same
// feature. Other well-known types (identify, email replies, bounces,
// unsubscribes) are not features; identify's traits arrive as attributes.
func FeaturesOf(attrs map[string]any, events []*model.Event) []string {
	seen := make(map[string]struct{}, len(events)+len(attrs))
	add := func(prefix, value string) {
		if value != "" && len(value) <= maxFeatureValue {
			seen[prefix+value] = struct{}{}
		}
	}
	for _, ev := range events {
		if prefix, value, ok := eventFeature(ev); ok {
			seen[prefix+value] = struct{}{}
		}
	}
	for name, v := range attrs {
		// A dot would read as a nested path in the filter the flow needs,
		// and "=" would make the feature name ambiguous.
		if name == "" || strings.ContainsAny(name, ".=") {
			continue
		}
		if s, ok := scalarText(v); ok {
			add(featAttribute+name+"=", s)
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// eventFeature is the feature of one event as its prefix and value (see
// FeaturesOf), false for an event that has none. Kept apart so a replay can
// look a feature up without building its name.
func eventFeature(ev *model.Event) (prefix, value string, ok bool) {
	if ev == nil || ev.Internal || engineRaised[ev.Type] {
		return "", "", false
	}
	switch ev.Type {
	case model.EventPageVisited:
		prefix, value = featPage, pagePath(ev.PropertyString("url"))
	case model.EventEmailOpened:
		prefix, value = featEmailOpened, ev.PropertyString("email")
	case model.EventEmailClicked:
		prefix, value = featEmailClicked, ev.PropertyString("email")
	case model.EventFormSubmitted:
		prefix, value = featForm, strings.TrimSpace(ev.PropertyString("form"))
	case model.EventIdentify, model.EventEmailReplied, model.EventEmailUnsubscribed, model.EventEmailBounced:
		return "", "", false
	default:
		prefix, value = featEvent, ev.Type
	}
	return prefix, value, value != "" && len(value) <= maxFeatureValue
}

// pagePath is the lower-cased path of a URL without its trailing slash, "/"
// for the root; "" for a URL that cannot be parsed. It parses the URL itself
// rather than use Event.Page, whose cache writes to the event: FeaturesOf
// only reads the events it is given.
func pagePath(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	path := strings.ToLower(u.Path)
	switch {
	case path == "" || path == "/":
		return "/"
	case !strings.HasPrefix(path, "/"):
		return "" // a relative URL: no page trigger compares its path
	}
	return strings.TrimSuffix(path, "/")
}

// scalarText is the text of a string, number or bool attribute; objects,
// arrays, null and empty strings have none.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64), true
		}
	}
	return "", false
}
