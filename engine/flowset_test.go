package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/scoreflow/scoreflow/actions"
	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/sqlite"
	_ "github.com/scoreflow/scoreflow/triggers"
)

// TestTriggerIndexHoldsOnlyListeners: an event looks at the triggers under
// its own type only, so 1,000 flows on other events cost it nothing.
func TestTriggerIndexHoldsOnlyListeners(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	defer st.Close()
	add := func(id, node string, enabled bool) {
		doc := fmt.Sprintf(`{"id":%q,"name":%q,"enabled":%v,"nodes":[%s,
			{"id":"a","type":"action.add_tag","config":{"tag":"x"}}],"edges":[{"from":"t","to":"a"}]}`, id, id, enabled, node)
		_, err := st.CreateFlow(ctx, store.FlowRecord{ID: id, Name: id, Enabled: enabled, Doc: []byte(doc)})
		require.NoError(t, err)
	}
	for i := 0; i < 1000; i++ {
		add(fmt.Sprintf("custom-%04d", i), fmt.Sprintf(`{"id":"t","type":"trigger.event","config":{"name":"E%d"}}`, i), true)
	}
	for i := 0; i < 3; i++ {
		add(fmt.Sprintf("page-%d", i), `{"id":"t","type":"trigger.page_visited","config":{"url":"/p"}}`, true)
	}
	add("page-off", `{"id":"t","type":"trigger.page_visited","config":{"url":"/p"}}`, false)
	add("tags", `{"id":"t","type":"trigger.tag_added","config":{"tag":"vip"}}`, true)

	fs, err := loadFlowSet(ctx, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.Len(t, fs.flows, 1004, "disabled flows are not loaded")
	assert.Len(t, fs.byKey[flows.TriggerKey{Type: model.EventPageVisited}], 3)
	assert.Len(t, fs.byKey[flows.TriggerKey{Type: "E500"}], 1)
	assert.Len(t, fs.byKey[flows.TriggerKey{Type: "E-none"}], 0)
	assert.Len(t, fs.byKey[flows.TriggerKey{Internal: true, Type: model.InternalTagAdded}], 1)
	assert.Len(t, fs.byKey[flows.TriggerKey{Type: model.InternalTagAdded}], 0, "an ingested event named tag_added starts no tag trigger")
	refs := fs.byKey[flows.TriggerKey{Type: model.EventPageVisited}]
	assert.Equal(t, "page-0", refs[0].flow.Flow.ID, "listeners run in flow id order")
}
