package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
)

// identityApp starts an app whose one flow gives 10 engagement points per
// visit of the pricing page.
func identityApp(t *testing.T) *app.App {
	t.Helper()
	a := apptest.Start(t, app.Config{})
	flow := map[string]any{"id": "pricing", "name": "Pricing", "enabled": true, "entry": map[string]any{"mode": "every_time"},
		"nodes": []any{
			map[string]any{"id": "t1", "type": "trigger.page_visited", "config": map[string]any{"url": "/pricing", "match": "contains"}},
			map[string]any{"id": "a1", "type": "action.adjust_score", "config": map[string]any{"score": "engagement", "points": 10}},
		},
		"edges": []any{map[string]any{"from": "t1", "to": "a1"}}}
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", flow)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	return a
}

func segmentCall(t *testing.T, a *app.App, path string, call map[string]any) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPost, path, call)
	require.Equal(t, http.StatusOK, r.Status, "%s: %s", path, r.Body)
}

type mergedContact struct {
	ID         string           `json:"id"`
	Email      string           `json:"email"`
	Score      int64            `json:"score"`
	Scores     map[string]int64 `json:"scores"`
	Tags       []string         `json:"tags"`
	Attributes map[string]any   `json:"attributes"`
	MergedFrom []string         `json:"merged_from"`
}

func getContact(t *testing.T, a *app.App, id string) (int, mergedContact) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+id, nil)
	var out mergedContact
	if r.Status == http.StatusOK {
		r.JSON(t, &out)
	}
	return r.Status, out
}

func timelineTypes(t *testing.T, a *app.App, id string) map[string]int {
	t.Helper()
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+id+"/timeline", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out struct {
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	r.JSON(t, &out)
	types := map[string]int{}
	for _, e := range out.Events {
		types[e.Type]++
	}
	return types
}

// TestAnalyticsJourney: anonymous page views through analytics.js, then an
// identify with userId and anonymousId. The known lead ends with the
// anonymous visits' points, whichever of the two is applied first.
func TestAnalyticsJourney(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		for _, identifyFirst := range []bool{false, true} {
			a := identityApp(t)
			pages := func() {
				for i, path := range []string{"/pricing", "/blog", "/pricing?plan=pro"} {
					segmentCall(t, a, "/v1/page", map[string]any{"type": "page", "anonymousId": "anon-1",
						"messageId": "p-" + string(rune('a'+i)), "properties": map[string]any{"url": "https://acme.test" + path}})
				}
			}
			identify := func() {
				segmentCall(t, a, "/v1/identify", map[string]any{"type": "identify", "userId": "u-7", "anonymousId": "anon-1",
					"messageId": "i-1", "traits": map[string]any{"email": "ana@acme.test", "job_title": "CEO"}})
			}
			if identifyFirst {
				identify()
				apptest.WaitApplied(t, a, 1)
				pages()
			} else {
				pages()
				apptest.WaitApplied(t, a, 3)
				identify()
			}
			apptest.WaitApplied(t, a, 4)
			apptest.WaitIdle(t, a)

			status, c := getContact(t, a, "u-7")
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, int64(20), c.Score, "identify first: %v", identifyFirst)
			assert.Equal(t, "ana@acme.test", c.Email)
			assert.Equal(t, []string{"anon-1"}, c.MergedFrom)
			status, old := getContact(t, a, "anon-1")
			require.Equal(t, http.StatusOK, status, "an old id answers with the survivor")
			assert.Equal(t, "u-7", old.ID)
			types := timelineTypes(t, a, "anon-1")
			assert.Equal(t, 3, types["page_visited"], "both pasts in one timeline")
			assert.Equal(t, 1, types["identify"])
			assert.Equal(t, 1, types["merged"], "the merge has its entry")
			apptest.CheckLedger(t, a, "u-7")
			n, err := a.Store.CountContacts(context.Background())
			require.NoError(t, err)
			assert.Equal(t, int64(1), n, "the anonymous contact is gone")

			// Later events with the old id apply to the survivor.
			segmentCall(t, a, "/v1/page", map[string]any{"type": "page", "anonymousId": "anon-1", "messageId": "p-late",
				"properties": map[string]any{"url": "https://acme.test/pricing"}})
			apptest.WaitApplied(t, a, 5)
			apptest.WaitIdle(t, a)
			_, c = getContact(t, a, "u-7")
			assert.Equal(t, int64(30), c.Score)
		}
	})
}

