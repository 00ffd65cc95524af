package model

import (
	"fmt"
	"time"
)

// UnavailableError is work that cannot be done right now and will work on
// a retry soon (a contact's partition between two owners): a 503 whose
// Retry-After header is RetryAfter, rounded up to whole seconds.
type UnavailableError struct {
	Message    string
	RetryAfter time.Duration
}

func (e *UnavailableError) Error() string { return e.Message }

// NoPartitionOwner is the UnavailableError of partitions nobody applies at
// the moment: a replica died and its partitions have not moved yet.
func NoPartitionOwner(parts []int, retry time.Duration) *UnavailableError {
	what := fmt.Sprintf("partitions %v have", parts)
	if len(parts) == 1 {
		what = fmt.Sprintf("partition %d has", parts[0])
	}
	return &UnavailableError{Message: what + " no owner right now (a replica is being replaced); retry shortly", RetryAfter: retry}
}
