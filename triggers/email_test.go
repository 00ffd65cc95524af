package triggers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

var emailTypes = []string{
	model.EventEmailOpened,
	model.EventEmailClicked,
	model.EventEmailReplied,
	model.EventEmailUnsubscribed,
	model.EventEmailBounced,
}

func TestEmailConfig(t *testing.T) {
	for _, typ := range emailTypes {
		t.Run(typ, func(t *testing.T) {
			cases := []configCase{
				{"email not a string", map[string]any{"email": int64(3)}, "email", "must be a string"},
				{"bad email glob", map[string]any{"email": "{news,promo"}, "email", "is not a valid glob pattern: unclosed `{`"},
				{"unknown field", map[string]any{"campaign": "x"}, "campaign", "is not a field of trigger." + typ},
			}
			if typ == model.EventEmailClicked {
				cases = append(cases,
					configCase{"bad link glob", map[string]any{"link": "https://acme.test/["}, "link", "is not a valid glob pattern: unexpected end of input"},
					configCase{"link not a string", map[string]any{"link": false}, "link", "must be a string"},
				)
			} else {
				cases = append(cases, configCase{"link only on clicks", map[string]any{"link": "*"}, "link", "is not a field of trigger." + typ})
			}
			testConfigErrors(t, "trigger."+typ, cases)
		})
	}
}

func TestEmailMatch(t *testing.T) {
	for _, typ := range emailTypes {
		t.Run(typ, func(t *testing.T) {
			email := func(name any) *model.Event {
				return flowtest.Event(typ, map[string]any{"email": name})
			}
			other := model.EventEmailOpened
			if typ == other {
				other = model.EventEmailBounced
			}

			anyEmail := build(t, "trigger."+typ, map[string]any{})
			assert.Equal(t, flows.TriggerKey{Type: typ}, anyEmail.Key())
			testMatches(t, anyEmail, []matchCase{
				{"named email", email("Newsletter November"), true},
				{"no properties", flowtest.Event(typ, nil), true},
				{"other type", flowtest.Event(other, map[string]any{"email": "Newsletter November"}), false},
				{"internal", flowtest.Internal(typ, nil), false},
			})

			emptyPattern := build(t, "trigger."+typ, map[string]any{"email": ""})
			testMatches(t, emptyPattern, []matchCase{{"empty pattern is any", email("Promo"), true}})

			newsletters := build(t, "trigger."+typ, map[string]any{"email": "Newsletter*"})
			testMatches(t, newsletters, []matchCase{
				{"matching", email("Newsletter November"), true},
				{"letter case", email("NEWSLETTER december"), true},
				{"exact", email("Newsletter"), true},
				{"other", email("Promo: Newsletter"), false},
				{"missing", flowtest.Event(typ, nil), false},
				{"not a string", email(7), false},
			})

			star := build(t, "trigger."+typ, map[string]any{"email": "*"})
			testMatches(t, star, []matchCase{{"missing email matches *", flowtest.Event(typ, nil), true}})
		})
	}
}

func TestEmailClickedLink(t *testing.T) {
	click := func(email, link string) *model.Event {
		return flowtest.Event(model.EventEmailClicked, map[string]any{"email": email, "link": link})
	}
	tr := build(t, "trigger.email_clicked", map[string]any{"link": "*/pricing*"})
	testMatches(t, tr, []matchCase{
		{"pricing link", click("Promo", "https://acme.test/pricing?utm=mail"), true},
		{"letter case", click("Promo", "https://acme.test/Pricing"), true},
		{"other link", click("Promo", "https://acme.test/blog"), false},
		{"no link", flowtest.Event(model.EventEmailClicked, map[string]any{"email": "Promo"}), false},
	})

	both := build(t, "trigger.email_clicked", map[string]any{"email": "Promo ?", "link": "https://acme.test/{pricing,plans}"})
	testMatches(t, both, []matchCase{
		{"both match", click("Promo 2", "https://acme.test/plans"), true},
		{"email differs", click("Promo 12", "https://acme.test/plans"), false},
		{"link differs", click("Promo 2", "https://acme.test/blog"), false},
	})
}
