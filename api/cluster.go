package api

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/scoreflow/scoreflow/model"
)

// ClusterReader says which replicas apply which partitions of the event
// stream (read from NATS, so any process can answer).
type ClusterReader interface {
	Cluster(ctx context.Context) (model.Cluster, error)
}

func (s *Server) registerCluster(v1 fiber.Router) {
	if s.cfg.Cluster == nil {
		return
	}
	v1.Get("/cluster", s.auth(admin), s.getCluster)
}

// getCluster answers GET /api/v1/cluster (CONTRACT §7).
func (s *Server) getCluster(c *fiber.Ctx) error {
	cl, err := s.cfg.Cluster.Cluster(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(cl)
}

// clusterPaths documents GET /api/v1/cluster.
func clusterPaths(paths obj) {
	replica := object(obj{"id": str("the replica id (also the replica label of scoreflow_replica_info)"),
		"http": str("the replica's HTTP address"), "partitions": arrayOf(integer("a partition it applies")),
		"seen_at": obj{"type": "string", "format": "date-time", "description": "its last heartbeat (a dead replica stays listed until its heartbeat lapses, owning nothing)"}})
	lag := object(obj{"partition": integer("the partition"),
		"owner":   str("the replica applying it (empty while none does, e.g. during a handover)"),
		"pending": integer("its events not applied yet: on its consumer scoreflow-p<partition>, not delivered plus delivered and not acknowledged")})
	paths["/api/v1/cluster"] = obj{"get": operation("operations",
		"The replicas applying the event stream, the partitions each owns and each partition's backlog", secAdmin, nil, nil,
		obj{"200": ok("the cluster", object(obj{"partitions": integer("contact partitions of the stream, fixed at its creation"),
			"replicas": arrayOf(replica),
			"lag":      obj{"type": "array", "items": lag, "description": "one entry per partition, in order; absent where one engine applies the whole stream (SQLite)"}}))}, "403")}
}
