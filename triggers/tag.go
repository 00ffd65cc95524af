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

// internalTrigger matches an internal event the engine raises when a
// contact changes (a tag added, a segment entered) by one string property
// (Properties["tag"], Properties["segment"]).
type internalTrigger struct {
	typ   string
	prop  string
	value string
}

func newTagTrigger(typ string, cfg flows.Config) (flows.Trigger, error) {
	return newInternalTrigger(typ, "tag", cfg)
}

func newInternalTrigger(typ, prop string, cfg flows.Config) (flows.Trigger, error) {
	v := strings.TrimSpace(cfg.String(prop))
	if v == "" {
		return nil, flows.BadField(prop, "must not be empty")
	}
	return &internalTrigger{typ: typ, prop: prop, value: v}, nil
}

func (t *internalTrigger) Key() flows.TriggerKey {
	return flows.TriggerKey{Internal: true, Type: t.typ}
}

func (t *internalTrigger) Match(ev *model.Event) bool {
	return ev.Internal && ev.Type == t.typ && ev.PropertyString(t.prop) == t.value
}
