package triggers

import (
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

func init() {
	flows.Register(flows.Spec{
		Type:  "trigger.email_clicked",
		Kind:  flows.KindTrigger,
		Title: "Email link clicked",
		Description: "Starts the flow when a contact clicks a link in an email. Narrow it with a glob on the " +
			"email name, on the link, or both.",
		Fields: []flows.Field{
			emailField("clicks in"),
			{
				Name: "link",
				Type: flows.TypeString,
				Description: "Only clicks on matching links: a glob on the full link URL (case-insensitive), " +
					"such as \"*/pricing*\". Leave empty for any link.",
			},
		},
		NewTrigger: func(cfg flows.Config) (flows.Trigger, error) {
			return newEmailTrigger(model.EventEmailClicked, cfg)
		},
	})
}
