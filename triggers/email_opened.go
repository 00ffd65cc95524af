package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:        "trigger.email_opened",
		Kind:        flows.KindTrigger,
		Title:       "Email opened",
		Description: "Starts the flow when a contact opens an email. Narrow it to some campaigns with a glob on the email name.",
		Fields:      []flows.Field{emailField("opens of")},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newEmailTrigger(model.EventEmailOpened, cfg)
		},
	})
}
