package flows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimeLeaves(t *testing.T) {
	f, errs := ParseFilter([]byte(`{"all":[
		{"field":"last_activity_at","op":"older_than","value":"30d"},
		{"not":{"any":[{"field":"attributes.signup","op":"newer_than","value":"36h"},{"field":"score","op":"gt","value":1}]}},
		{"event":"email_opened","within":"60d","where":{"field":"sent_at","op":"older_than","value":"1d"}},
		{"event":"page_visited"},
		{"event":"form_submitted","within":"2h","count":{"op":"eq","value":0}}]}`), ContactFilter)
	require.Empty(t, errs)
	leaves := f.TimeLeaves()
	require.Len(t, leaves, 4, "the behaviour leaf without within counts all time")
	day := 24 * time.Hour
	assert.Equal(t, TimeLeaf{Field: "last_activity_at", Window: 30 * day}, leaves[0])
	assert.Equal(t, TimeLeaf{Field: "attributes.signup", Window: 36 * time.Hour}, leaves[1])
	assert.Equal(t, "email_opened", leaves[2].Event)
	assert.Equal(t, 60*day, leaves[2].Window)
	require.NotNil(t, leaves[2].Where, "the where travels with its leaf")
	assert.Equal(t, []string{"sent_at"}, leaves[2].Where.Fields())
	assert.Equal(t, TimeLeaf{Event: "form_submitted", Window: 2 * time.Hour}, leaves[3])

	static, errs := ParseFilter([]byte(`{"field":"score","op":"gt","value":1}`), ContactFilter)
	require.Empty(t, errs)
	assert.Empty(t, static.TimeLeaves())
	assert.Empty(t, (*Filter)(nil).TimeLeaves())
}

func TestSubfilter(t *testing.T) {
	f, errs := ParseFilter([]byte(`{"any":[{"field":"score","op":"gt","value":10},{"event":"x"}]}`), ContactFilter)
	require.Empty(t, errs)
	part := f.Subfilter(f.Root().(AnyNode)[0])
	assert.Equal(t, ContactFilter, part.Kind())
	assert.Equal(t, []string{"score"}, part.Fields())
	assert.Empty(t, part.BehaviourEvents())
	raw, err := part.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"field":"score","op":"gt","value":10}`, string(raw))
	ok, err := part.Match(PropertiesSubject{"score": 11}, time.Now())
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Nil(t, f.Subfilter(nil))
	assert.Nil(t, (*Filter)(nil).Subfilter(f.Root()))
}
