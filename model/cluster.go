package model

import "time"

// Cluster is what GET /api/v1/cluster answers (CONTRACT §7): the stream's
// partitions, the replicas that apply them and, with the partitioned
// engine, each partition's owner and backlog.
type Cluster struct {
	Partitions int       `json:"partitions"`
	Replicas   []Replica `json:"replicas"`
	// Lag has one entry per partition, in order; absent where one engine
	// applies the whole stream (SQLite).
	Lag []PartitionLag `json:"lag,omitempty"`
}

// Replica is one Scoreflow process applying events.
type Replica struct {
	ID         string    `json:"id"`
	HTTP       string    `json:"http"`
	Partitions []int     `json:"partitions"`
	SeenAt     time.Time `json:"seen_at"`
}

// PartitionLag is one partition's owner and the events of it not applied
// yet.
type PartitionLag struct {
	Partition int `json:"partition"`
	// Owner is the replica holding the partition's lease ("" = none now).
	Owner string `json:"owner"`
	// Pending is the partition consumer's messages not delivered yet plus
	// those delivered and not acknowledged.
	Pending uint64 `json:"pending"`
}
