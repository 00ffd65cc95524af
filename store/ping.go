package store

import "context"

// Pinger tells whether the store answers: /readyz of each replica asks it,
// so a replica cut off from its database stops taking traffic.
type Pinger interface {
	// Ping makes one round trip to the database.
	Ping(ctx context.Context) error
}
