package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/api"
	"github.com/scoreflow/scoreflow/apptest"
)

type startedEngine struct{}

func (startedEngine) Ready() bool { return true }
func (startedEngine) Reload()     {}

// TestReadyzChecks: a started engine is ready only while every check
// answers; the first failing one is named, its error is not shown.
func TestReadyzChecks(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("dial tcp 10.0.0.7:5432: connection refused") }
	for _, tc := range []struct {
		name   string
		checks []api.ReadyCheck
		status int
		body   string
	}{
		{"no checks", nil, http.StatusOK, `{"status":"ready"}`},
		{"all answer", []api.ReadyCheck{{"store", ok}, {"nats", ok}}, http.StatusOK, `{"status":"ready"}`},
		{"store down", []api.ReadyCheck{{"store", down}, {"nats", ok}}, http.StatusServiceUnavailable,
			`{"status":"unavailable","unavailable":"store"}`},
		{"nats down", []api.ReadyCheck{{"store", ok}, {"nats", down}}, http.StatusServiceUnavailable,
			`{"status":"unavailable","unavailable":"nats"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := api.New(api.Config{Engine: startedEngine{}, ReadyChecks: tc.checks, Logger: apptest.Logger(t)})
			resp, err := srv.Test(httptest.NewRequest(http.MethodGet, "/readyz", nil))
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.JSONEq(t, tc.body, string(body))
		})
	}
}
