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
		"seen_at": obj{"type": "string", "format": "date-time"}})
	paths["/api/v1/cluster"] = obj{"get": operation("operations",
		"The replicas applying the event stream and the partitions each owns (one engine per stream for now: it owns them all)", secAdmin, nil, nil,
		obj{"200": ok("the cluster", object(obj{"partitions": integer("contact partitions of the stream, fixed at its creation"),
			"replicas": arrayOf(replica)}))}, "403")}
}
