package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.email_bounced",
		Kind:        flows.KindTrigger,
		Title:       "Email bounced",
		Description: "Starts the flow when an email to the contact bounces or is dropped. Narrow it to some campaigns with a glob on the email name.",
		Fields:      []flows.Field{emailField("bounces of")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newEmailTrigger(model.EventEmailBounced, cfg)
		},
	})
}
