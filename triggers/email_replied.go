package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.email_replied",
		Kind:        flows.KindTrigger,
		Title:       "Email replied",
		Description: "Starts the flow when a contact replies to an email. Narrow it to some campaigns with a glob on the email name.",
		Fields:      []flows.Field{emailField("replies to")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newEmailTrigger(model.EventEmailReplied, cfg)
		},
	})
}
