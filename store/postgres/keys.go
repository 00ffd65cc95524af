package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

var _ store.KeyStore = (*Store)(nil)

// keysTx runs fn in a transaction that also bumps the keys generation, so
// every replica reloads its keys.
func (s *Store) keysTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	return s.inTx(ctx, what, false, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE keys_generation SET generation = generation + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("%s: bump keys generation: %w", what, err)
		}
		return nil
	})
}

// CreateKey implements store.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k store.KeyRecord) (store.KeyRecord, error) {
	k.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
	k.LastUsedAt = nil
	err := s.keysTx(ctx, "create key "+k.Name, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
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
	err := s.keysTx(ctx, "revoke key "+id, func(tx pgx.Tx) error {
		var err error
		k, err = store.ScanKey(tx.QueryRow(ctx, `DELETE FROM api_keys WHERE id = $1 RETURNING `+store.KeyColumns, id))
		if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, `SELECT `+store.KeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	return store.ScanKeys(rows)
}

// KeysGeneration implements store.KeyStore.
func (s *Store) KeysGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := s.pool.QueryRow(ctx, `SELECT generation FROM keys_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read keys generation: %w", err)
	}
	return g, nil
}

// TouchKeys implements store.KeyStore, in one statement.
func (s *Store) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	ids := make([]string, 0, len(used))
	ats := make([]int64, 0, len(used))
	for id, at := range used {
		ids = append(ids, id)
		ats = append(ats, ms(at))
	}
	if _, err := s.pool.Exec(ctx, `UPDATE api_keys k SET last_used_at = u.at
		FROM unnest($1::text[], $2::bigint[]) AS u(id, at)
		WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`, ids, ats); err != nil {
		return fmt.Errorf("touch keys: %w", err)
	}
	return nil
}
