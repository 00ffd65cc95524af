package triggers

import (
	"strings"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// tagField is the tag watched by trigger.tag_added and trigger.tag_removed.
func tagField(what string) flows.Field {
	return flows.Field{
		Name:        "tag",
		Type:        flows.TypeString,
		Required:    true,
		Picker:      flows.PickTag,
		Description: "The tag to watch: the flow starts when it is " + what + " a contact, by a flow or through the API.",
	}
}

// tagTrigger matches the internal event the engine raises when it adds or
// removes a tag (Properties["tag"]).
type tagTrigger struct {
	typ string
	tag string
}

func newTagTrigger(typ string, cfg flows.Config) (flows.Trigger, error) {
	tag := strings.TrimSpace(cfg.String("tag"))
	if tag == "" {
		return nil, flows.BadField("tag", "must not be empty")
	}
	return &tagTrigger{typ: typ, tag: tag}, nil
}

func (t *tagTrigger) Key() flows.TriggerKey { return flows.TriggerKey{Internal: true, Type: t.typ} }

func (t *tagTrigger) Match(ev *model.Event) bool {
	return ev.Internal && ev.Type == t.typ && ev.PropertyString("tag") == t.tag
}
