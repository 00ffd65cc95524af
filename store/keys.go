package store

import (
	"context"
	"fmt"
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

// KeyColumns are the columns ScanKey reads, in its order.
const KeyColumns = `id, name, scope, hash, created_at, last_used_at`

// ScanKey reads one key row (KeyColumns).
func ScanKey(row interface{ Scan(dest ...any) error }) (KeyRecord, error) {
	var k KeyRecord
	var created int64
	var used *int64
	if err := row.Scan(&k.ID, &k.Name, &k.Scope, &k.Hash, &created, &used); err != nil {
		return k, err
	}
	k.CreatedAt = time.UnixMilli(created).UTC()
	if used != nil {
		t := time.UnixMilli(*used).UTC()
		k.LastUsedAt = &t
	}
	return k, nil
}

// ScanKeys reads every key row of rows.
func ScanKeys(rows Rows) ([]KeyRecord, error) {
	out := []KeyRecord{}
	for rows.Next() {
		k, err := ScanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return out, nil
}
