package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// contactsApp starts an app with a tagging flow and a few contacts:
// c-a (hot, tagged vip), c-b (warm), c-c (cold), and "an id/with space".
func contactsApp(t *testing.T) *app.App {
	t.Helper()
	a := apptest.Start(t, app.Config{})
	flow := withNode(flowDoc("tag-vip", 1), "action.add_tag", map[string]any{"tag": "vip"})
	flow["nodes"].([]any)[0].(map[string]any)["config"] = map[string]any{"name": "Went VIP"}
	for _, f := range []any{flowDoc("demo", 10), flow} {
		r := apptest.Do(t, a, http.MethodPost, "/api/v1/flows", f)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	}
	events := []map[string]any{
		{"id": "a-1", "type": "identify", "contact_id": "c-a", "email": "ana@acme.test",
			"traits": map[string]any{"company": "Smith & Sons <Ltd>", "job_title": "CEO", "address": map[string]any{"city": "Zürich"}}},
		{"id": "a-2", "type": "Demo", "contact_id": "c-a"}, {"id": "a-3", "type": "Demo", "contact_id": "c-a"},
		{"id": "a-4", "type": "Demo", "contact_id": "c-a"}, {"id": "a-5", "type": "Demo", "contact_id": "c-a"},
		{"id": "a-6", "type": "Demo", "contact_id": "c-a"}, {"id": "a-7", "type": "Went VIP", "contact_id": "c-a"},
		{"id": "b-1", "type": "identify", "contact_id": "c-b", "traits": map[string]any{"company": "Globex", "motto": `say "hi"`}},
		{"id": "b-2", "type": "Demo", "contact_id": "c-b"}, {"id": "b-3", "type": "Demo", "contact_id": "c-b"},
		{"id": "c-1", "type": "identify", "contact_id": "c-c", "traits": map[string]any{"job_title": "Engineer"}},
		{"id": "s-1", "type": "identify", "contact_id": "an id/with space", "traits": map[string]any{"company": "Spaces"}},
	}
	for _, ev := range events {
		postEvent(t, a, ev)
	}
	apptest.WaitApplied(t, a, uint64(len(events)))
	apptest.WaitIdle(t, a)
	return a
}

