package model

import "time"

// Cluster is what GET /api/v1/cluster answers (CONTRACT §7): the stream's
// partitions and the replicas that apply them. Until the partitioned
// engine exists, one replica (the engine lease's holder) owns them all.
type Cluster struct {
	Partitions int       `json:"partitions"`
	Replicas   []Replica `json:"replicas"`
}

// Replica is one Scoreflow process applying events.
type Replica struct {
	ID         string    `json:"id"`
	HTTP       string    `json:"http"`
	Partitions []int     `json:"partitions"`
	SeenAt     time.Time `json:"seen_at"`
}
