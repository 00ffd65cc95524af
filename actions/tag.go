package actions

import (
	"strings"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/flows"
)

// MaxTagLength bounds a tag, in characters.
const MaxTagLength = 100

// tagField is the tag of action.add_tag and action.remove_tag.
func tagField(description string) flows.Field {
	return flows.Field{
		Name:        "tag",
		Type:        flows.TypeString,
		Required:    true,
		Picker:      flows.PickTag,
		Description: description,
	}
}

// checkTag trims the configured tag and checks it is a usable tag.
func checkTag(cfg flows.Config) (string, error) {
	tag := strings.TrimSpace(cfg.String("tag"))
	switch {
	case tag == "":
		return "", flows.BadField("tag", "must not be empty")
	case utf8.RuneCountInString(tag) > MaxTagLength:
		return "", flows.BadField("tag", "must be at most %d characters", MaxTagLength)
	}
	return tag, nil
}
