package triggers

import (
	"strings"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "trigger.event",
		Kind:  flows.KindTrigger,
		Title: "Custom event",
		Description: "Starts the flow when the contact does something your product reports as a custom event, " +
			"such as \"Signed up for trial\", optionally only when the event's properties match a filter.",
		Fields: []flows.Field{
			{
				Name:     "name",
				Type:     flows.TypeString,
				Required: true,
				Picker:   flows.PickEventType,
				Description: "The event type to react to, exactly as it is sent in the event's \"type\" " +
					"(letter case and spaces count).",
			},
			{
				Name: "where",
				Type: flows.TypeEventFilter,
				Description: "Only events whose properties match this filter, such as " +
					"{\"field\": \"plan\", \"op\": \"eq\", \"value\": \"pro\"}. Fields name properties " +
					"directly; use dots for nested objects (\"order.total\"). Leave empty for every event " +
					"of this type.",
			},
		},
		NewTrigger: newCustomEvent,
	})
}

// customEvent matches ingested events of one type, optionally filtered on
// their properties.
type customEvent struct {
	name  string
	where *flows.Filter
}

func newCustomEvent(cfg flows.Config) (flows.Trigger, error) {
	name := cfg.String("name")
	if strings.TrimSpace(name) == "" {
		return nil, flows.BadField("name", "must not be empty")
	}
	if len(name) > model.MaxTypeLength {
		return nil, flows.BadField("name", "must be at most %d characters", model.MaxTypeLength)
	}
	return &customEvent{name: name, where: cfg.Filter("where")}, nil
}

func (t *customEvent) Key() flows.TriggerKey { return flows.TriggerKey{Type: t.name} }

// Match evaluates the filter with the event's own time as "now", so "newer
// than" conditions on properties mean the same on a replay as they did live.
// The filter itself walks dotted names into nested property objects.
func (t *customEvent) Match(ev *model.Event) bool {
	if ev.Internal || ev.Type != t.name {
		return false
	}
	if t.where == nil {
		return true
	}
	now := ev.Timestamp
	if now.IsZero() {
		now = time.Now()
	}
	ok, err := t.where.Match(flows.PropertiesSubject(ev.Properties), now)
	return err == nil && ok
}
