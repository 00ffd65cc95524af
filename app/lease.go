package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/model"
)

// stopEngineWhenLost stops the engine once another process holds the
// engine lease (this one could not rewrite it for longer than its TTL):
// two engines applying one stream would split its events between them.
// /readyz then answers 503 and the process must be restarted.
func (a *App) stopEngineWhenLost(ctx context.Context, lost <-chan struct{}) {
	select {
	case <-ctx.Done():
	case <-lost:
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Engine.Stop(stopCtx); err != nil {
			a.log.Error("engine stop after losing the lease", "err", err)
		}
	}
}

// clusterReader answers GET /api/v1/cluster from the lease on NATS.
type clusterReader struct{ js jetstream.JetStream }

func (c clusterReader) Cluster(ctx context.Context) (model.Cluster, error) {
	return broker.Cluster(ctx, c.js)
}

// newReplicaID names this process: its host and a random suffix, so two
// processes on one machine differ.
func newReplicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "scoreflow"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}
