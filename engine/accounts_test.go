package engine_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

func dimFlow(id, trigger, dim string, points int) string {
	return fmt.Sprintf(`{"id":%q,"name":%q,"enabled":true,"nodes":[
		{"id":"t","type":"trigger.event","config":{"name":%q}},
		{"id":"a","type":"action.adjust_score","config":{"score":%q,"points":%d}}],"edges":[{"from":"t","to":"a"}]}`,
		id, id, trigger, dim, points)
}

func putSettings(t *testing.T, a *app.App, doc string) {
	t.Helper()
	r := apptest.Do(t, a, http.MethodPut, "/api/v1/settings", doc)
	require.Equal(t, http.StatusOK, r.Status, "put settings: %s", r.Body)
}

func getAccount(t *testing.T, a *app.App, id string) model.Account {
	t.Helper()
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/accounts/"+id, nil)
	require.Equal(t, http.StatusOK, r.Status, "account %s: %s", id, r.Body)
	var out model.Account
	r.JSON(t, &out)
	return out
}

// allContacts pages every contact through the store.
func allContacts(t *testing.T, a *app.App) []*model.Contact {
	t.Helper()
	var out []*model.Contact
	cursor := ""
	for {
		page, next, err := a.Store.ListContacts(context.Background(), store.ContactQuery{Limit: 1000, Cursor: cursor})
		require.NoError(t, err)
		out = append(out, page...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// checkAccountAggregates recomputes every account's scores from its members
// from scratch and compares them with what the engine kept incrementally.
func checkAccountAggregates(t *testing.T, a *app.App, accounts []string, modes map[string]string, grades model.Settings) {
	t.Helper()
	members := map[string][]*model.Contact{}
	for _, c := range allContacts(t, a) {
		if c.AccountID != "" {
			members[c.AccountID] = append(members[c.AccountID], c)
		}
	}
	for _, id := range accounts {
		got := getAccount(t, a, id)
		ms := members[id]
		require.Equal(t, int64(len(ms)), got.Contacts, "account %s: member count", id)
		var total int64
		for dim, mode := range modes {
			var want, sum int64
			for i, c := range ms {
				v := c.Scores[dim]
				sum += v
				if i == 0 || v > want {
					want = v
				}
			}
			switch mode {
			case model.AccountSum:
				want = sum
			case model.AccountAvg:
				want = 0
				if len(ms) > 0 {
					want = int64(math.Round(float64(sum) / float64(len(ms))))
				}
			}
			if len(ms) == 0 {
				want = 0
			}
			assert.Equal(t, want, got.Scores[dim], "account %s: %s of %s over %d members", id, mode, dim, len(ms))
			total += got.Scores[dim]
		}
		assert.Equal(t, total, got.Score, "account %s: total", id)
		assert.Equal(t, grades.GradeFor(got.Score), got.Grade, "account %s: grade", id)
	}
}

// TestAccountScoresEqualTheAggregate is the property test of account
// scores: random events move random contacts between accounts and up and
// down on three dimensions (sum, max, avg); after each round every
// account's kept scores equal the aggregate computed from its members
// from scratch. A deletion and a settings change (max → avg and back) are
// part of the story.
func TestAccountScoresEqualTheAggregate(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		settings := `{"scores":[{"name":"engagement"},{"name":"fit","min":0,"max":40},{"name":"velocity","min":-30}],
			"grades":[{"name":"cold","min":null},{"name":"warm","min":20},{"name":"hot","min":60}],
			"pipeline":["new","won"],"account_scores":%s}`
		modes := map[string]string{"engagement": "sum", "fit": "max", "velocity": "avg"}
		putSettings(t, a, fmt.Sprintf(settings, `{"fit":"max","velocity":"avg"}`))
		var st model.Settings
		st.Grades = []model.Grade{{Name: "cold"}, {Name: "warm", Min: ptr64(20)}, {Name: "hot", Min: ptr64(60)}}
		for _, f := range []struct {
			trigger, dim string
			points       int
		}{{"Eng", "engagement", 7}, {"EngDown", "engagement", -5}, {"Fit", "fit", 9}, {"FitDown", "fit", -6},
			{"Vel", "velocity", 3}, {"VelDown", "velocity", -4}} {
			createFlow(t, a, dimFlow("f-"+f.trigger, f.trigger, f.dim, f.points))
		}
		accounts := []string{"acme", "globex", "initech", "umbrella"}
		types := []string{"Eng", "Eng", "EngDown", "Fit", "Fit", "FitDown", "FitDown", "Vel", "VelDown", "page"}
		r := rand.New(rand.NewPCG(12, 34))
		applied := uint64(0)
		for round := 0; round < 6; round++ {
			var batch []map[string]any
			for i := 0; i < 80; i++ {
				ev := map[string]any{"id": fmt.Sprintf("r%d-%d", round, i), "contact_id": fmt.Sprintf("c%d", r.IntN(14)),
					"type": types[r.IntN(len(types))]}
				if ev["type"] == "page" {
					ev["type"], ev["properties"] = "page_visited", map[string]any{"url": "https://acme.test/"}
				}
				if r.IntN(4) == 0 {
					ev["account_id"] = accounts[r.IntN(len(accounts))]
				}
				batch = append(batch, ev)
			}
			r := apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"events": batch})
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
			applied += uint64(len(batch))
			apptest.WaitApplied(t, a, applied)
			apptest.WaitIdle(t, a)
			switch round {
			case 1:
				// A merged contact leaves its account; a survivor without
				// one joins it (CONTRACT §9: the survivor's values win).
				var from, into *model.Contact
				for _, c := range allContacts(t, a) {
					switch {
					case from == nil && c.AccountID != "":
						from = c
					case into == nil || (into.AccountID != "" && c.AccountID == ""):
						into = c
					}
				}
				require.NotNil(t, from, "a contact has an account")
				require.NotNil(t, into)
				want := into.AccountID
				if want == "" {
					want = from.AccountID
				}
				r := apptest.Do(t, a, http.MethodPost, "/api/v1/contacts/"+into.ID+"/merge", map[string]any{"from": []string{from.ID}})
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				applied++ // the merge is an event
				apptest.WaitIdle(t, a)
				assert.Equal(t, want, apptest.Contact(t, a, into.ID).AccountID)
			case 2:
				// A deleted contact leaves its account.
				for _, c := range allContacts(t, a) {
					if c.AccountID != "" {
						require.Equal(t, http.StatusNoContent, apptest.Do(t, a, http.MethodDelete, "/api/v1/contacts/"+c.ID, nil).Status)
						break
					}
				}
			case 3:
				// A new policy rescores every account at once.
				putSettings(t, a, fmt.Sprintf(settings, `{"fit":"avg","velocity":"max","engagement":"max"}`))
				modes = map[string]string{"engagement": "max", "fit": "avg", "velocity": "max"}
			case 4:
				putSettings(t, a, fmt.Sprintf(settings, `{"fit":"max","velocity":"avg"}`))
				modes = map[string]string{"engagement": "sum", "fit": "max", "velocity": "avg"}
			}
			checkAccountAggregates(t, a, accounts, modes, st)
		}
		// Every account was used, and the list pages through all of them
		// by score.
		var seen []string
		cursor := ""
		for {
			r := apptest.Do(t, a, http.MethodGet, "/api/v1/accounts?limit=3&cursor="+cursor, nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var page struct {
				Accounts   []model.Account `json:"accounts"`
				NextCursor string          `json:"next_cursor"`
			}
			r.JSON(t, &page)
			for _, acc := range page.Accounts {
				seen = append(seen, acc.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		sort.Strings(seen)
		assert.Equal(t, accounts, seen)
	})
}

func ptr64(v int64) *int64 { return &v }

// TestGroupCallAndAccountSegment: Segment's group call names the account
// and its traits; a segment on account fields takes a contact in at once
// when it joins, and takes the other members in at the next time pass
// when the account's score moves (flushAccounts marks them due).
func TestGroupCallAndAccountSegment(t *testing.T) {
	apptest.EachStore(t, func(t *testing.T) {
		a := apptest.Start(t, app.Config{Schedules: apptest.Off})
		createFlow(t, a, scoreFlow("point", "Point", "", 15))
		createSegment(t, a, `{"id":"pro-accounts","name":"Pro accounts","where":{"all":[
			{"field":"account.attributes.plan","op":"eq","value":"pro"},{"field":"account.score","op":"gte","value":20}]}}`)
		createSegment(t, a, `{"id":"no-account","name":"No account","where":{"field":"account.score","op":"not_exists"}}`)

		r := apptest.Do(t, a, http.MethodPost, "/v1/group", map[string]any{"userId": "ana", "groupId": "acme", "messageId": "g1",
			"traits": map[string]any{"name": "Acme Inc", "plan": "pro", "employees": 40}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		postEvent(t, a, map[string]any{"id": "b1", "type": "Point", "contact_id": "bo", "account_id": "acme"})
		postEvent(t, a, map[string]any{"id": "l1", "type": "Point", "contact_id": "loner"})
		apptest.WaitApplied(t, a, 3)
		apptest.WaitIdle(t, a)

		acme := getAccount(t, a, "acme")
		assert.Equal(t, "Acme Inc", acme.Name)
		assert.Equal(t, map[string]any{"plan": "pro", "employees": float64(40)}, acme.Attributes)
		assert.Equal(t, int64(2), acme.Contacts)
		assert.Equal(t, int64(15), acme.Score)
		assert.Equal(t, "acme", apptest.Contact(t, a, "ana").AccountID, "the contact shows its account")
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/ana", nil)
		assert.Contains(t, string(r.Body), `"account_id":"acme"`)
		assert.Equal(t, []string{"no-account"}, apptest.Contact(t, a, "loner").Segments)
		assert.Empty(t, apptest.Contact(t, a, "ana").Segments, "acme scores 15 < 20")

		// Bo scores again: acme reaches 30. Bo's own batch read the account
		// as it was (15), so both members are made due for the time pass.
		postEvent(t, a, map[string]any{"id": "b2", "type": "Point", "contact_id": "bo"})
		apptest.WaitApplied(t, a, 4)
		apptest.WaitIdle(t, a)
		assert.Equal(t, int64(30), getAccount(t, a, "acme").Score)
		assert.Empty(t, apptest.Contact(t, a, "bo").Segments, "not before the time pass")
		// Any event of a member evaluates it against its account at once.
		postEvent(t, a, map[string]any{"id": "a1", "type": "page_visited", "contact_id": "ana", "properties": map[string]any{"url": "https://acme.test/"}})
		apptest.WaitApplied(t, a, 5)
		apptest.WaitIdle(t, a)
		assert.Equal(t, []string{"pro-accounts"}, apptest.Contact(t, a, "ana").Segments)
		n, err := a.Engine.RunTimePass(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 1, n, "bo was due, ana caught up already, no one else")
		for _, id := range []string{"ana", "bo"} {
			assert.Equal(t, []string{"pro-accounts"}, apptest.Contact(t, a, id).Segments, id)
		}
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/segments/pro-accounts/contacts", nil)
		assert.Contains(t, string(r.Body), `"id":"ana"`)

		// The member list, the account search and the score over time.
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/accounts/acme/contacts", nil)
		require.Equal(t, http.StatusOK, r.Status)
		var page struct {
			Contacts []model.Contact `json:"contacts"`
		}
		r.JSON(t, &page)
		require.Len(t, page.Contacts, 2)
		assert.Equal(t, "bo", page.Contacts[0].ID, "by score, highest first")
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/accounts?q=ACME%20i", nil)
		assert.Contains(t, string(r.Body), `"id":"acme"`, "search matches the name, ignoring case")
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/accounts?q=nothing", nil)
		assert.JSONEq(t, `{"accounts":[],"next_cursor":""}`, string(r.Body))
		r = apptest.Do(t, a, http.MethodGet, "/api/v1/accounts/acme/history", nil)
		require.Equal(t, http.StatusOK, r.Status)
		var hist struct {
			History []struct {
				Score int64 `json:"score"`
			} `json:"history"`
		}
		r.JSON(t, &hist)
		require.Len(t, hist.History, 2, "ana's page visit changed no score")
		assert.Equal(t, []int64{15, 30}, []int64{hist.History[0].Score, hist.History[1].Score})

		// The filter builder is offered the account fields and the
		// attributes accounts hold.
		var cat struct {
			ContactFields []struct {
				Name    string `json:"name"`
				Account bool   `json:"account"`
			} `json:"contact_fields"`
			AccountAttributes []string `json:"account_attributes"`
		}
		apptest.Do(t, a, http.MethodGet, "/api/v1/catalog", nil).JSON(t, &cat)
		assert.Equal(t, []string{"employees", "plan"}, cat.AccountAttributes)
		accountRows := map[string]bool{}
		for _, f := range cat.ContactFields {
			if f.Account {
				accountRows[f.Name] = true
			}
		}
		assert.Equal(t, map[string]bool{"account.score": true, "account.score.": true, "account.grade": true, "account.attributes.": true}, accountRows)

		// Bad input changes nothing.
		assert.Equal(t, http.StatusNotFound, apptest.Do(t, a, http.MethodGet, "/api/v1/accounts/nope", nil).Status)
		assert.Equal(t, http.StatusBadRequest, apptest.Do(t, a, http.MethodGet, "/api/v1/accounts?sort=name", nil).Status)
		assert.Equal(t, http.StatusBadRequest, apptest.Do(t, a, http.MethodGet, "/api/v1/accounts?cursor=garbage", nil).Status)
		r = apptest.Do(t, a, http.MethodPut, "/api/v1/settings", `{"scores":[],"grades":[],"pipeline":[],"account_scores":{"fit":"median"}}`)
		assert.Equal(t, http.StatusBadRequest, r.Status)
		assert.Contains(t, string(r.Body), "account_scores.fit")
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"type": "group", "contact_id": "x"})
		assert.Equal(t, http.StatusBadRequest, r.Status, "a group event names its account")
	})
}
