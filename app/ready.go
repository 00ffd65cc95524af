package app

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/scoreflow/scoreflow/api"
)

// readyChecks are the dependencies /readyz asks for at each probe: a
// replica that cannot reach its store or NATS cannot take ingest or answer
// the API, so a load balancer must send its traffic to the others.
func (a *App) readyChecks() []api.ReadyCheck {
	return []api.ReadyCheck{
		{Name: "store", Check: a.Store.Ping},
		{Name: "nats", Check: func(ctx context.Context) error {
			if st := a.Conn.Status(); st != nats.CONNECTED {
				return fmt.Errorf("nats connection is %s", st)
			}
			// A round trip, so a server that stopped answering shows
			// before the client notices the connection is gone.
			if err := a.Conn.FlushWithContext(ctx); err != nil {
				return fmt.Errorf("nats round trip: %w", err)
			}
			return nil
		}},
	}
}
