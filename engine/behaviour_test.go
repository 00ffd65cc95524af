package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/webhook"
)

func scoreFlow(id, trigger, extra string, points int) string {
	return fmt.Sprintf(`{"id":%q,"name":%q,"enabled":true%s,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":%q}},
		{"id":"a","type":"action.adjust_score","config":{"score":"engagement","points":%d}}],"edges":[{"from":"t","to":"a"}]}`,
		id, id, extra, trigger, points)
}

func at(ts time.Time, id, typ, contact string) map[string]any {
	return map[string]any{"id": id, "type": typ, "contact_id": contact, "timestamp": ts.Format(time.RFC3339)}
}

// TestEntryModes checks once and limited entry, held by the store across a
// restart, with limited windows measured in event time.
func TestEntryModes(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		dir := t.TempDir()
		a := apptest.Start(t, app.Config{DataDir: dir})
		createFlow(t, a, scoreFlow("once", "Ping", `,"entry":{"mode":"once"}`, 1))
		createFlow(t, a, scoreFlow("limited", "Pong", `,"entry":{"mode":"limited","max":2,"window":"1d"}`, 10))
		day := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		for i, ts := range []time.Time{day, day.Add(time.Hour), day.Add(2 * time.Hour), day.Add(49 * time.Hour)} {
			postEvent(t, a, at(ts, fmt.Sprintf("ping-%d", i), "Ping", "e1"))
			postEvent(t, a, at(ts, fmt.Sprintf("pong-%d", i), "Pong", "e1"))
		}
		apptest.WaitApplied(t, a, 8)
		// once: 1; limited: two in the first day, the third refused, one two days later.
		assert.Equal(t, int64(1+10+10+10), apptest.Contact(t, a, "e1").Score)
		require.NoError(t, a.Shutdown(context.Background()))

		b := apptest.Start(t, app.Config{DataDir: dir})
		postEvent(t, b, at(day.Add(50*time.Hour), "ping-late", "Ping", "e1"))
		postEvent(t, b, at(day.Add(50*time.Hour), "pong-late", "Pong", "e1"))
		postEvent(t, b, at(day.Add(51*time.Hour), "pong-later", "Pong", "e1"))
		apptest.WaitApplied(t, b, 3)
		// once still holds after the restart; the second day's window allows one more Pong, not two.
		assert.Equal(t, int64(1+10+10+10+10), apptest.Contact(t, b, "e1").Score)
		apptest.CheckLedger(t, b, "e1")
	})
}

// TestDisqualificationAudienceAndRequalify: disqualified contacts enter no
// flow unless the flow includes them; audience filters gate entry.
func TestDisqualificationAudienceAndRequalify(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{})
		createFlow(t, a, scoreFlow("pts", "Ping", "", 1))
		createFlow(t, a, scoreFlow("pro-only", "Ping", `,"audience":{"field":"attributes.plan","op":"eq","value":"pro"}`, 100))
		createFlow(t, a, `{"id":"dq","name":"dq","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Bad"}},
		{"id":"d","type":"action.disqualify","config":{"reason":"student"}},
		{"id":"s","type":"action.change_deal_stage","config":{"stage":"lost"}}],"edges":[{"from":"t","to":"d"},{"from":"d","to":"s"}]}`)
		createFlow(t, a, `{"id":"requal","name":"requal","enabled":true,"include_disqualified":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Booked call"}},
		{"id":"r","type":"action.requalify","config":{}}],"edges":[{"from":"t","to":"r"}]}`)

		postEvent(t, a, map[string]any{"id": "1", "type": "Ping", "contact_id": "d1"})
		apptest.WaitApplied(t, a, 1)
		assert.Equal(t, "new", apptest.Contact(t, a, "d1").DealStage, "a new contact starts in the pipeline's first stage")
		postEvent(t, a, map[string]any{"id": "2", "type": "Bad", "contact_id": "d1"})
		postEvent(t, a, map[string]any{"id": "3", "type": "Ping", "contact_id": "d1"})
		apptest.WaitApplied(t, a, 3)
		c := apptest.Contact(t, a, "d1")
		require.NotNil(t, c.Disqualified)
		assert.Equal(t, "student", c.Disqualified.Reason)
		assert.Equal(t, "lost", c.DealStage)
		assert.Equal(t, int64(1), c.Score, "the Ping after disqualification scored nothing")

		postEvent(t, a, map[string]any{"id": "4", "type": "Booked call", "contact_id": "d1"})
		postEvent(t, a, map[string]any{"id": "5", "type": "Ping", "contact_id": "d1", "traits": map[string]any{"plan": "pro"}})
		apptest.WaitApplied(t, a, 5)
		c = apptest.Contact(t, a, "d1")
		assert.Nil(t, c.Disqualified)
		assert.Equal(t, int64(1+1+100), c.Score, "requalified, and now in the pro audience")
	})
}

