package app_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
)

// TestReplicasMergeAcrossPartitions is CONTRACT §9 on a cluster: merges
// whose two contacts are applied by different replicas, asked through the
// merge API on either replica and by an identify over HTTP, end with the
// survivor holding both pasts; the old id answers the survivor on every
// replica, and its later events count for the survivor.
func TestReplicasMergeAcrossPartitions(t *testing.T) {
	_, first, second := replicaPair(t)
	ctx := context.Background()
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("m%d", i))
	}
	// on picks ids applied by a, skipping taken ones.
	taken := map[string]bool{}
	on := func(a *app.App) string {
		t.Helper()
		for _, id := range ids {
			if !taken[id] && slices.Contains(a.Engine.Owned(), a.Engine.PartitionOf(id)) {
				taken[id] = true
				return id
			}
		}
		t.Fatalf("no free id on %s", a.ReplicaID)
		return ""
	}
	score := func(id string, want int64) {
		t.Helper()
		apptest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			for _, a := range []*app.App{first, second} {
				var c struct {
					ID         string   `json:"id"`
					Score      int64    `json:"score"`
					MergedFrom []string `json:"merged_from"`
				}
				r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/"+id, nil)
				if r.Status != http.StatusOK {
					return fmt.Errorf("GET %s on %s: %d %s", id, a.ReplicaID, r.Status, r.Body)
				}
				r.JSON(t, &c)
				if c.Score != want {
					return fmt.Errorf("%s (%s) on %s: score %d, want %d", id, c.ID, a.ReplicaID, c.Score, want)
				}
			}
			return nil
		})
	}

	for _, via := range []*app.App{first, second} {
		t.Run("merge API through "+via.ReplicaID, func(t *testing.T) {
			from, into := on(first), on(second)
			if via == second {
				from, into = on(second), on(first)
			}
			apptest.Publish(t, via, demoEvents(0, 2, from)...)
			apptest.Publish(t, via, demoEvents(0, 1, into)...)
			score(from, 10)
			score(into, 5)
			var body struct {
				ID         string   `json:"id"`
				Score      int64    `json:"score"`
				MergedFrom []string `json:"merged_from"`
			}
			r := apptest.Do(t, via, http.MethodPost, "/api/v1/contacts/"+into+"/merge", map[string]any{"from": []string{from}})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			r.JSON(t, &body)
			assert.Equal(t, into, body.ID)
			assert.Equal(t, int64(15), body.Score, "the answer comes once the merged contact's state is in")
			assert.Equal(t, []string{from}, body.MergedFrom)
			score(from, 15) // the old id answers the survivor on both replicas
			tl, err := first.Store.Timeline(ctx, into, 100)
			require.NoError(t, err)
			merged := 0
			for _, ev := range tl {
				if ev.Type == "merged" {
					merged++
				}
			}
			assert.Equal(t, 1, merged, "the merge API's event is the one merged entry")
			apptest.Publish(t, via, demoEvents(5, 1, from)...)
			score(into, 20)
			apptest.CheckLedger(t, first, into)
		})
	}

	t.Run("identify over HTTP", func(t *testing.T) {
		anon, known := on(second), on(first)
		for i := range 3 {
			r := apptest.Do(t, first, http.MethodPost, "/api/v1/events", map[string]any{"id": fmt.Sprintf("anon-%d", i),
				"type": "Demo", "anonymous_id": anon})
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		}
		score(anon, 15)
		r := apptest.Do(t, second, http.MethodPost, "/api/v1/events", map[string]any{"id": "who", "type": "identify",
			"contact_id": known, "anonymous_id": anon})
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		score(known, 15)
		score(anon, 15)
		_, err := first.Store.GetContact(ctx, anon)
		assert.Error(t, err, "the anonymous contact is gone")
		apptest.CheckLedger(t, second, known)
	})
}
