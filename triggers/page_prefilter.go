package triggers

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/flows"
)

// PagePrefilter states what every URL this trigger matches must have, so the
// engine indexes page triggers instead of trying each on every page view:
// exact and prefix state themselves; contains, glob and regex state a literal
// every match contains (none when there is no such literal, as for "*").
func (t *pageVisited) PagePrefilter() flows.PagePrefilter {
	target := flows.PageLowerURL
	if t.onPath {
		target = flows.PageLowerPath
	}
	switch t.mode {
	case matchExact:
		return flows.PagePrefilter{Target: target, Op: flows.PrefilterExact, Text: t.pattern}
	case matchPrefix:
		return flows.PagePrefilter{Target: target, Op: flows.PrefilterPrefix, Text: t.pattern}
	case matchContains:
		return flows.PagePrefilter{Target: flows.PageLowerURL, Op: flows.PrefilterContains, Text: t.pattern}
	case matchGlob:
		return containsPrefilter(target, globLiteral(t.globSource))
	case matchRegex:
		return containsPrefilter(flows.PageRawURL, regexLiteral(t.re.String()))
	}
	return flows.PagePrefilter{}
}

func containsPrefilter(target flows.PageTarget, lit string) flows.PagePrefilter {
	if lit == "" {
		return flows.PagePrefilter{Target: target}
	}
	return flows.PagePrefilter{Target: target, Op: flows.PrefilterContains, Text: lit}
}

// globLiteral returns the longest run of plain characters of a (lower-cased)
// glob that every match contains. Only the part before the first [, { or \
// is read: classes, alternatives and escapes are left to Match, which keeps
// the literal certain rather than clever.
func globLiteral(pattern string) string {
	if i := strings.IndexAny(pattern, `[{\`); i >= 0 {
		pattern = pattern[:i]
	}
	best := ""
	for _, run := range strings.FieldsFunc(pattern, func(r rune) bool { return r == '*' || r == '?' }) {
		if len(run) > len(best) {
			best = run
		}
	}
	return best
}

// regexLiteral returns the longest case-sensitive literal that every match of
// the regular expression contains, read from its syntax tree; "" when there
// is none.
func regexLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	return requiredLiteral(re.Simplify())
}

func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		// Case-folded literals match other spellings; U+FFFD also matches
		// invalid bytes, which the input does not spell as U+FFFD.
		if re.Flags&syntax.FoldCase != 0 || strings.ContainsRune(s, utf8.RuneError) {
			return ""
		}
		return s
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if s := requiredLiteral(sub); len(s) > len(best) {
				best = s
			}
		}
		return best
	}
	return ""
}