// TestScoreCapsAndUnknownDimensions: points are clamped to the dimension's
// bounds, the ledger records the real change, grades follow the total, and
// a dimension missing from settings is unbounded.
func TestScoreCapsAndUnknownDimensions(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{})
		r := apptest.Do(t, a, http.MethodPut, "/api/v1/settings", `{"scores":[{"name":"fit","min":0,"max":10}],
		"grades":[{"name":"cold","min":null},{"name":"hot","min":15}],"pipeline":["new","won"]}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		createFlow(t, a, `{"id":"fit","name":"fit","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Fit"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"fit","points":7}}],"edges":[{"from":"t","to":"a"}]}`)
		createFlow(t, a, `{"id":"unfit","name":"unfit","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Unfit"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"fit","points":-25}}],"edges":[{"from":"t","to":"a"}]}`)
		createFlow(t, a, `{"id":"karma","name":"karma","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Karma"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"karma","points":-1000}}],"edges":[{"from":"t","to":"a"}]}`)
		for i, typ := range []string{"Fit", "Fit"} {
			postEvent(t, a, map[string]any{"id": fmt.Sprint("f", i), "type": typ, "contact_id": "cap"})
		}
		apptest.WaitApplied(t, a, 2)
		c := apptest.Contact(t, a, "cap")
		assert.Equal(t, int64(10), c.Scores["fit"])
		assert.Equal(t, "cold", c.Grade)
		h := history(t, a, "cap")
		require.Len(t, h, 2)
		assert.Equal(t, int64(3), h[0].Delta, "the capped change records +3, not +7")
		assert.Equal(t, int64(10), h[0].Value)

		postEvent(t, a, map[string]any{"id": "u", "type": "Unfit", "contact_id": "cap"})
		postEvent(t, a, map[string]any{"id": "k", "type": "Karma", "contact_id": "cap"})
		apptest.WaitApplied(t, a, 4)
		c = apptest.Contact(t, a, "cap")
		assert.Equal(t, int64(0), c.Scores["fit"], "floored at min 0")
		assert.Equal(t, int64(-1000), c.Scores["karma"], "an unknown dimension is unbounded")
		assert.Equal(t, int64(-1000), c.Score)
		apptest.CheckLedger(t, a, "cap")

		// Raising the cap regrades by total at once.
		r = apptest.Do(t, a, http.MethodPut, "/api/v1/settings", `{"scores":[],"grades":[{"name":"cold","min":null},{"name":"deep","min":-5000}],"pipeline":["new"]}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "deep", apptest.Contact(t, a, "cap").Grade)
	})
}

