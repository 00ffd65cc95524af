package triggers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
	"github.com/scoreflow/scoreflow/model"
)

func TestTagTriggersConfig(t *testing.T) {
	for _, typ := range []string{"trigger.tag_added", "trigger.tag_removed"} {
		t.Run(typ, func(t *testing.T) {
			testConfigErrors(t, typ, []configCase{
				{"tag missing", map[string]any{}, "tag", "is required"},
				{"tag empty", map[string]any{"tag": ""}, "tag", "must not be empty"},
				{"tag blank", map[string]any{"tag": " \t"}, "tag", "must not be empty"},
				{"tag not a string", map[string]any{"tag": int64(1)}, "tag", "must be a string"},
				{"unknown field", map[string]any{"tag": "vip", "tags": []any{"a"}}, "tags", "is not a field of " + typ},
			})
		})
	}
}

func TestTagAdded(t *testing.T) {
	tr := build(t, "trigger.tag_added", map[string]any{"tag": " vip "})
	assert.Equal(t, flows.TriggerKey{Internal: true, Type: model.InternalTagAdded}, tr.Key())
	testMatches(t, tr, []matchCase{
		{"added", flowtest.TagAdded("vip"), true},
		{"other tag", flowtest.TagAdded("trial"), false},
		{"tags are exact", flowtest.TagAdded("VIP"), false},
		{"removed", flowtest.TagRemoved("vip"), false},
		{"ingested custom event of that name", flowtest.Event(model.InternalTagAdded, map[string]any{"tag": "vip"}), false},
		{"no tag", flowtest.Internal(model.InternalTagAdded, nil), false},
	})
}

func TestTagRemoved(t *testing.T) {
	tr := build(t, "trigger.tag_removed", map[string]any{"tag": "vip"})
	assert.Equal(t, flows.TriggerKey{Internal: true, Type: model.InternalTagRemoved}, tr.Key())
	testMatches(t, tr, []matchCase{
		{"removed", flowtest.TagRemoved("vip"), true},
		{"other tag", flowtest.TagRemoved("trial"), false},
		{"added", flowtest.TagAdded("vip"), false},
		{"ingested custom event of that name", flowtest.Event(model.InternalTagRemoved, map[string]any{"tag": "vip"}), false},
	})
}