func TestContactsList(t *testing.T) {
	a := contactsApp(t)
	var next string
	runScenarios(t, a, []scenario{
		{name: "all by score", method: http.MethodGet, url: "/api/v1/contacts", status: http.StatusOK,
			check: wantIDs("c-a", "c-b", "c-c", "an id/with space")},
		{name: "ascending", method: http.MethodGet, url: "/api/v1/contacts?sort=score", status: http.StatusOK,
			check: wantIDs("an id/with space", "c-c", "c-b", "c-a")},
		{name: "grade", method: http.MethodGet, url: "/api/v1/contacts?grade=warm", status: http.StatusOK, check: wantIDs("c-b")},
		{name: "tag", method: http.MethodGet, url: "/api/v1/contacts?tag=vip", status: http.StatusOK, check: wantIDs("c-a")},
		{name: "unknown tag", method: http.MethodGet, url: "/api/v1/contacts?tag=nope", status: http.StatusOK, check: wantIDs()},
		{name: "q on a value with & and <>, stored escaped in JSON", method: http.MethodGet, url: "/api/v1/contacts?q=" + url.QueryEscape("sons <ltd>"),
			status: http.StatusOK, check: wantIDs("c-a")},
		{name: "q on a quoted value", method: http.MethodGet, url: "/api/v1/contacts?q=" + url.QueryEscape(`"hi"`), status: http.StatusOK, check: wantIDs("c-b")},
		{name: "q never matches attribute names", method: http.MethodGet, url: "/api/v1/contacts?q=job_title", status: http.StatusOK, check: wantIDs()},
		{name: "q never matches JSON syntax", method: http.MethodGet, url: "/api/v1/contacts?q=" + url.QueryEscape(`":"`), status: http.StatusOK, check: wantIDs()},
		{name: "q ignores case", method: http.MethodGet, url: "/api/v1/contacts?q=ENGINEER", status: http.StatusOK, check: wantIDs("c-c")},
		{name: "q ignores case beyond ASCII, nested", method: http.MethodGet, url: "/api/v1/contacts?q=" + url.QueryEscape("ZÜRICH"),
			status: http.StatusOK, check: wantIDs("c-a")},
		{name: "q on email", method: http.MethodGet, url: "/api/v1/contacts?q=ANA@", status: http.StatusOK, check: wantIDs("c-a")},
		{name: "q on id", method: http.MethodGet, url: "/api/v1/contacts?q=" + url.QueryEscape("with space"), status: http.StatusOK,
			check: wantIDs("an id/with space")},
		{name: "q and grade", method: http.MethodGet, url: "/api/v1/contacts?q=ceo&grade=warm", status: http.StatusOK, check: wantIDs()},
		{name: "first page", method: http.MethodGet, url: "/api/v1/contacts?limit=3", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				ids, cur := listIDs(t, r)
				assert.Equal(t, []string{"c-a", "c-b", "c-c"}, ids)
				require.NotEmpty(t, cur)
				next = cur
			}},
		{name: "next page", method: http.MethodGet, urlFn: func() string { return "/api/v1/contacts?limit=3&cursor=" + url.QueryEscape(next) },
			status: http.StatusOK, check: func(t *testing.T, r apptest.Response) {
				ids, cur := listIDs(t, r)
				assert.Equal(t, []string{"an id/with space"}, ids)
				assert.Empty(t, cur, "the last page has no cursor")
			}},
		{name: "limit not a number", method: http.MethodGet, url: "/api/v1/contacts?limit=abc", status: http.StatusBadRequest,
			check: wantError("invalid_query", "limit")},
		{name: "limit zero", method: http.MethodGet, url: "/api/v1/contacts?limit=0", status: http.StatusBadRequest, check: wantError("invalid_query", "limit")},
		{name: "limit over 1000", method: http.MethodGet, url: "/api/v1/contacts?limit=1001", status: http.StatusBadRequest, check: wantError("invalid_query", "limit")},
		{name: "limit with junk", method: http.MethodGet, url: "/api/v1/contacts?limit=10x", status: http.StatusBadRequest, check: wantError("invalid_query", "limit")},
		{name: "bad sort", method: http.MethodGet, url: "/api/v1/contacts?sort=name", status: http.StatusBadRequest, check: wantError("invalid_query", "sort")},
		{name: "bad cursor", method: http.MethodGet, url: "/api/v1/contacts?cursor=%21%21", status: http.StatusBadRequest, check: wantError("invalid_cursor", "cursor")},
	})
}