// TestInternalEventsStartFlows: traits, set_field, tags and deal stages
// raise internal events that start other flows in the same batch.
func TestInternalEventsStartFlows(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{})
		createFlow(t, a, `{"id":"set","name":"set","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Upgrade"}},
		{"id":"f","type":"action.set_field","config":{"field":"attributes.plan","value":"pro"}}],"edges":[{"from":"t","to":"f"}]}`)
		createFlow(t, a, `{"id":"plan","name":"plan","enabled":true,"nodes":[
		{"id":"t","type":"trigger.field_changed","config":{"field":"attributes.plan"}},
		{"id":"c","type":"condition.if","config":{"where":{"field":"attributes.plan","op":"eq","value":"pro"}}},
		{"id":"y","type":"action.add_tag","config":{"tag":"paying"}},
		{"id":"n","type":"action.remove_tag","config":{"tag":"paying"}}],
		"edges":[{"from":"t","to":"c"},{"from":"c","to":"y","branch":"yes"},{"from":"c","to":"n","branch":"no"}]}`)
		createFlow(t, a, `{"id":"paying","name":"paying","enabled":true,"nodes":[
		{"id":"t","type":"trigger.tag_added","config":{"tag":"paying"}},
		{"id":"s","type":"action.change_deal_stage","config":{"stage":"won"}}],"edges":[{"from":"t","to":"s"}]}`)
		createFlow(t, a, `{"id":"won","name":"won","enabled":true,"nodes":[
		{"id":"t","type":"trigger.field_changed","config":{"field":"deal_stage"}},
		{"id":"a","type":"action.adjust_score","config":{"score":"engagement","points":50}}],"edges":[{"from":"t","to":"a"}]}`)

		postEvent(t, a, map[string]any{"id": "u1", "type": "Upgrade", "contact_id": "i1"})
		// A trait change raises field_changed too: back to free removes the tag.
		postEvent(t, a, map[string]any{"id": "u2", "type": "identify", "contact_id": "i2", "traits": map[string]any{"plan": "pro"}})
		postEvent(t, a, map[string]any{"id": "u3", "type": "identify", "contact_id": "i2", "traits": map[string]any{"plan": "free"}})
		apptest.WaitApplied(t, a, 3)

		c1 := apptest.Contact(t, a, "i1")
		assert.Equal(t, "pro", c1.Attributes["plan"])
		assert.Equal(t, []string{"paying"}, c1.Tags)
		assert.Equal(t, "won", c1.DealStage)
		assert.Equal(t, int64(50), c1.Score)
		c2 := apptest.Contact(t, a, "i2")
		assert.Equal(t, "free", c2.Attributes["plan"])
		assert.Empty(t, c2.Tags)
		assert.Equal(t, "won", c2.DealStage)
		// Setting the same value again changes nothing and starts nothing.
		postEvent(t, a, map[string]any{"id": "u4", "type": "identify", "contact_id": "i2", "traits": map[string]any{"plan": "free"}})
		apptest.WaitApplied(t, a, 4)
		assert.Equal(t, int64(50), apptest.Contact(t, a, "i2").Score)
	})
}

// TestWebhookDeliveredRetriedAndRestarted: a webhook is queued with the
// effects, retried on 500, and one queued while the receiver was down is
// delivered after a restart.
func TestWebhookDeliveredRetriedAndRestarted(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		var mu sync.Mutex
		var bodies []map[string]any
		var keys []string
		fail := 1
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if fail > 0 {
				fail--
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			var b map[string]any
			raw, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(raw, &b)
			bodies = append(bodies, b)
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()

		dir := t.TempDir()
		fast := webhook.Options{BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond}
		a := apptest.Start(t, app.Config{DataDir: dir, AllowPrivateWebhooks: true, WebhookOptions: fast})
		createFlow(t, a, fmt.Sprintf(`{"id":"hook","name":"hook","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Hook"}},
		{"id":"w","type":"action.webhook","config":{"url":%q,"headers":{"X-Team":"sales"}}}],"edges":[{"from":"t","to":"w"}]}`, srv.URL+"/hook"))
		postEvent(t, a, map[string]any{"id": "h1", "type": "Hook", "contact_id": "w1", "email": "w1@acme.test"})
		apptest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) == 0 {
				return fmt.Errorf("not delivered")
			}
			return nil
		})
		mu.Lock()
		assert.Equal(t, "h1/hook@1/w", keys[0])
		contact := bodies[0]["contact"].(map[string]any)
		assert.Equal(t, "w1", contact["id"])
		assert.Equal(t, "w1@acme.test", contact["email"])
		assert.Equal(t, "h1", bodies[0]["event"].(map[string]any)["id"])
		mu.Unlock()
		// The receiver answers before the dispatcher records the delivery.
		var hooks []model.WebhookDelivery
		apptest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
			var err error
			if hooks, err = a.Store.Webhooks(context.Background(), model.WebhookDelivered, 10); err != nil || len(hooks) != 1 {
				return fmt.Errorf("delivered: %d, %v", len(hooks), err)
			}
			return nil
		})
		assert.Equal(t, 2, hooks[0].Attempts, "one 500, then delivered")

		// The receiver goes down: the next webhook stays queued; after a
		// restart with the receiver back, it is delivered.
		down := srv.Listener.Addr().String()
		srv.Close()
		postEvent(t, a, map[string]any{"id": "h2", "type": "Hook", "contact_id": "w1"})
		apptest.WaitApplied(t, a, 2)
		require.NoError(t, a.Shutdown(context.Background()))
		pending, err := func() ([]model.WebhookDelivery, error) {
			b := apptest.Start(t, app.Config{DataDir: dir, AllowPrivateWebhooks: true, WebhookOptions: webhook.Options{PollInterval: time.Hour, BaseBackoff: time.Hour}})
			defer b.Shutdown(context.Background())
			return b.Store.Webhooks(context.Background(), model.WebhookPending, 10)
		}()
		require.NoError(t, err)
		require.Len(t, pending, 1, "the webhook survived the restart in the outbox")

		l, err := net.Listen("tcp", down)
		require.NoError(t, err)
		back := &httptest.Server{Listener: l, Config: &http.Server{Handler: srv.Config.Handler}}
		back.Start()
		defer back.Close()
		// Make the stored retry due now, as time passing would.
		c := apptest.Start(t, app.Config{DataDir: dir, AllowPrivateWebhooks: true, WebhookOptions: fast})
		require.NoError(t, c.Store.MarkWebhookRetry(context.Background(), pending[0].ID, pending[0].Attempts, time.Now(), "test: due now"))
		apptest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) < 2 {
				return fmt.Errorf("second webhook not delivered")
			}
			return nil
		})
		mu.Lock()
		assert.Equal(t, "h2/hook@1/w", keys[1])
		mu.Unlock()
	})
}

