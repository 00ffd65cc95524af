package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// The five email triggers differ only in their event type and, for clicks, a
// link pattern; each keeps its own file and spec, and shares this matcher.

// emailField is the optional campaign or message glob of every email trigger.
func emailField(what string) flows.Field {
	return flows.Field{
		Name: "email",
		Type: flows.TypeString,
		Description: "Only " + what + " matching emails: a glob on the campaign or message name " +
			"(`*` matches any run of characters, `?` one character, `{a,b}` either alternative; " +
			"case-insensitive), such as \"Newsletter*\". Leave empty for any email.",
	}
}

// emailTrigger matches one email event type, optionally narrowed by globs
// on properties.email and properties.link.
type emailTrigger struct {
	typ   string
	email propertyGlob
	link  propertyGlob
}

// newEmailTrigger compiles the email (and, when the spec has it, link)
// patterns of an email trigger of event type typ.
func newEmailTrigger(typ string, cfg flows.Config) (flows.Trigger, error) {
	email, err := compilePropertyGlob(cfg, "email", "email")
	if err != nil {
		return nil, err
	}
	link, err := compilePropertyGlob(cfg, "link", "link")
	if err != nil {
		return nil, err
	}
	return &emailTrigger{typ: typ, email: email, link: link}, nil
}

func (t *emailTrigger) Key() flows.TriggerKey { return flows.TriggerKey{Type: t.typ} }

func (t *emailTrigger) Match(ev *model.Event) bool {
	return !ev.Internal && ev.Type == t.typ && t.email.match(ev) && t.link.match(ev)
}
