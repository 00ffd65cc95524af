package triggers

import (
	"errors"
	"strings"

	"github.com/gobwas/glob"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// propertyGlob matches one string property of an event against a glob. With
// no pattern it matches every event.
type propertyGlob struct {
	property string
	pattern  *glob.Pattern
}

// compilePropertyGlob compiles the glob in config field name once, lowercased
// so matching is case-insensitive; a bad pattern is reported on that field.
func compilePropertyGlob(cfg flows.Config, name, property string) (propertyGlob, error) {
	p := propertyGlob{property: property}
	raw := strings.TrimSpace(cfg.String(name))
	if raw == "" {
		return p, nil
	}
	g, err := compileGlob(name, raw)
	if err != nil {
		return p, err
	}
	p.pattern = g
	return p, nil
}

// match treats a missing or non-string property as "", so a pattern of "*"
// still matches an event that names no email.
func (p propertyGlob) match(ev *model.Event) bool {
	if p.pattern == nil {
		return true
	}
	s, _ := ev.Properties[p.property].(string)
	return p.pattern.Match(strings.ToLower(s))
}

// compileGlob compiles pattern lowercased, with no separators so `*` also
// crosses "/" and ".", and reports a syntax error on config field name.
func compileGlob(name, pattern string) (*glob.Pattern, error) {
	g, err := glob.Compile(strings.ToLower(pattern))
	if err != nil {
		var syn *glob.SyntaxError
		if errors.As(err, &syn) {
			return nil, flows.BadField(name, "is not a valid glob pattern: %s", syn.Reason)
		}
		return nil, flows.BadField(name, "is not a valid glob pattern: %v", err)
	}
	return g, nil
}
