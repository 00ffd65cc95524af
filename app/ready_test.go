package app_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/apptest"
	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/internal/pgtest"
)

// TestReadyzFollowsStoreAndNATS: /readyz of a replica is 503, naming what
// is missing, while its PostgreSQL or its NATS server is down, and 200
// again once they are back, without a restart of the replica.
func TestReadyzFollowsStoreAndNATS(t *testing.T) {
	cluster := pgtest.Private(t) // ours to stop: never a shared server
	natsDir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	natsAddr := l.Addr().String()
	require.NoError(t, l.Close())
	startNATS := func() *broker.Embedded {
		ns, err := broker.StartEmbedded(broker.EmbeddedOptions{StoreDir: natsDir, Listen: natsAddr})
		require.NoError(t, err)
		return ns
	}
	ns := startNATS()
	t.Cleanup(func() { ns.Shutdown() })

	cfg := process(t, "nats://"+natsAddr, "replica-1")
	cfg.Store = cluster.URL(t)
	a := apptest.Start(t, cfg)

	readyz := func(status int, body string) func() error {
		return func() error {
			r := apptest.Do(t, a, http.MethodGet, "/readyz", nil)
			var got map[string]string
			_ = json.Unmarshal(r.Body, &got)
			want := map[string]string{"status": "ready"}
			if body != "" {
				want = map[string]string{"status": "unavailable", "unavailable": body}
			}
			if r.Status != status || fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("/readyz = %d %s, want %d %v", r.Status, r.Body, status, want)
			}
			return nil
		}
	}
	apptest.CheckFor(t, 10*time.Second, 20*time.Millisecond, readyz(http.StatusOK, ""))

	cluster.Stop(t)
	apptest.CheckFor(t, 10*time.Second, 50*time.Millisecond, readyz(http.StatusServiceUnavailable, "store"))
	cluster.Start(t)
	apptest.CheckFor(t, 15*time.Second, 50*time.Millisecond, readyz(http.StatusOK, ""))

	ns.Shutdown()
	apptest.CheckFor(t, 10*time.Second, 50*time.Millisecond, readyz(http.StatusServiceUnavailable, "nats"))
	ns = startNATS()
	apptest.CheckFor(t, 15*time.Second, 50*time.Millisecond, readyz(http.StatusOK, ""))
}
