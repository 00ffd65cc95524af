package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/model"
)

// TestUnownedPartitionAnswers503: work that must run on a contact's owner
// (a DELETE, a segment's back-fill) whose partition nobody applies at the
// moment — its replica stopped applying it while still holding its lease,
// as a dead replica does until the lease lapses — is answered within
// seconds with 503, Retry-After and an error naming the partition, not
// after the whole handover wait; once the partition has an owner again the
// same requests work.
func TestUnownedPartitionAnswers503(t *testing.T) {
	_, first, second := replicaPair(t)
	ctx := context.Background()
	ids := []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10", "u11"}
	for _, id := range ids {
		apptest.Publish(t, first, demoEvents(0, 1, id)...)
	}
	id := ownedBy(t, second, ids)
	p := second.Engine.PartitionOf(id)
	apptest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		_, err := first.Store.GetContact(ctx, id)
		return err
	})
	// second stops applying p without giving up its lease: nobody takes it.
	require.NoError(t, second.Engine.Release(ctx, p))
	path := "/api/v1/contacts/" + url.PathEscape(id)

	unavailable := func(t *testing.T, method, path string, body any) {
		t.Helper()
		start := time.Now()
		r := apptest.Do(t, first, method, path, body)
		took := time.Since(start)
		require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
		assert.Less(t, took, 10*time.Second, "answered after the whole handover wait")
		retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After"))
		assert.Positive(t, retry)
		var e struct {
			Error struct{ Code, Message string }
		}
		r.JSON(t, &e)
		assert.Equal(t, "unavailable", e.Error.Code)
		assert.Contains(t, e.Error.Message, "partition "+strconv.Itoa(p)+" has no owner right now")
		assert.Contains(t, e.Error.Message, "retry shortly")
	}
	t.Run("delete", func(t *testing.T) {
		unavailable(t, http.MethodDelete, path, nil)
		_, err := first.Store.GetContact(ctx, id)
		require.NoError(t, err, "the refused delete deleted the contact")
	})
	segment := map[string]any{"id": "any", "name": "Any", "where": map[string]any{"field": "score", "op": "gte", "value": 0}}
	t.Run("back-fill", func(t *testing.T) {
		unavailable(t, http.MethodPost, "/api/v1/segments", segment)
		assert.Equal(t, http.StatusNotFound, apptest.Do(t, first, http.MethodGet, "/api/v1/segments/any", nil).Status,
			"the refused segment was saved")
		// A back-fill asked of the engine for a saved segment stops as
		// soon, too.
		_, err := first.Store.CreateSegment(ctx, model.Segment{ID: "saved", Name: "Saved",
			Where: json.RawMessage(`{"field":"score","op":"gte","value":0}`)})
		require.NoError(t, err)
		start := time.Now()
		_, err = first.Engine.BackfillSegment(ctx, "saved", false)
		var unav *model.UnavailableError
		require.ErrorAs(t, err, &unav)
		assert.Less(t, time.Since(start), 10*time.Second)
	})

	require.NoError(t, second.Engine.Acquire(ctx, p))
	r := apptest.Do(t, first, http.MethodPost, "/api/v1/segments", segment)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	r = apptest.Do(t, first, http.MethodDelete, path, nil)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	assert.Equal(t, http.StatusNotFound, apptest.Do(t, second, http.MethodGet, path, nil).Status)
}