func TestContactsSegmentFilter(t *testing.T) {
	a := contactsApp(t)
	r := apptest.Do(t, a, http.MethodPost, "/api/v1/segments", map[string]any{"id": "ceos", "name": "CEOs",
		"where": map[string]any{"field": "attributes.job_title", "op": "eq", "value": "CEO"}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	runScenarios(t, a, []scenario{
		{name: "segment", method: http.MethodGet, url: "/api/v1/contacts?segment=ceos", status: http.StatusOK, check: wantIDs("c-a")},
		{name: "unknown segment", method: http.MethodGet, url: "/api/v1/contacts?segment=nope", status: http.StatusOK, check: wantIDs()},
	})
}

func TestContactReadsAndWrites(t *testing.T) {
	a := contactsApp(t)
	spaced := "/api/v1/contacts/" + url.PathEscape("an id/with space")
	runScenarios(t, a, []scenario{
		{name: "get", method: http.MethodGet, url: "/api/v1/contacts/c-a", status: http.StatusOK,
			contains: []string{`"id":"c-a"`, `"tags":["vip"]`, `"email":"ana@acme.test"`}},
		{name: "get an id with a slash and a space", method: http.MethodGet, url: spaced, status: http.StatusOK,
			contains: []string{`"id":"an id/with space"`}},
		{name: "history", method: http.MethodGet, url: "/api/v1/contacts/c-a/history", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var h struct{ History []map[string]any }
				r.JSON(t, &h)
				assert.Len(t, h.History, 5)
			}},
		{name: "history limited", method: http.MethodGet, url: "/api/v1/contacts/c-a/history?limit=2", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var h struct{ History []map[string]any }
				r.JSON(t, &h)
				assert.Len(t, h.History, 2)
			}},
		{name: "history bad limit", method: http.MethodGet, url: "/api/v1/contacts/c-a/history?limit=x", status: http.StatusBadRequest,
			check: wantError("invalid_query", "limit")},
		{name: "timeline limited", method: http.MethodGet, url: "/api/v1/contacts/c-a/timeline?limit=1", status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var tl struct{ Events []struct{ ID string } }
				r.JSON(t, &tl)
				require.Len(t, tl.Events, 1)
				assert.Equal(t, "a-7", tl.Events[0].ID, "newest first")
			}},
		{name: "timeline bad limit", method: http.MethodGet, url: "/api/v1/contacts/c-a/timeline?limit=-1", status: http.StatusBadRequest,
			check: wantError("invalid_query", "limit")},
		{name: "webhooks bad limit", method: http.MethodGet, url: "/api/v1/webhooks?limit=many", status: http.StatusBadRequest,
			check: wantError("invalid_query", "limit")},
		{name: "dead events bad limit", method: http.MethodGet, url: "/api/v1/dead-events?limit=0", status: http.StatusBadRequest,
			check: wantError("invalid_query", "limit")},

		{name: "put merges attributes, null removes one", method: http.MethodPut, url: "/api/v1/contacts/c-a",
			body: map[string]any{"attributes": map[string]any{"job_title": "CTO", "company": nil, "plan": "pro"}}, status: http.StatusOK,
			check: func(t *testing.T, r apptest.Response) {
				var c contactOut
				r.JSON(t, &c)
				assert.Equal(t, "c-a", c.ID)
				assert.Equal(t, "CTO", c.Attributes["job_title"])
				assert.Equal(t, "pro", c.Attributes["plan"])
				assert.NotContains(t, c.Attributes, "company")
				assert.Contains(t, c.Attributes, "address", "untouched attributes stay")
				assert.Equal(t, []string{"vip"}, c.Tags, "the rest of the contact stays")
				assert.Equal(t, int64(50), c.Score)
			}},
		{name: "put email", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: map[string]any{"email": "Ana.New@Acme.test"},
			status: http.StatusOK, contains: []string{`"email":"ana.new@acme.test"`}},
		{name: "put on an id with a slash", method: http.MethodPut, url: spaced, body: map[string]any{"attributes": map[string]any{"x": 1}},
			status: http.StatusOK, contains: []string{`"x":1`}},
		{name: "each change is an identify event on the timeline", method: http.MethodGet, url: "/api/v1/contacts/c-a/timeline?limit=2",
			status: http.StatusOK, contains: []string{`"type":"identify"`, `"job_title":"CTO"`}},
		{name: "put on an unknown contact", method: http.MethodPut, url: "/api/v1/contacts/nobody", body: map[string]any{"attributes": map[string]any{"x": 1}},
			status: http.StatusNotFound, check: wantError("not_found")},
		{name: "put flat attributes", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: map[string]any{"job_title": "CFO"},
			status: http.StatusBadRequest, check: wantError("invalid_contact"), contains: []string{"job_title"}},
		{name: "put nothing", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: `{}`,
			status: http.StatusBadRequest, check: wantError("invalid_contact", "attributes")},
		{name: "put attributes not an object", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: `{"attributes": [1]}`,
			status: http.StatusBadRequest, check: wantError("invalid_contact", "attributes")},
		{name: "put an empty attribute name", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: `{"attributes": {"": 1}}`,
			status: http.StatusBadRequest, check: wantError("invalid_contact", "attributes")},
		{name: "put a bad email", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: `{"email": "nope"}`,
			status: http.StatusBadRequest, check: wantError("invalid_contact", "email")},
		{name: "put malformed JSON", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: `{"attributes": `,
			status: http.StatusBadRequest, check: wantError("invalid_contact")},
		{name: "put two objects", method: http.MethodPut, url: "/api/v1/contacts/c-a", body: `{"attributes": {}} {}`,
			status: http.StatusBadRequest, check: wantError("invalid_contact")},

		{name: "delete", method: http.MethodDelete, url: "/api/v1/contacts/c-b", status: http.StatusNoContent,
			check: func(t *testing.T, r apptest.Response) { assert.Empty(t, r.Body) }},
		{name: "get deleted", method: http.MethodGet, url: "/api/v1/contacts/c-b", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "history of deleted", method: http.MethodGet, url: "/api/v1/contacts/c-b/history", status: http.StatusNotFound},
		{name: "timeline of deleted", method: http.MethodGet, url: "/api/v1/contacts/c-b/timeline", status: http.StatusNotFound},
		{name: "delete again", method: http.MethodDelete, url: "/api/v1/contacts/c-b", status: http.StatusNotFound, check: wantError("not_found")},
		{name: "delete an id with a slash", method: http.MethodDelete, url: spaced, status: http.StatusNoContent},
		{name: "the list without them", method: http.MethodGet, url: "/api/v1/contacts", status: http.StatusOK, check: wantIDs("c-a", "c-c")},
	})

	t.Run("the deleted contact's data is gone", func(t *testing.T) {
		h, err := a.Store.History(context.Background(), "c-b", 100)
		require.NoError(t, err)
		assert.Empty(t, h)
		tl, err := a.Store.Timeline(context.Background(), "c-b", 100)
		require.NoError(t, err)
		assert.Empty(t, tl)
	})
	t.Run("a new event starts the contact afresh", func(t *testing.T) {
		postEvent(t, a, map[string]any{"id": "b-new", "type": "Demo", "contact_id": "c-b"})
		waitContact(t, a, "c-b")
		c := apptest.Contact(t, a, "c-b")
		assert.Equal(t, int64(10), c.Score, "no score survives the deletion")
		assert.Empty(t, c.Attributes)
	})
}

