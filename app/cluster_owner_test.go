package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// TestReplicasAnswerForTheOwner is CONTRACT §7's "any replica answers any
// API call" for the calls that must run on a contact's owner: a contact
// DELETE and a segment's back-fill sent to a replica that does not apply
// the contacts' partitions are done by their owners.
func TestReplicasAnswerForTheOwner(t *testing.T) {
	_, first, second := replicaPair(t)
	ctx := context.Background()

	// 60 contacts with 1, 2 or 3 Demo events: 5, 10 or 15 points.
	const contacts = 60
	events := func(c int) int { return c%3 + 1 }
	ids := make([]string, contacts)
	total := 0
	for c := range contacts {
		ids[c] = fmt.Sprintf("c%d", c)
		apptest.Publish(t, first, demoEvents(0, events(c), ids[c])...)
		total += events(c)
	}
	apptest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if got := first.Engine.Stats().Applied + second.Engine.Stats().Applied; got < uint64(total) {
			return fmt.Errorf("applied %d of %d", got, total)
		}
		return nil
	})
	apptest.WaitIdle(t, first)
	apptest.WaitIdle(t, second)

	// The follower: the replica that does not apply partition 0 (the leader's).
	leader, follower := first, second
	if slices.Contains(second.Engine.Owned(), 0) {
		leader, follower = second, first
	}
	require.NotContains(t, follower.Engine.Owned(), 0)
	require.Len(t, follower.Engine.Owned(), 8)
	onEach := map[*app.App]int{}
	for _, id := range ids {
		if slices.Contains(leader.Engine.Owned(), leader.Engine.PartitionOf(id)) {
			onEach[leader]++
		} else {
			onEach[follower]++
		}
	}
	require.NotZero(t, onEach[leader], "no contact on the leader's partitions")
	require.NotZero(t, onEach[follower], "no contact on the follower's partitions")

	members := func(t *testing.T, seg string, want func(c int) bool) {
		t.Helper()
		for c, id := range ids {
			for _, a := range []*app.App{first, second} {
				var got model.Contact
				r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+id, nil)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				r.JSON(t, &got)
				assert.Equal(t, want(c), slices.Contains(got.Segments, seg), "%s in %s (score %d)", id, seg, got.Score)
			}
		}
	}
	count := func(want func(c int) bool) (n int) {
		for c := range contacts {
			if want(c) {
				n++
			}
		}
		return n
	}

	t.Run("segment created through the follower", func(t *testing.T) {
		r := apptest.Do(t, follower, http.MethodPost, "/api/v1/segments", map[string]any{"id": "warm", "name": "Warm",
			"where": map[string]any{"field": "score", "op": "gte", "value": 10}})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		members(t, "warm", func(c int) bool { return events(c) >= 2 })
	})

	t.Run("back-fill counts summed over the owners", func(t *testing.T) {
		seg, err := follower.Store.GetSegment(ctx, "warm")
		require.NoError(t, err)
		seg.Where = json.RawMessage(`{"field":"score","op":"gte","value":15}`)
		_, err = follower.Store.UpdateSegment(ctx, seg)
		require.NoError(t, err)
		res, err := follower.Engine.BackfillSegment(ctx, "warm", false)
		require.NoError(t, err)
		assert.Equal(t, 0, res.Entered)
		assert.Equal(t, count(func(c int) bool { return events(c) == 2 }), res.Exited)
		assert.Equal(t, contacts, res.Contacts)
		members(t, "warm", func(c int) bool { return events(c) == 3 })
	})

	t.Run("time-based segment: each owner evaluates its contacts", func(t *testing.T) {
		_, err := follower.Store.CreateSegment(ctx, model.Segment{ID: "busy", Name: "Busy",
			Where: json.RawMessage(`{"event":"Demo","within":"30d","count":{"op":"gte","value":2}}`)})
		require.NoError(t, err)
		res, err := follower.Engine.BackfillSegment(ctx, "busy", true)
		require.NoError(t, err)
		assert.Equal(t, count(func(c int) bool { return events(c) >= 2 }), res.Entered)
		assert.Equal(t, 0, res.Exited)
		assert.Equal(t, contacts, res.Contacts)
		assert.True(t, res.Fired)
		members(t, "busy", func(c int) bool { return events(c) >= 2 })
	})

	t.Run("lab rescore: each owner rescores its contacts", func(t *testing.T) {
		r := apptest.Do(t, follower, http.MethodPut, "/api/v1/flows/demo", demoFlow(7, 1))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		job, err := follower.Engine.Rescore(ctx, store.LabJob{ID: "job-1"}, nil)
		require.NoError(t, err)
		assert.Equal(t, int64(contacts), job.Done)
		assert.Equal(t, int64(contacts), job.Changed)
		for c, id := range ids {
			assert.Equal(t, int64(7*events(c)), apptest.Contact(t, leader, id).Score, id)
			apptest.CheckLedger(t, follower, id)
		}
		// Again: every contact already has its replay's scores.
		job, err = leader.Engine.Rescore(ctx, store.LabJob{ID: "job-2"}, nil)
		require.NoError(t, err)
		assert.Equal(t, int64(contacts), job.Done)
		assert.Zero(t, job.Changed)
	})

	t.Run("delete through a replica that does not own the contact", func(t *testing.T) {
		for _, via := range []*app.App{leader, follower} {
			owner := follower
			if via == follower {
				owner = leader
			}
			id := ownedBy(t, owner, ids)
			path := "/api/v1/contacts/" + url.PathEscape(id)
			r := apptest.Do(t, via, http.MethodDelete, path, nil)
			require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
			for _, a := range []*app.App{first, second} {
				assert.Equal(t, http.StatusNotFound, apptest.Do(t, a, http.MethodGet, path, nil).Status, id)
			}
			assert.Equal(t, http.StatusNotFound, apptest.Do(t, via, http.MethodDelete, path, nil).Status, "second delete of %s", id)
			assert.Equal(t, http.StatusNotFound, apptest.Do(t, owner, http.MethodDelete, path, nil).Status, "delete of %s on its owner", id)
			ids = slices.DeleteFunc(ids, func(c string) bool { return c == id })

			// The owner forgot it: a new event starts a new contact from nothing.
			apptest.Publish(t, via, demoEvents(10, 1, id)...)
			apptest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				c, err := owner.Store.GetContact(ctx, id)
				if err != nil {
					return err
				}
				if c.Score != 7 {
					return fmt.Errorf("%s score %d after its delete and one event", id, c.Score)
				}
				return nil
			})
		}
	})

	t.Run("delete across a handover", func(t *testing.T) {
		id := ownedBy(t, follower, ids)
		stopped := make(chan error, 1)
		go func() { stopped <- follower.Shutdown(context.Background()) }()
		path := "/api/v1/contacts/" + url.PathEscape(id)
		r := apptest.Do(t, leader, http.MethodDelete, path, nil)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		require.NoError(t, <-stopped)
		assert.Equal(t, http.StatusNotFound, apptest.Do(t, leader, http.MethodGet, path, nil).Status, id)
		assert.Equal(t, http.StatusNotFound, apptest.Do(t, leader, http.MethodDelete, path, nil).Status, id)
	})
}

// ownedBy is the first of ids whose partition a applies.
func ownedBy(t *testing.T, a *app.App, ids []string) string {
	t.Helper()
	for _, c := range ids {
		if slices.Contains(a.Engine.Owned(), a.Engine.PartitionOf(c)) {
			return c
		}
	}
	t.Fatalf("none of %d contacts is on %s's partitions", len(ids), a.ReplicaID)
	return ""
}
