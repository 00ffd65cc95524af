package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.email_unsubscribed",
		Kind:        flows.KindTrigger,
		Title:       "Unsubscribed from email",
		Description: "Starts the flow when a contact unsubscribes (or reports spam) from an email. Narrow it to some campaigns with a glob on the email name.",
		Fields:      []flows.Field{emailField("unsubscribes from")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newEmailTrigger(model.EventEmailUnsubscribed, cfg)
		},
	})
}