// appliedNever is a store whose events never get applied, for the 202 of
// a contact change that takes too long.
type appliedNever struct {
	store.Store
	polls atomic.Int64
}

func (s *appliedNever) GetContact(_ context.Context, id string) (*model.Contact, error) {
	return &model.Contact{ID: id}, nil
}

func (s *appliedNever) ResolveContact(_ context.Context, id string) (string, error) { return id, nil }

func (s *appliedNever) EventApplied(context.Context, string) (bool, error) {
	s.polls.Add(1)
	return false, nil
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, string, []*model.Event) error { return nil }

func TestPutContactAnswers202WhenSlow(t *testing.T) {
	st := &appliedNever{}
	srv := api.New(api.Config{Store: st, Engine: notReady{}, Publisher: nopPublisher{}, Logger: apptest.Logger(t),
		ApplyWait: 50 * time.Millisecond, NewID: func() string { return "evt-slow" }})
	req := httptest.NewRequest(http.MethodPut, "/api/v1/contacts/c-1", strings.NewReader(`{"attributes": {"a": 1}}`))
	start := time.Now()
	resp, err := srv.Test(req, 5000)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", body)
	assert.JSONEq(t, `{"accepted": 1, "ids": ["evt-slow"]}`, string(body))
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	assert.Greater(t, st.polls.Load(), int64(2), "it polled while waiting")
}
