package actions_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/flows/flowtest"
)

func TestDelayWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		path string
		msg  string
	}{
		{"missing", map[string]any{}, "for", "is required"},
		{"not a duration", map[string]any{"for": "soon"}, "for", "invalid duration"},
		{"zero", map[string]any{"for": "0m"}, "for", "must be positive"},
		{"number", map[string]any{"for": int64(3)}, "for", "must be a duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, errs := flows.Nodes.Build("delay.wait", tc.cfg)
			require.Len(t, errs, 1)
			assert.Equal(t, tc.path, errs[0].Path)
			assert.Contains(t, errs[0].Message, tc.msg)
		})
	}
	step := buildStep(t, "delay.wait", map[string]any{"for": "3d"})
	run, rec := flowtest.NewRun(&flowtest.Contact{}, flowtest.Event("x", nil))
	out, err := step.Run(run)
	require.NoError(t, err)
	assert.Equal(t, 72*time.Hour, out.Wait)
	assert.Empty(t, rec.Calls(), "waiting changes nothing")
}