// TestMergeAPI: merges by the API, chains, and bad input that changes nothing.
func TestMergeAPI(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := identityApp(t)
		for _, ev := range []map[string]any{
			{"id": "a1", "type": "page_visited", "contact_id": "A", "properties": map[string]any{"url": "https://x.test/pricing"}, "traits": map[string]any{"plan": "free", "city": "Oslo"}},
			{"id": "b1", "type": "page_visited", "contact_id": "B", "properties": map[string]any{"url": "https://x.test/pricing"}, "traits": map[string]any{"plan": "pro"}},
			{"id": "b2", "type": "page_visited", "contact_id": "B", "properties": map[string]any{"url": "https://x.test/pricing"}},
			{"id": "c1", "type": "identify", "contact_id": "C", "email": "c@x.test"},
		} {
			postEvent(t, a, ev)
		}
		apptest.WaitApplied(t, a, 4)
		apptest.WaitIdle(t, a)

		for _, bad := range []struct {
			name, id string
			body     any
			status   int
		}{
			{"into itself", "A", map[string]any{"from": []string{"A"}}, http.StatusBadRequest},
			{"no sources", "A", map[string]any{"from": []string{}}, http.StatusBadRequest},
			{"not a list", "A", map[string]any{"from": "B"}, http.StatusBadRequest},
			{"unknown field", "A", map[string]any{"from": []string{"B"}, "x": 1}, http.StatusBadRequest},
			{"unknown source", "A", map[string]any{"from": []string{"B", "nobody"}}, http.StatusNotFound},
			{"unknown target", "nobody", map[string]any{"from": []string{"B"}}, http.StatusNotFound},
		} {
			r := apptest.Do(t, a, http.MethodPost, "/api/v1/contacts/"+bad.id+"/merge", bad.body)
			assert.Equal(t, bad.status, r.Status, "%s: %s", bad.name, r.Body)
			assert.Contains(t, string(r.Body), `"error"`, bad.name)
		}
		n, err := a.Store.CountContacts(context.Background())
		require.NoError(t, err)
		require.Equal(t, int64(3), n, "bad merges changed nothing")

		// A into B, then B into C: A resolves to C.
		r := apptest.Do(t, a, http.MethodPost, "/api/v1/contacts/B/merge", map[string]any{"from": []string{"A"}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var b mergedContact
		r.JSON(t, &b)
		assert.Equal(t, int64(30), b.Score)
		assert.Equal(t, "pro", b.Attributes["plan"], "the survivor's value wins")
		assert.Equal(t, "Oslo", b.Attributes["city"], "what the survivor lacks is taken")
		assert.Equal(t, []string{"A"}, b.MergedFrom)
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/contacts/B/merge", map[string]any{"from": []string{"A"}})
		assert.Equal(t, http.StatusBadRequest, r.Status, "A is B already: %s", r.Body)

		r = apptest.Do(t, a, http.MethodPost, "/api/v1/contacts/C/merge", map[string]any{"from": []string{"B"}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		status, c := getContact(t, a, "A")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "C", c.ID)
		assert.Equal(t, int64(30), c.Score)
		assert.Equal(t, []string{"A", "B"}, c.MergedFrom)
		apptest.CheckLedger(t, a, "C")
		types := timelineTypes(t, a, "C")
		assert.Equal(t, 3, types["page_visited"])
		assert.Equal(t, 2, types["merged"])

		r = apptest.Do(t, a, http.MethodGet, "/api/v1/audit", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Contains(t, string(r.Body), `"action":"contact.merge","target":"C"`)

		// Events later sent with either old id apply to C.
		postEvent(t, a, map[string]any{"id": "a2", "type": "page_visited", "contact_id": "A", "properties": map[string]any{"url": "https://x.test/pricing"}})
		apptest.WaitApplied(t, a, 7)
		apptest.WaitIdle(t, a)
		_, c = getContact(t, a, "C")
		assert.Equal(t, int64(40), c.Score)

		// Two contacts with ids of their own never merge by email.
		postEvent(t, a, map[string]any{"id": "d1", "type": "identify", "contact_id": "D", "email": "c@x.test"})
		apptest.WaitApplied(t, a, 8)
		apptest.WaitIdle(t, a)
		status, _ = getContact(t, a, "D")
		assert.Equal(t, http.StatusOK, status)

		// Ingest may not send merges itself, nor the steps of one across partitions.
		for _, typ := range []string{model.EventMerged, model.EventMergeOut, model.EventMergeIn} {
			r = apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"type": typ, "contact_id": "D", "properties": map[string]any{"from": []string{"C"}}})
			assert.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", typ, r.Body)
			assert.Contains(t, string(r.Body), typ+" is reserved")
		}
	})
}

// TestIdentifyMergesEmailContact: a contact created from an email alone
// merges into the contact an identify with that email names.
func TestIdentifyMergesEmailContact(t *testing.T) {
	a := identityApp(t)
	postEvent(t, a, map[string]any{"id": "e1", "type": "page_visited", "email": "Bo@x.test", "properties": map[string]any{"url": "https://x.test/pricing"}})
	apptest.WaitApplied(t, a, 1)
	postEvent(t, a, map[string]any{"id": "e2", "type": "identify", "contact_id": "bo", "email": "bo@x.test"})
	apptest.WaitApplied(t, a, 2)
	apptest.WaitIdle(t, a)
	status, c := getContact(t, a, "bo")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, int64(10), c.Score)
	assert.Equal(t, []string{"bo@x.test"}, c.MergedFrom)

	// A visitor known only by an anonymous id gives its email, then signs
	// in with an id of its own and that email.
	segmentCall(t, a, "/v1/page", map[string]any{"type": "page", "anonymousId": "anon-2", "messageId": "m1",
		"properties": map[string]any{"url": "https://x.test/pricing"}})
	segmentCall(t, a, "/v1/identify", map[string]any{"type": "identify", "anonymousId": "anon-2", "messageId": "m2",
		"traits": map[string]any{"email": "cy@x.test"}})
	apptest.WaitApplied(t, a, 4)
	segmentCall(t, a, "/v1/identify", map[string]any{"type": "identify", "userId": "cy", "messageId": "m3",
		"traits": map[string]any{"email": "cy@x.test"}})
	apptest.WaitApplied(t, a, 5)
	apptest.WaitIdle(t, a)
	status, c = getContact(t, a, "cy")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, int64(10), c.Score)
	assert.Equal(t, []string{"anon-2"}, c.MergedFrom)
}
