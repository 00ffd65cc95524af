package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
)

// mergeModel sets up: Hit → +1 engagement; Signup (once) → +100 fit, fit
// capped at 150; the segment "hot" (engagement ≥ 50), whose entry gives
// +1 "entered".
func mergeModel(t *testing.T, a *app.App) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPut, "/api/v1/settings", `{"scores":[{"name":"engagement"},{"name":"fit","min":0,"max":150},{"name":"entered"}],
		"grades":[{"name":"cold","min":null}],"pipeline":["new","won"]}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	createFlow(t, a, scoreFlow("hit", "Hit", "", 1))
	createFlow(t, a, `{"id":"signup","name":"signup","enabled":true,"entry":{"mode":"once"},"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Signup"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"fit","points":100}}],"edges":[{"from":"t","to":"a"}]}`)
	createFlow(t, a, `{"id":"hot","name":"hot","enabled":true,"nodes":[
		{"id":"t","type":"trigger.segment_entered","config":{"segment":"hot"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"entered","points":1}}],"edges":[{"from":"t","to":"a"}]}`)
	createSegment(t, a, `{"id":"hot","name":"Hot","where":{"field":"score.engagement","op":"gte","value":50}}`)
}

// rawEvent publishes an event under a message id of its own, so JetStream
// cannot drop a repeat: only the store's record of applied ids can.
func rawEvent(t *testing.T, a *app.App, msgID, body string) {
	t.Helper()
	natsPublish(t, a, "scoreflow.events.test", msgID, body)
}

// TestMergeFoldsAndRedeliveryAppliesNothingTwice: a merge by anonymous_id
// sums dimensions within caps, unites entry records (a once flow either
// had entered is not entered again), fires the segment it enters once, and
// a redelivery of every event, the merge included, changes nothing.
func TestMergeFoldsAndRedeliveryAppliesNothingTwice(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{AllowPrivateWebhooks: true})
		mergeModel(t, a)
		hooks := newHookServer(t, func(int) int { return http.StatusOK })
		createFlow(t, a, fmt.Sprintf(`{"id":"hook","name":"hook","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Hit"}},
		{"id":"w","type":"action.webhook","config":{"url":%q}}],"edges":[{"from":"t","to":"w"}]}`, hooks.URL))
		var bodies []string
		for i := 0; i < 30; i++ {
			bodies = append(bodies, fmt.Sprintf(`{"id":"a-%d","type":"Hit","contact_id":"anon","anonymous_id":"anon"}`, i))
		}
		for i := 0; i < 25; i++ {
			bodies = append(bodies, fmt.Sprintf(`{"id":"k-%d","type":"Hit","contact_id":"known"}`, i))
		}
		bodies = append(bodies, `{"id":"a-signup","type":"Signup","contact_id":"anon"}`, `{"id":"k-signup","type":"Signup","contact_id":"known"}`)
		bodies = append(bodies, `{"id":"merge","type":"identify","contact_id":"known","anonymous_id":"anon"}`)
		bodies = append(bodies, `{"id":"k-signup-2","type":"Signup","contact_id":"known"}`, `{"id":"a-late","type":"Hit","contact_id":"anon","anonymous_id":"anon"}`)
		for round := 0; round < 2; round++ {
			for i, b := range bodies {
				rawEvent(t, a, fmt.Sprintf("r%d-%d", round, i), b)
			}
			apptest.WaitIdle(t, a)
			c := apptest.Contact(t, a, "known")
			assert.Equal(t, map[string]int64{"engagement": 56, "fit": 150, "entered": 1}, c.Scores, "round %d", round)
			assert.Equal(t, []string{"hot"}, c.Segments)
			apptest.CheckLedger(t, a, "known")
		}
		assert.Equal(t, uint64(len(bodies)), a.Engine.Stats().Applied)
		apptest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			if n := len(hooks.delivered()); n < 56 {
				return fmt.Errorf("%d webhooks delivered", n)
			}
			return nil
		})
		time.Sleep(200 * time.Millisecond) // room for a webhook the merge must not send
		assert.Len(t, hooks.delivered(), 56, "one webhook per Hit, none again for the merged past")
		_, err := a.Store.GetContact(context.Background(), "anon")
		require.Error(t, err, "the merged contact is gone")
		h := history(t, a, "known")
		merges := 0
		for _, e := range h {
			if e.Reason == "merge" {
				merges++
				if e.Score == "fit" {
					assert.Equal(t, int64(-50), e.Delta, "the cap took 50 of 200")
				}
			}
		}
		assert.Equal(t, 2, merges, "a merge row per dimension the merged contact had")
	})
}

// TestKillMidMergeThenRestart kills an engine with SIGKILL while it applies
// interleaved anonymous events and the identifies that merge them, then
// restarts (the child is TestCrashChild): every known contact ends with its own and its anonymous
// visitor's points, each once, its history summing to them.
func TestKillMidMergeThenRestart(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		if testing.Short() {
			t.Skip("spawns a process")
		}
		dir := t.TempDir()
		setup := apptest.Start(t, app.Config{DataDir: dir})
		createFlow(t, setup, scoreFlow("hit", "Hit", "", 1))
		require.NoError(t, setup.Shutdown(context.Background()))

		child := startCrashChild(t, dir)
		js := child.js

		// Each of 200 visitors makes 40 anonymous hits; its identify comes
		// after its 20th, so half its hits arrive before the merge and half
		// after, with the old id; the known contact makes 10 of its own.
		const visitors, hits = 200, 40
		var events []*model.Event
		firstIdentify := 0
		add := func(id, typ, contact, anon string) {
			events = append(events, &model.Event{ID: id, Type: typ, ContactID: contact, AnonymousID: anon, Timestamp: time.Now().UTC()})
		}
		for i := 0; i < hits; i++ {
			for v := 0; v < visitors; v++ {
				anon, known := "anon-"+strconv.Itoa(v), "known-"+strconv.Itoa(v)
				add(fmt.Sprintf("h%d-%d", v, i), "Hit", anon, anon)
				if i < 10 {
					add(fmt.Sprintf("k%d-%d", v, i), "Hit", known, "")
				}
				if i == hits/2 {
					if v == 0 {
						firstIdentify = len(events)
					}
					add("id-"+strconv.Itoa(v), "identify", known, anon)
				}
			}
		}
		total := len(events)

		// Publish while the child applies, and kill it among the
		// identifies: some merges committed, likely not all. Publishes
		// the kill cut off fail; the client sends everything again to the
		// restarted process below, as a client retrying would.
		published := make(chan struct{})
		go func() {
			defer close(published)
			for _, ev := range events {
				body, err := json.Marshal(ev)
				if err != nil {
					return
				}
				msg := &nats.Msg{Subject: "scoreflow.events.load", Header: nats.Header{}, Data: body}
				msg.Header.Set("Nats-Msg-Id", ev.ID)
				if _, err := js.PublishMsgAsync(msg, jetstream.WithStallWait(30*time.Second)); err != nil {
					return // the child is gone
				}
			}
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(60 * time.Second):
			}
		}()
		atKill := child.killAfter(t, firstIdentify+visitors/2)
		<-published
		require.Less(t, atKill, total, "the child finished before the kill; the test proves nothing")
		t.Logf("killed after %d of %d events were committed", atKill, total)

		b := apptest.Start(t, app.Config{DataDir: dir})
		for i := 0; i < len(events); i += 500 {
			apptest.Publish(t, b, events[i:min(i+500, len(events))]...)
		}
		apptest.WaitIdle(t, b)
		applied, err := appliedEvents(b.Store)
		require.NoError(t, err)
		assert.Equal(t, total, applied, "every event applied once")
		n, err := b.Store.CountContacts(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(visitors), n, "every anonymous contact merged")
		for v := 0; v < visitors; v++ {
			known := "known-" + strconv.Itoa(v)
			c := apptest.Contact(t, b, known)
			require.Equal(t, int64(hits+10), c.Score, "contact %s", known)
			apptest.CheckLedger(t, b, known)
			into, err := b.Store.ResolveContact(context.Background(), "anon-"+strconv.Itoa(v))
			require.NoError(t, err)
			require.Equal(t, known, into)
		}
	})
}
