package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/model"
)

// createFlow posts a flow document and requires 201.
func createFlow(t *testing.T, a *app.App, doc string) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", doc)
	require.Equal(t, http.StatusCreated, r.Status, "create flow: %s", r.Body)
}

// natsPublish publishes raw JSON the way an integration would: a plain
// core-NATS publish onto a stream subject, optionally with Nats-Msg-Id.
func natsPublish(t *testing.T, a *app.App, subject, msgID, body string) {
	t.Helper()
	nc, err := nats.Connect(a.NATS.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	msg := &nats.Msg{Subject: subject, Data: []byte(body), Header: nats.Header{}}
	if msgID != "" {
		msg.Header.Set("Nats-Msg-Id", msgID)
	}
	// A request gets JetStream's PubAck, so the message is stored when it returns.
	reply, err := nc.RequestMsg(msg, 5*time.Second)
	require.NoError(t, err)
	require.NotContains(t, string(reply.Data), `"error"`, "publish: %s", reply.Data)
}

func postEvent(t *testing.T, a *app.App, ev any) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/events", ev)
	require.Equal(t, http.StatusAccepted, r.Status, "post event: %s", r.Body)
}

func history(t *testing.T, a *app.App, id string) []model.LedgerEntry {
	t.Helper()
	h, err := a.Store.History(context.Background(), id, 1000)
	require.NoError(t, err)
	return h
}

// TestReferenceModelOverNATS feeds the reference model through plain NATS
// publishes, as an integration would, and checks exact scores and history.
func TestReferenceModelOverNATS(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Examples: true})
		subject := "scoreflow.events.crm"
		events := []string{
			`{"id":"n1","type":"identify","contact_id":"ada","email":"ada@acme.test","traits":{"country":"UK","city":"New York","age":44,"job_title":"CMO","company_size":24,"buying_authority":false}}`,
			`{"id":"n2","type":"Signed up for trial","contact_id":"ada"}`,
			`{"id":"n3","type":"Created task","contact_id":"ada"}`,
			`{"id":"n4","type":"Created task","contact_id":"ada"}`,
			`{"id":"n5","type":"Created project","contact_id":"ada"}`,
			`{"id":"n6","type":"Booked call","contact_id":"ada"}`,
			`{"id":"n7","type":"Cancelled call","contact_id":"ada"}`,
			`{"id":"n8","type":"email_clicked","contact_id":"ada","properties":{"email":"onboarding-day-2","link":"https://acme.test/x"}}`,
			`{"id":"n9","type":"email_clicked","contact_id":"ada","properties":{"email":"newsletter-7"}}`,
			`{"id":"n10","type":"email_replied","contact_id":"ada","properties":{"email":"sales-followup-1"}}`,
			`{"id":"n11","type":"Clicked LinkedIn post","contact_id":"ada"}`,
			`{"id":"n12","type":"Clicked Facebook post","contact_id":"ada"}`,
			`{"id":"n13","type":"page_visited","contact_id":"ada","properties":{"url":"https://acme.test/careers/engineering"}}`,
			`{"id":"n14","type":"email_unsubscribed","contact_id":"ada","properties":{"email":"newsletter-7"}}`,
			// company_size changes to 30: fit +10 once; a second change to 50 adds nothing.
			`{"id":"n15","type":"identify","contact_id":"ada","traits":{"company_size":30}}`,
			`{"id":"n16","type":"identify","contact_id":"ada","traits":{"company_size":50}}`,
		}
		for _, ev := range events {
			var probe struct{ ID string }
			require.NoError(t, json.Unmarshal([]byte(ev), &probe))
			natsPublish(t, a, subject, probe.ID, ev)
		}
		apptest.WaitApplied(t, a, uint64(len(events)))

		c := apptest.Contact(t, a, "ada")
		// fit: country UK +1, city New York +1, age 44 +1, CMO +5, company 30 +10 (once), no authority.
		assert.Equal(t, int64(18), c.Scores["fit"])
		// engagement: trial 15, task 1 then 2, project 5, booked 20, cancelled -10,
		// onboarding click 1 (newsletter 0), sales reply 5, LinkedIn 2, Facebook 1,
		// careers -10, unsubscribed -10.
		assert.Equal(t, int64(15+1+2+5+20-10+1+5+2+1-10-10), c.Scores["engagement"])
		assert.Equal(t, c.Scores["fit"]+c.Scores["engagement"], c.Score)
		assert.Equal(t, "warm", c.Grade)
		assert.Equal(t, "ada@acme.test", c.Email)
		apptest.CheckLedger(t, a, "ada")

		h := history(t, a, "ada")
		var task []int64
		for _, e := range h {
			require.NotNil(t, e.Flow)
			require.NotNil(t, e.EventID)
			require.NotNil(t, e.FlowVersion)
			assert.Equal(t, 1, *e.FlowVersion)
			if *e.Flow == "engagement-created-task" {
				task = append(task, e.Delta)
			}
		}
		assert.Equal(t, []int64{2, 1}, task, "history is newest first: the second task scored 2, the first 1")
		assert.Equal(t, "n1", *h[len(h)-1].EventID, "the oldest change comes from the identify event")
	})
}

