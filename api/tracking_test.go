package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// basic is the Authorization header Segment SDKs send: the write key as
// the user name and an empty password.
func basic(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"))
}

// nodeSDKHeaders are the headers @segment/analytics-node sends with a batch.
func nodeSDKHeaders(key string) []string {
	return []string{"Authorization", basic(key), "User-Agent", "analytics-node-next/latest", "Content-Type", "application/json"}
}

type timelineEvent struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Timestamp  time.Time      `json:"timestamp"`
	Properties map[string]any `json:"properties"`
	Traits     map[string]any `json:"traits"`
}

func timeline(t *testing.T, a *app.App, contact string) []timelineEvent {
	t.Helper()
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+contact+"/timeline", nil, authHeader("Bearer "+adminKey)...)
	require.Equal(t, http.StatusOK, r.Status, "timeline of %s: %s", contact, r.Body)
	var out struct{ Events []timelineEvent }
	r.JSON(t, &out)
	return out.Events
}

func byID(events []timelineEvent) map[string]timelineEvent {
	m := map[string]timelineEvent{}
	for _, e := range events {
		m[e.ID] = e
	}
	return m
}

// TestSegmentAsTheSDKsSendIt posts payloads the way the official SDKs do
// and checks the events and contact traits they become.
func TestSegmentAsTheSDKsSendIt(t *testing.T) {
	received := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(received)
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey, Now: clock.Now, Schedules: apptest.Off})
	iso := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") } // JavaScript's toISOString

	// The client's clock runs an hour fast: Segment corrects timestamps by
	// receivedAt - (sentAt - timestamp).
	skew := time.Hour
	sentAt := received.Add(skew)
	library := map[string]any{"library": map[string]any{"name": "@segment/analytics-node", "version": "2.1.0"}}

	// @segment/analytics-node: POST /v1/batch, basic auth, {batch, sentAt}.
	nodeBatch := map[string]any{
		"batch": []any{
			map[string]any{"type": "identify", "userId": "u-1", "messageId": "node-next-1-a", "timestamp": iso(sentAt.Add(-3 * time.Second)),
				"traits":  map[string]any{"job_title": "CEO", "company_size": 40, "email": "Ana@Acme.test"},
				"context": library, "integrations": map[string]any{}, "_metadata": map[string]any{"nodeVersion": "20.11.0", "jsRuntime": "node"}},
			map[string]any{"type": "track", "userId": "u-1", "event": "Signed up for trial", "messageId": "node-next-2-b",
				"timestamp": iso(sentAt.Add(-2 * time.Second)), "properties": map[string]any{"plan": "pro"}, "context": library},
			map[string]any{"type": "page", "userId": "u-1", "name": "Pricing", "messageId": "node-next-3-c",
				"timestamp": iso(sentAt.Add(-time.Second)), "properties": map[string]any{"url": "https://acme.test/pricing", "title": "Pricing"}, "context": library},
			map[string]any{"type": "track", "anonymousId": "anon-9", "event": "Viewed demo", "messageId": "node-next-4-d", "timestamp": iso(sentAt)},
			// Skipped, as Segment drops them: no user, no event name, a page without url, calls with nothing to score
			// (but group, which puts the user in an account).
			map[string]any{"type": "track", "event": "Nobody", "messageId": "node-next-5-e"},
			map[string]any{"type": "track", "userId": "u-1", "messageId": "node-next-6-f"},
			map[string]any{"type": "page", "userId": "u-1", "messageId": "node-next-7-g", "properties": map[string]any{"title": "No url"}},
			map[string]any{"type": "group", "userId": "u-1", "groupId": "g-1", "messageId": "node-next-8-h"},
			map[string]any{"type": "alias", "userId": "u-1", "previousId": "anon-9", "messageId": "node-next-9-i"},
			map[string]any{"type": "screen", "userId": "u-1", "name": "Home", "messageId": "node-next-10-j"},
		},
		"sentAt": iso(sentAt),
	}
	r := apptest.Do(t, a, http.MethodPost, "/v1/batch", nodeBatch, nodeSDKHeaders(writeKey)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.JSONEq(t, `{"success": true}`, string(r.Body))

	// analytics.js: one call per request to /v1/t, /v1/p, /v1/i, as
	// text/plain, writeKey and sentAt in the body, context.page set.
	browserCtx := map[string]any{
		"page":      map[string]any{"url": "https://acme.test/blog/post?x=1", "title": "A post", "referrer": "https://google.test/", "path": "/blog/post"},
		"userAgent": "Mozilla/5.0",
		"traits":    map[string]any{"plan": "trial"},
	}
	for path, call := range map[string]map[string]any{
		"/v1/p": {"type": "page", "anonymousId": "browser-1", "messageId": "ajs-next-1", "timestamp": iso(sentAt.Add(-time.Second)),
			"properties": map[string]any{"path": "/blog/post"}, "context": browserCtx},
		"/v1/t": {"type": "track", "anonymousId": "browser-1", "event": "Clicked CTA", "messageId": "ajs-next-2", "timestamp": iso(sentAt),
			"properties": map[string]any{"cta": "hero"}, "context": browserCtx},
		"/v1/i": {"type": "identify", "anonymousId": "browser-1", "messageId": "ajs-next-3", "timestamp": iso(sentAt),
			"traits": map[string]any{"name": "Bo"}, "context": browserCtx},
	} {
		call["writeKey"] = writeKey
		call["sentAt"] = iso(sentAt)
		enc, err := json.Marshal(call)
		require.NoError(t, err)
		r := apptest.Do(t, a, http.MethodPost, path, enc, "Content-Type", "text/plain")
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", path, r.Body)
		assert.JSONEq(t, `{"success": true}`, string(r.Body))
	}

	// A raw HTTP call with Segment's long paths and a top-level batch
	// context that applies to every item (item context wins).
	rawBatch := map[string]any{
		"writeKey": writeKey,
		"context":  map[string]any{"traits": map[string]any{"country": "US", "plan": "free"}, "page": map[string]any{"url": "https://acme.test/from-batch"}},
		"batch": []any{
			map[string]any{"type": "track", "userId": "u-2", "event": "Booked call", "messageId": "raw-1"},
			map[string]any{"type": "page", "userId": "u-2", "messageId": "raw-2"},
			map[string]any{"type": "identify", "userId": "u-2", "messageId": "raw-3", "traits": map[string]any{"job_title": "CTO"},
				"context": map[string]any{"traits": map[string]any{"plan": "enterprise"}}},
		},
	}
	r = apptest.Do(t, a, http.MethodPost, "/v1/batch", rawBatch)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = apptest.Do(t, a, http.MethodPost, "/v1/track", map[string]any{"userId": 42, "event": "Numeric user", "messageId": "raw-4",
		"timestamp": "2026-11-20T08:00:00Z"}, "Authorization", basic(adminKey))
	require.Equal(t, http.StatusOK, r.Status, "the admin key is taken too: %s", r.Body)

	const want = 5 + 3 + 3 + 2 // the alias is an identify that merges; the node batch's group call is an event (accounts)
	apptest.WaitApplied(t, a, want)
	apptest.WaitIdle(t, a)
	assert.Equal(t, uint64(want), a.Engine.Stats().Applied, "skipped messages are not events")

	t.Run("analytics-node batch", func(t *testing.T) {
		c := apptest.Contact(t, a, "u-1")
		assert.Equal(t, "CEO", c.Attributes["job_title"])
		assert.EqualValues(t, 40, c.Attributes["company_size"])
		assert.Equal(t, "ana@acme.test", c.Email, "traits.email becomes the contact's email")
		events := byID(timeline(t, a, "u-1"))
		require.Len(t, events, 7, "its own 3, anon-9's, the alias and its merge entry, the group call")
		assert.Equal(t, "group", events["node-next-8-h"].Type)
		assert.Equal(t, "g-1", c.AccountID, "group puts the user in the account")
		assert.Equal(t, "identify", events["node-next-1-a"].Type)
		assert.Equal(t, "Signed up for trial", events["node-next-2-b"].Type, "track.event is the type")
		assert.Equal(t, map[string]any{"plan": "pro"}, events["node-next-2-b"].Properties)
		page := events["node-next-3-c"]
		assert.Equal(t, "page_visited", page.Type)
		assert.Equal(t, "https://acme.test/pricing", page.Properties["url"])
		assert.Equal(t, "Pricing", page.Properties["name"])
		// Corrected for the client's hour of skew.
		assert.Equal(t, received.Add(-3*time.Second), events["node-next-1-a"].Timestamp)
		assert.Equal(t, received.Add(-2*time.Second), events["node-next-2-b"].Timestamp)
		assert.Equal(t, received.Add(-time.Second), page.Timestamp)

		// anonymousId is the contact without userId; the alias then
		// merged it into u-1, so its event is u-1's.
		assert.Equal(t, "Viewed demo", events["node-next-4-d"].Type)
		assert.Equal(t, received, events["node-next-4-d"].Timestamp)
		assert.Equal(t, "merged", events["node-next-9-i/merged/anon-9"].Type)
		merged, err := a.Store.ResolveContact(context.Background(), "anon-9")
		require.NoError(t, err)
		assert.Equal(t, "u-1", merged)
	})

	t.Run("analytics.js calls", func(t *testing.T) {
		c := apptest.Contact(t, a, "browser-1")
		assert.Equal(t, "Bo", c.Attributes["name"])
		assert.Equal(t, "trial", c.Attributes["plan"], "context.traits become traits")
		events := byID(timeline(t, a, "browser-1"))
		require.Len(t, events, 3)
		page := events["ajs-next-1"]
		assert.Equal(t, "page_visited", page.Type)
		assert.Equal(t, "https://acme.test/blog/post?x=1", page.Properties["url"], "context.page.url when properties.url is absent")
		assert.Equal(t, "A post", page.Properties["title"])
		assert.Equal(t, "https://google.test/", page.Properties["referrer"])
		assert.Equal(t, "/blog/post", page.Properties["path"])
		assert.Equal(t, "Clicked CTA", events["ajs-next-2"].Type)
		assert.Equal(t, "trial", events["ajs-next-2"].Traits["plan"])
		assert.Equal(t, received.Add(-time.Second), page.Timestamp)
	})

	t.Run("top-level batch context", func(t *testing.T) {
		c := apptest.Contact(t, a, "u-2")
		assert.Equal(t, "US", c.Attributes["country"], "the batch's context.traits apply to every item")
		assert.Equal(t, "CTO", c.Attributes["job_title"])
		assert.Equal(t, "enterprise", c.Attributes["plan"], "the item's context wins over the batch's")
		events := byID(timeline(t, a, "u-2"))
		require.Len(t, events, 3)
		assert.Equal(t, "Booked call", events["raw-1"].Type)
		assert.Equal(t, "https://acme.test/from-batch", events["raw-2"].Properties["url"], "the batch's context.page.url")
		assert.Equal(t, received, events["raw-1"].Timestamp, "no timestamp: the time of receipt")
	})

	t.Run("numeric userId and a timestamp without sentAt", func(t *testing.T) {
		events := timeline(t, a, "42")
		require.Len(t, events, 1)
		assert.Equal(t, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), events[0].Timestamp)
	})
}

