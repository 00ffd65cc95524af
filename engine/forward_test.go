package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/model"
)

// TestForwardKeepsTheSource: an event forwarded to the partition of the
// contact it resolved to keeps the source it was published under, so if
// it dies there it still names its publisher's subject.
func TestForwardKeepsTheSource(t *testing.T) {
	ns, _, a, _ := halves(t, nil, nil)
	ctx := context.Background()
	// A contact of b's partitions whose email is in one of a's.
	var contact, email string
	for i := 0; contact == ""; i++ {
		c, e := fmt.Sprintf("fw-%d", i), fmt.Sprintf("fw-%d@example.com", i)
		if a.eng.PartitionOf(c) >= 8 && a.eng.PartitionOf(e) < 8 {
			contact, email = c, e
		}
	}
	pub := broker.NewPublisher(a.js)
	require.NoError(t, pub.Publish(ctx, "test", []*model.Event{{ID: "fw-id", Type: model.EventIdentify, ContactID: contact,
		Email: email, Timestamp: time.Now().UTC()}}))
	checkScores(t, a.st, map[string]int64{contact: 0}, map[string]int{})

	raw, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.RequestMsg(&nats.Msg{Subject: "scoreflow.events.shop.orders",
		Data: []byte(fmt.Sprintf(`{"id":"fw-big","type":"Big","email":%q}`, email))}, 5*time.Second)
	require.NoError(t, err)
	checkScores(t, a.st, map[string]int64{contact: 7}, map[string]int{contact: 1})

	s, err := a.js.Stream(ctx, broker.StreamName)
	require.NoError(t, err)
	m, err := s.GetLastMsgForSubject(ctx, broker.PartitionSubject(a.eng.PartitionOf(contact)))
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("fwd/%d/fw-big", a.eng.PartitionOf(contact)), m.Header.Get("Nats-Msg-Id"), "the forward")
	assert.Equal(t, "shop.orders", m.Header.Get(broker.SourceHeader))
}