// TestPrivateWebhookRefusedByDefault: without --allow-private-webhooks a
// loopback target fails for good, with a reason.
func TestPrivateWebhookRefusedByDefault(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{})
		createFlow(t, a, `{"id":"hook","name":"hook","enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":"Hook"}},
		{"id":"w","type":"action.webhook","config":{"url":"http://127.0.0.1:9/x"}}],"edges":[{"from":"t","to":"w"}]}`)
		postEvent(t, a, map[string]any{"id": "p1", "type": "Hook", "contact_id": "p"})
		apptest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			failed, err := a.Store.Webhooks(context.Background(), model.WebhookFailed, 10)
			if err != nil || len(failed) == 0 {
				return fmt.Errorf("not failed yet: %v", err)
			}
			assert.Contains(t, failed[0].LastError, "private address")
			return nil
		})
	})
}

// TestBadMessagesAreSetAside: an unparsable or invalid message on the
// stream is recorded as dead and acked; the events around it apply. A dead
// event records the subject its publisher used, every token of it, not
// the partition subject the engine read it from.
func TestBadMessagesAreSetAside(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Examples: true})
		natsPublish(t, a, "scoreflow.events.x", "", `{"type":"Booked call","contact_id":"ok1"}`)
		natsPublish(t, a, "scoreflow.events.x", "", `not json`)
		natsPublish(t, a, "scoreflow.events.shop.orders", "", `{"type":"page_visited","contact_id":"bad"}`)
		natsPublish(t, a, "scoreflow.events.x", "", `{"type":"Booked call","contact_id":"ok2"}`)
		apptest.WaitApplied(t, a, 2)
		apptest.WaitIdle(t, a)
		dead, err := a.Store.DeadEvents(context.Background(), 10)
		require.NoError(t, err)
		require.Len(t, dead, 2)
		assert.Contains(t, dead[1].Error, "not an event")
		assert.Equal(t, "scoreflow.events.x", dead[1].Subject)
		assert.Contains(t, dead[0].Error, "properties.url")
		assert.Equal(t, "scoreflow.events.shop.orders", dead[0].Subject)
		assert.Equal(t, int64(20), apptest.Contact(t, a, "ok2").Score)
		_, err = a.Store.GetContact(context.Background(), "bad")
		assert.ErrorIs(t, err, model.ErrNotFound)
	})
}

// TestEmailResolvesCaseInsensitively: the same address in any case is one
// contact, whether the events share a batch or not.
func TestEmailResolvesCaseInsensitively(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Examples: true})
		postEvent(t, a, map[string]any{"id": "m1", "type": "Booked call", "email": "Ivan@Acme.test"})
		apptest.WaitApplied(t, a, 1)
		postEvent(t, a, map[string]any{"id": "m2", "type": "Created project", "email": "ivan@acme.TEST "})
		apptest.WaitApplied(t, a, 2)
		c := apptest.Contact(t, a, "ivan@acme.test")
		assert.Equal(t, "ivan@acme.test", c.Email)
		assert.Equal(t, int64(25), c.Score)
		n, err := a.Store.CountContacts(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
	})
}