// TestSegmentSameMessageIDTwice: a retried batch (same messageIds) is
// applied once: messageId is the event id, the deduplication key.
func TestSegmentSameMessageIDTwice(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", flowDoc("demo", 10), authHeader("Bearer "+adminKey)...)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	batch := map[string]any{"batch": []any{
		map[string]any{"type": "track", "userId": "dup", "event": "Demo", "messageId": "m-1"},
		map[string]any{"type": "track", "userId": "dup", "event": "Demo", "messageId": "m-2"},
	}, "sentAt": time.Now().UTC().Format(time.RFC3339Nano)}
	for i := 0; i < 3; i++ {
		r := apptest.Do(t, a, http.MethodPost, "/v1/batch", batch, nodeSDKHeaders(writeKey)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	}
	// The same messageId in a single call too.
	r = apptest.Do(t, a, http.MethodPost, "/v1/track", map[string]any{"userId": "dup", "event": "Demo", "messageId": "m-1"}, nodeSDKHeaders(writeKey)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	apptest.WaitApplied(t, a, 2)
	apptest.WaitIdle(t, a)
	assert.Equal(t, uint64(2), a.Engine.Stats().Applied)
	assert.Len(t, timeline(t, a, "dup"), 2)
	assert.Equal(t, int64(20), apptest.Contact(t, a, "dup").Scores["engagement"], "each message scored once")
}

func TestSegmentErrorsAndAuth(t *testing.T) {
	a := apptest.Start(t, app.Config{AdminKey: adminKey, WriteKey: writeKey})
	track := map[string]any{"userId": "s-1", "event": "Demo", "messageId": "e-1"}
	withKey := func(body map[string]any, key string) map[string]any {
		out := map[string]any{"writeKey": key}
		for k, v := range body {
			out[k] = v
		}
		return out
	}
	big := map[string]any{"userId": "s-big", "event": "Demo", "properties": map[string]any{"blob": strings.Repeat("x", 33<<10)}}
	bigBatch := map[string]any{"batch": []any{map[string]any{"type": "track", "userId": "s-big", "event": "Demo",
		"properties": map[string]any{"blob": strings.Repeat("x", 501<<10)}}}}
	okBatch := map[string]any{"batch": []any{map[string]any{"type": "track", "userId": "s-ok", "event": "Demo",
		"properties": map[string]any{"blob": strings.Repeat("x", 400<<10)}}}}

	runScenarios(t, a, []scenario{
		{name: "no key", method: http.MethodPost, url: "/v1/track", body: track, status: http.StatusUnauthorized,
			check: wantError("unauthorized"), contains: []string{"basic-auth"}},
		{name: "wrong basic key", method: http.MethodPost, url: "/v1/track", body: track, headers: []string{"Authorization", basic("nope")},
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "wrong writeKey in the body", method: http.MethodPost, url: "/v1/track", body: withKey(track, "nope"),
			status: http.StatusUnauthorized, check: wantError("unauthorized")},
		{name: "a wrong header key is not rescued by the body", method: http.MethodPost, url: "/v1/track", body: withKey(track, writeKey),
			headers: []string{"Authorization", basic("nope")}, status: http.StatusUnauthorized},
		{name: "write key as bearer", method: http.MethodPost, url: "/v1/track", body: track, headers: authHeader("Bearer " + writeKey),
			status: http.StatusOK},
		{name: "write key in a batch item", method: http.MethodPost, url: "/v1/batch",
			body: map[string]any{"batch": []any{withKey(map[string]any{"type": "track", "userId": "s-1", "event": "Demo"}, writeKey)}}, status: http.StatusOK},
		{name: "malformed JSON", method: http.MethodPost, url: "/v1/track", body: `{"userId": "x", `, headers: []string{"Authorization", basic(writeKey)},
			status: http.StatusBadRequest, check: wantError("invalid_json")},
		{name: "malformed JSON in a batch", method: http.MethodPost, url: "/v1/batch", body: `{"batch": [}`, headers: []string{"Authorization", basic(writeKey)},
			status: http.StatusBadRequest, check: wantError("invalid_json")},
		{name: "wrong types are not a 400", method: http.MethodPost, url: "/v1/batch", headers: []string{"Authorization", basic(writeKey)},
			body:   `{"batch": [{"type": "track", "userId": ["x"], "event": {}, "properties": "no", "context": 5}, 7, "x"], "context": [], "sentAt": false}`,
			status: http.StatusOK, contains: []string{`"success":true`}},
		{name: "batch is not an array", method: http.MethodPost, url: "/v1/batch", headers: []string{"Authorization", basic(writeKey)},
			body: `{"batch": {"type": "track"}}`, status: http.StatusOK},
		{name: "over 32 KB a call", method: http.MethodPost, url: "/v1/track", body: big, headers: []string{"Authorization", basic(writeKey)},
			status: http.StatusRequestEntityTooLarge, check: wantError("body_too_large")},
		{name: "over 32 KB on /v1/t", method: http.MethodPost, url: "/v1/t", body: withKey(big, writeKey),
			status: http.StatusRequestEntityTooLarge, check: wantError("body_too_large")},
		{name: "over 500 KB a batch", method: http.MethodPost, url: "/v1/batch", body: bigBatch, headers: []string{"Authorization", basic(writeKey)},
			status: http.StatusRequestEntityTooLarge, check: wantError("body_too_large")},
		{name: "400 KB batch is fine", method: http.MethodPost, url: "/v1/batch", body: okBatch, headers: []string{"Authorization", basic(writeKey)},
			status: http.StatusOK},
		{name: "GET is not allowed", method: http.MethodGet, url: "/v1/track", status: http.StatusMethodNotAllowed,
			check: func(t *testing.T, r apptest.Response) {
				wantError("method_not_allowed")(t, r)
				assert.Equal(t, "POST", r.Header.Get("Allow"))
			}},
		{name: "unknown call", method: http.MethodPost, url: "/v1/nope", body: track, status: http.StatusNotFound, check: wantError("not_found")},
		{name: "CORS preflight for browsers", method: http.MethodOptions, url: "/v1/t",
			headers: []string{"Origin", "https://acme.test", "Access-Control-Request-Method", "POST"}, status: http.StatusNoContent,
			check: func(t *testing.T, r apptest.Response) {
				assert.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"))
			}},
		{name: "CORS on a call", method: http.MethodPost, url: "/v1/t", body: withKey(track, writeKey),
			headers: []string{"Origin", "https://acme.test", "Content-Type", "text/plain"}, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				assert.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"))
			}},
	})
}

// TestSegmentOpen: without keys no key is asked for.
func TestSegmentOpen(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	for i, path := range []string{"/v1/track", "/v1/t"} {
		r := apptest.Do(t, a, http.MethodPost, path, map[string]any{"userId": "open", "event": "Demo", "messageId": fmt.Sprint("o-", i)})
		assert.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	}
	apptest.WaitApplied(t, a, 2)
}
