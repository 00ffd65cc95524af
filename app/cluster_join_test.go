package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
)

// TestReplicasShareTheStream is CONTRACT §7 through app.Start: processes
// on one PostgreSQL and one NATS split the partitions between them, every
// event is applied once whichever replica took it in, a replica that stops
// hands its partitions back, and a SQLite engine cannot join them.
func TestReplicasShareTheStream(t *testing.T) {
	url, first, second := replicaPair(t)

	// Events for 40 contacts taken in by both replicas, two of each per
	// contact through each, so every contact's events meet on one owner.
	const contacts, each = 40, 4
	for c := range contacts {
		id := fmt.Sprintf("c%d", c)
		apptest.Publish(t, first, demoEvents(0, each/2, id)...)
		apptest.Publish(t, second, demoEvents(each/2, each/2, id)...)
	}
	// A repeat of the first half through the other replica changes nothing.
	for c := range contacts {
		apptest.Publish(t, second, demoEvents(0, each/2, fmt.Sprintf("c%d", c))...)
	}
	apptest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if got := first.Engine.Stats().Applied + second.Engine.Stats().Applied; got < contacts*each {
			return fmt.Errorf("applied %d of %d", got, contacts*each)
		}
		return nil
	})
	apptest.WaitIdle(t, first)
	assert.Equal(t, uint64(contacts*each), first.Engine.Stats().Applied+second.Engine.Stats().Applied)
	assert.NotZero(t, first.Engine.Stats().Applied, "r1 applied nothing")
	assert.NotZero(t, second.Engine.Stats().Applied, "r2 applied nothing")
	for c := range contacts {
		id := fmt.Sprintf("c%d", c)
		assert.Equal(t, int64(5*each), apptest.Contact(t, first, id).Score, id)
		apptest.CheckLedger(t, second, id)
	}

	// A SQLite engine may not join them.
	err := startRefused(t, process(t, url, "lone"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PostgreSQL replicas [")
	assert.Contains(t, err.Error(), "a SQLite engine cannot join them")

	// A replica that stops hands its partitions over at once.
	require.NoError(t, second.Shutdown(context.Background()))
	apptest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if got := ownedCounts(t, first); got["r1"] != 16 || len(got) != 1 {
			return fmt.Errorf("partitions owned: %v", got)
		}
		return nil
	})
	apptest.Publish(t, first, demoEvents(each, 1, "c0")...)
	apptest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if got := apptest.Contact(t, first, "c0").Score; got != int64(5*(each+1)) {
			return fmt.Errorf("c0 score %d", got)
		}
		return nil
	})
	apptest.CheckLedger(t, first, "c0")
}

// replicaPair starts two replicas on one PostgreSQL and one NATS, with the
// demo flow (5 engagement points per Demo event) created through the
// first, and waits until each applies half the partitions.
func replicaPair(t *testing.T) (natsURL string, first, second *app.App) {
	t.Helper()
	natsURL = sharedNATS(t)
	db := pgtest.URL(t)
	replica := func(id string) *app.App {
		cfg := process(t, natsURL, id)
		cfg.Store, cfg.HTTPAddr = db, "127.0.0.1:0"
		return apptest.Start(t, cfg)
	}
	first = replica("r1")
	r := apptest.Do(t, first, http.MethodPost, "/api/v1/flows", demoFlow(5, 0))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	second = replica("r2")
	apptest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if got := ownedCounts(t, second); got["r1"] != 8 || got["r2"] != 8 {
			return fmt.Errorf("partitions owned: %v", got)
		}
		return nil
	})
	return natsURL, first, second
}

// ownedCounts is how many partitions each replica applies, as
// GET /api/v1/cluster on a says.
func ownedCounts(t *testing.T, a *app.App) map[string]int {
	t.Helper()
	var cl model.Cluster
	apptest.Do(t, a, http.MethodGet, "/api/v1/cluster", nil).JSON(t, &cl)
	out := map[string]int{}
	for _, rep := range cl.Replicas {
		out[rep.ID] = len(rep.Partitions)
	}
	return out
}
