package store

import (
	"context"
	"time"
)

// KeyRecord is a named API key (CONTRACT §10). The secret itself is never
// stored: Hash is the hex SHA-256 of it.
type KeyRecord struct {
	ID         string
	Name       string
	Scope      string // model.ScopeAdmin, ScopeWrite or ScopeRead
	Hash       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// KeyStore keeps the named keys. Create and revoke write their audit entry
// (key.create, key.revoke; never the secret) in the same transaction and
// bump the keys generation, which every replica polls to reload its keys.
type KeyStore interface {
	// CreateKey stores a key (CreatedAt is set); ErrConflict when the name
	// is taken.
	CreateKey(ctx context.Context, k KeyRecord) (KeyRecord, error)
	// RevokeKey deletes a key and returns what it was; NotFound when absent.
	RevokeKey(ctx context.Context, id string) (KeyRecord, error)
	// ListKeys lists every key with its hash, oldest first.
	ListKeys(ctx context.Context) ([]KeyRecord, error)
	// KeysGeneration changes whenever a key is created or revoked.
	KeysGeneration(ctx context.Context) (int64, error)
	// TouchKeys moves each key's last use forward to the given time (never
	// back); ids that no longer exist are skipped.
	TouchKeys(ctx context.Context, used map[string]time.Time) error
}
