package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/app"
	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/internal/pgtest"
	"github.com/scoreflow/scoreflow/model"
)

// TestPostgresGoesAwayUnderLoad stops PostgreSQL (an operator's fast
// shutdown, then a crash that loses the answers of in-flight commits)
// while events keep arriving. Meanwhile the API answers 503 and ingest
// keeps accepting; once the server is back the engine catches up by itself
// and every event is applied exactly once: each contact's score is its
// number of events and its history sums to it.
func TestPostgresGoesAwayUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and starts a PostgreSQL server")
	}
	cluster := pgtest.Private(t) // ours to stop: never a shared server
	a := apptest.Start(t, app.Config{Store: cluster.URL(t), Schedules: apptest.Off, BatchSize: 100})
	createFlow(t, a, scoreFlow("hit", "Hit", "", 1))

	const contacts, perPhase = 40, 1500
	var mu sync.Mutex
	sent := map[string]int64{}
	seq := 0
	sentSoFar := func() int {
		mu.Lock()
		defer mu.Unlock()
		return seq
	}
	publish := func(n int) {
		events := make([]*model.Event, 0, 50)
		for i := 0; i < n; i++ {
			mu.Lock()
			contact := fmt.Sprint("c", seq%contacts)
			events = append(events, apptest.Event(fmt.Sprint("ev-", seq), "Hit", contact, nil))
			sent[contact]++
			seq++
			mu.Unlock()
			if len(events) == cap(events) {
				apptest.Publish(t, a, events...)
				events = events[:0]
				time.Sleep(5 * time.Millisecond) // a steady stream, not one burst
			}
		}
		if len(events) > 0 {
			apptest.Publish(t, a, events...)
		}
	}

	for _, outage := range []struct {
		name string
		stop func(testing.TB)
	}{{"fast shutdown", cluster.Stop}, {"crash", cluster.Crash}} {
		done := make(chan struct{})
		go func() { defer close(done); publish(perPhase) }()
		apptest.CheckFor(t, 20*time.Second, 5*time.Millisecond, func() error {
			if applied := a.Engine.Stats().Applied; applied < uint64(sentSoFar()/3) || applied == 0 {
				return fmt.Errorf("%d applied so far", applied)
			}
			return nil
		})
		outage.stop(t)
		t.Logf("%s after %d of %d events were applied", outage.name, a.Engine.Stats().Applied, sentSoFar())

		r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/c1", nil)
		assert.Equal(t, http.StatusServiceUnavailable, r.Status, "reads while the database is down: %s", r.Body)
		assert.Equal(t, "unavailable", r.Map(t)["error"].(map[string]any)["code"])
		assert.NotEmpty(t, r.Header.Get("Retry-After"))
		r = apptest.Do(t, a, http.MethodPost, "/api/v1/events", map[string]any{"id": "during-" + outage.name, "type": "Hit", "contact_id": "c0"})
		assert.Equal(t, http.StatusAccepted, r.Status, "ingest goes on: the stream holds the event (%s)", r.Body)
		mu.Lock()
		sent["c0"]++
		seq++
		mu.Unlock()

		<-done
		time.Sleep(500 * time.Millisecond) // the engine retries against a dead server for a while
		cluster.Start(t)
	}

	// Counted in the store: a commit whose answer the crash lost is applied
	// although the engine never heard so (its retry finds the events done).
	apptest.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		applied, err := appliedEvents(a.Store)
		if err == nil && applied < seq {
			err = fmt.Errorf("%d of %d applied", applied, seq)
		}
		return err
	})
	apptest.WaitIdle(t, a)
	applied, err := appliedEvents(a.Store)
	require.NoError(t, err)
	assert.Equal(t, seq, applied, "nothing applied twice")
	for contact, want := range sent {
		c := apptest.Contact(t, a, contact)
		require.Equal(t, want, c.Score, "contact %s", contact)
		apptest.CheckLedger(t, a, contact)
	}
	r := apptest.Do(t, a, http.MethodGet, "/api/v1/contacts/c1", nil)
	assert.Equal(t, http.StatusOK, r.Status, "the API recovered by itself: %s", r.Body)
	n, err := a.Store.CountContacts(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(contacts), n)
}
