package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

var _ store.KeyStore = (*Store)(nil)

// keysTx runs fn in a write transaction that also bumps the keys
// generation, so every replica reloads its keys.
func (s *Store) keysTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	return s.writeTxThen(ctx, what, fn, bumpKeysGeneration)
}

func bumpKeysGeneration(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE keys_generation SET generation = generation + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump keys generation: %w", err)
	}
	return nil
}

// CreateKey implements store.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k store.KeyRecord) (store.KeyRecord, error) {
	k.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
	k.LastUsedAt = nil
	err := s.keysTx(ctx, "create key "+k.Name, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Scope, k.Hash, ms(k.CreatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("a key named %q already exists: %w", k.Name, model.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create key %s: %w", k.Name, err)
		}
		return s.audit(ctx, tx, model.AuditKeyCreate, k.Name, nil)
	})
	if err != nil {
		return store.KeyRecord{}, err
	}
	return k, nil
}

// RevokeKey implements store.KeyStore.
func (s *Store) RevokeKey(ctx context.Context, id string) (store.KeyRecord, error) {
	var k store.KeyRecord
	err := s.keysTx(ctx, "revoke key "+id, func(tx *sql.Tx) error {
		var err error
		k, err = store.ScanKey(tx.QueryRowContext(ctx, `DELETE FROM api_keys WHERE id = ? RETURNING `+store.KeyColumns, id))
		if errors.Is(err, sql.ErrNoRows) {
			return model.NotFound("key", id)
		}
		if err != nil {
			return fmt.Errorf("revoke key %s: %w", id, err)
		}
		return s.audit(ctx, tx, model.AuditKeyRevoke, k.Name, nil)
	})
	if err != nil {
		return store.KeyRecord{}, err
	}
	return k, nil
}

// ListKeys implements store.KeyStore.
func (s *Store) ListKeys(ctx context.Context) ([]store.KeyRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+store.KeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	return store.ScanKeys(rows)
}

// KeysGeneration implements store.KeyStore.
func (s *Store) KeysGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := s.read.QueryRowContext(ctx, `SELECT generation FROM keys_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read keys generation: %w", err)
	}
	return g, nil
}

// TouchKeys implements store.KeyStore.
func (s *Store) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("touch keys: %w", err)
	}
	defer tx.Rollback()
	for id, at := range used {
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			ms(at), id, ms(at)); err != nil {
			return fmt.Errorf("touch key %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("touch keys: commit: %w", err)
	}
	return nil
}
