package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/store"
)

// TestClusterRescoreReportsProgress: a lab rescore over two replicas
// reports the job as each owner answers, not only at the end: one report
// per owning replica, counts growing to the total.
func TestClusterRescoreReportsProgress(t *testing.T) {
	_, first, second := replicaPair(t)
	const contacts = 30
	for c := range contacts {
		apptest.Publish(t, first, demoEvents(0, 1, fmt.Sprintf("r%d", c))...)
	}
	apptest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if n, err := first.Store.CountContacts(context.Background()); err != nil || n < contacts {
			return fmt.Errorf("%d contacts (%v)", n, err)
		}
		return nil
	})
	apptest.WaitIdle(t, first)
	r := apptest.Do(t, second, http.MethodPut, "/api/v1/flows/demo", demoFlow(3, 1))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	var reports []store.LabJob
	job, err := second.Engine.Rescore(context.Background(), store.LabJob{ID: "progress"}, func(j store.LabJob) {
		reports = append(reports, j)
	})
	require.NoError(t, err)
	assert.Equal(t, int64(contacts), job.Done)
	assert.Equal(t, int64(contacts), job.Changed)
	require.Len(t, reports, 2, "one report per owning replica")
	assert.Less(t, reports[0].Done, reports[1].Done)
	assert.Positive(t, reports[0].Done)
	assert.Equal(t, job, reports[1])
}
