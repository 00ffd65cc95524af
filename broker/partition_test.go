package broker

import (
	"fmt"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
)

// TestPartitionOfAgreesWithServer holds PartitionOf to nats-server's own
// partition(n, 1) subject mapping on the same token, so a publisher that
// puts the key in the subject and a stream transform agree with ours.
func TestPartitionOfAgreesWithServer(t *testing.T) {
	for _, n := range []int{1, 2, 7, 16, 1024} {
		tr, err := server.NewSubjectTransform("keys.*", fmt.Sprintf("parts.{{partition(%d,1)}}", n))
		require.NoError(t, err)
		for i := 0; i < 500; i++ {
			key := fmt.Sprintf("contact-%d@example_com-ü", i) // one token: no dots
			got, err := tr.Match("keys." + key)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("parts.%d", PartitionOf(key, n)), got, "key %q, %d partitions", key, n)
		}
	}
}

func TestPartitionKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   model.Event
		want string
	}{
		{"contact id first", model.Event{ContactID: "c-1", Email: "A@x.io", AnonymousID: "anon"}, "c-1"},
		{"email trimmed and lower-cased", model.Event{Email: "  Ada@Example.COM ", AnonymousID: "anon"}, "ada@example.com"},
		{"anonymous id alone", model.Event{AnonymousID: "anon-7"}, "anon-7"},
		{"nothing", model.Event{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, PartitionKey(&tc.ev))
		})
	}
	// An email-only event and the contact whose id is that email share a partition.
	assert.Equal(t, PartitionOf(PartitionKey(&model.Event{Email: "Bo@x.io"}), 16), PartitionOf("bo@x.io", 16))
}

func TestEventMsg(t *testing.T) {
	ev := &model.Event{ID: "e-1", Type: "Demo", ContactID: "c-9"}
	msg, err := EventMsg(ev, "segment", 16)
	require.NoError(t, err)
	assert.Equal(t, PartitionSubject(PartitionOf("c-9", 16)), msg.Subject)
	assert.Equal(t, "e-1", msg.Header.Get("Nats-Msg-Id"))
	assert.Equal(t, "segment", msg.Header.Get(SourceHeader))
}