// TestRawNATSEventWithoutIDOrTimestamp checks that a bare publish gets an id
// and a timestamp from its stream message.
func TestRawNATSEventWithoutIDOrTimestamp(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Examples: true})
		natsPublish(t, a, "scoreflow.events.x", "", `{"type":"Booked call","email":"bob@acme.test"}`)
		apptest.WaitApplied(t, a, 1)
		c := apptest.Contact(t, a, "bob@acme.test")
		assert.Equal(t, int64(20), c.Scores["engagement"])
		tl, err := a.Store.Timeline(context.Background(), c.ID, 10)
		require.NoError(t, err)
		require.Len(t, tl, 1)
		assert.True(t, strings.HasPrefix(tl[0].ID, "nats-"), "id %q derived from the stream", tl[0].ID)
		assert.WithinDuration(t, time.Now(), tl[0].Timestamp, time.Minute)
	})
}

// TestSameEventIDAppliedOnce sends one id over HTTP twice, over NATS with
// the same Nats-Msg-Id, and over NATS past JetStream's own duplicate check
// (a different Nats-Msg-Id): the store's record applies it once.
func TestSameEventIDAppliedOnce(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Examples: true})
		ev := map[string]any{"id": "dup-1", "type": "Booked call", "contact_id": "c1"}
		postEvent(t, a, ev)
		postEvent(t, a, ev)
		body := `{"id":"dup-1","type":"Booked call","contact_id":"c1"}`
		natsPublish(t, a, "scoreflow.events.x", "dup-1", body)
		natsPublish(t, a, "scoreflow.events.x", "other-msg-id", body)
		natsPublish(t, a, "scoreflow.events.x", "", body)
		postEvent(t, a, map[string]any{"id": "marker", "type": "Created project", "contact_id": "c1"})
		apptest.WaitApplied(t, a, 2)
		apptest.WaitIdle(t, a)

		c := apptest.Contact(t, a, "c1")
		assert.Equal(t, int64(20+5), c.Scores["engagement"])
		apptest.CheckLedger(t, a, "c1")
		st := a.Engine.Stats()
		assert.Equal(t, uint64(2), st.Applied)
		// JetStream drops the HTTP repeat and the NATS publish with the same
		// Nats-Msg-Id; the other two repeats reach the engine and are skipped.
		assert.Equal(t, uint64(2), st.Duplicates)
	})
}

// TestRedeliveryAfterRestartAppliesNothingTwice replays the whole stream
// into a restarted engine (its consumer deleted, so JetStream redelivers
// every message, as after a crash between commit and ack).
func TestRedeliveryAfterRestartAppliesNothingTwice(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		dir := t.TempDir()
		a := apptest.Start(t, app.Config{DataDir: dir, Examples: true})
		for i := 0; i < 50; i++ {
			apptest.Publish(t, a, apptest.Event(fmt.Sprintf("r%d", i), "Created project", fmt.Sprintf("c%d", i%5), nil))
		}
		apptest.WaitApplied(t, a, 50)
		apptest.WaitIdle(t, a)
		before := apptest.Contact(t, a, "c0").Score
		require.Equal(t, int64(50), before)
		require.NoError(t, a.JS.DeleteConsumer(context.Background(), "SCOREFLOW_EVENTS", broker.AllConsumer))
		require.NoError(t, a.Shutdown(context.Background()))

		b := apptest.Start(t, app.Config{DataDir: dir})
		apptest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			if d := b.Engine.Stats().Duplicates; d < 50 {
				return fmt.Errorf("%d of 50 redelivered", d)
			}
			return nil
		})
		assert.Equal(t, uint64(0), b.Engine.Stats().Applied)
		for i := 0; i < 5; i++ {
			id := fmt.Sprintf("c%d", i)
			assert.Equal(t, int64(50), apptest.Contact(t, b, id).Score)
			apptest.CheckLedger(t, b, id)
		}
	})
}

