package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// GetSettings implements store.Store; an empty database has the defaults.
func (s *Store) GetSettings(ctx context.Context) (model.Settings, error) {
	var doc string
	err := s.pool.QueryRow(ctx, `SELECT doc FROM settings WHERE id = 1`).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return model.DefaultSettings(), nil
	}
	if err != nil {
		return model.Settings{}, fmt.Errorf("read settings: %w", err)
	}
	return store.DecodeSettings(doc)
}

// PutSettings stores settings and regrades every contact in the same
// transaction, so grades never disagree with the policy. Only contacts
// whose grade changes are written: the others keep their rows unlocked
// for the engine.
func (s *Store) PutSettings(ctx context.Context, st model.Settings) error {
	doc, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	return s.inTx(ctx, "put settings", true, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO settings (id, doc, updated_at) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`, string(doc), ms(s.now())); err != nil {
			return fmt.Errorf("put settings: %w", err)
		}
		if err := s.audit(ctx, tx, model.AuditSettingsUpdate, "settings", nil); err != nil {
			return err
		}
		expr, args := gradeCase(st)
		if _, err := tx.Exec(ctx, `UPDATE contacts SET grade = `+expr+` WHERE grade <> `+expr, args...); err != nil {
			return fmt.Errorf("regrade contacts: %w", err)
		}
		return rescoreAccounts(ctx, tx, st, s.now())
	})
}