// TestTagPingPongStopsAtCascadeCap wires two flows that re-tag each other
// forever: the chain stops at the cap, the run is recorded as failed, the
// batch commits and the server stays ready.
func TestTagPingPongStopsAtCascadeCap(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{})
		createFlow(t, a, `{"id":"start","name":"start","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Start"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"ping"}}],"edges":[{"from":"t","to":"a"}]}`)
		createFlow(t, a, `{"id":"ping","name":"ping","enabled":true,"nodes":[
		{"id":"t","type":"trigger.tag_added","config":{"tag":"ping"}},
		{"id":"r","type":"action.remove_tag","config":{"tag":"ping"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"pong"}}],"edges":[{"from":"t","to":"r"},{"from":"r","to":"a"}]}`)
		createFlow(t, a, `{"id":"pong","name":"pong","enabled":true,"nodes":[
		{"id":"t","type":"trigger.tag_added","config":{"tag":"pong"}},
		{"id":"r","type":"action.remove_tag","config":{"tag":"pong"}},
		{"id":"a","type":"action.add_tag","config":{"tag":"ping"}}],"edges":[{"from":"t","to":"r"},{"from":"r","to":"a"}]}`)
		postEvent(t, a, map[string]any{"id": "loop-1", "type": "Start", "contact_id": "loopy"})
		apptest.WaitApplied(t, a, 1)

		failures, err := a.Store.RunFailures(context.Background(), "", 10)
		require.NoError(t, err)
		require.Len(t, failures, 1)
		assert.Contains(t, failures[0].Reason, "cascade depth cap exceeded")
		assert.Equal(t, "loop-1", failures[0].EventID)
		// Depth 1 is ping (from Start); runs alternate up to depth 8, so the
		// 9th would-be run (ping, depth 9) is the failed one.
		assert.Equal(t, "ping", failures[0].FlowID)
		c := apptest.Contact(t, a, "loopy")
		assert.Equal(t, []string{"ping"}, c.Tags, "the last tag added before the cap stays")
		assert.Equal(t, http.StatusOK, apptest.Do(t, a, http.MethodGet, "/readyz", nil).Status)

		// The engine keeps working after the loop.
		postEvent(t, a, map[string]any{"id": "after", "type": "Anything", "contact_id": "next"})
		apptest.WaitApplied(t, a, 2)
		apptest.Contact(t, a, "next")
		assert.Equal(t, uint64(1), a.Engine.Stats().FailedRuns)
	})
}

// TestExternalNATS runs against a NATS server of its own (--nats URL)
// instead of the embedded one.
func TestExternalNATS(t *testing.T) {
	ext, err := broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	require.NoError(t, err)
	defer ext.Shutdown()
	a := apptest.Start(t, app.Config{NATSURL: ext.ClientURL(), Examples: true})
	require.Nil(t, a.NATS, "no embedded server when --nats is set")
	postEvent(t, a, map[string]any{"id": "x1", "type": "Booked call", "contact_id": "ext"})
	apptest.WaitApplied(t, a, 1)
	assert.Equal(t, int64(20), apptest.Contact(t, a, "ext").Score)
	info, err := a.JS.Stream(context.Background(), "SCOREFLOW_EVENTS")
	require.NoError(t, err)
	assert.Equal(t, []string{"scoreflow.events.>", "scoreflow.partition.*"}, info.CachedInfo().Config.Subjects)
	assert.Equal(t, broker.DuplicateWindow, info.CachedInfo().Config.Duplicates)
}
