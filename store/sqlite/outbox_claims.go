package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// ClaimWebhooks implements store.WebhookClaims. SQLite runs one engine and
// so one dispatcher, but claims the same way as PostgreSQL: the single
// writer connection makes the UPDATE atomic against any other claim.
func (s *Store) ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]model.WebhookDelivery, error) {
	rows, err := s.write.QueryContext(ctx, `UPDATE webhook_outbox SET claimed_by = ?, claimed_until = ?
		WHERE id IN (SELECT id FROM webhook_outbox
			WHERE status = 'pending' AND next_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
			ORDER BY next_at, id LIMIT ?)
		RETURNING `+webhookColumns, owner, ms(now.Add(lease)), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim webhook outbox rows: %w", err)
	}
	out, err := collectWebhooks(rows)
	if err != nil {
		return nil, fmt.Errorf("claim webhook outbox rows: %w", err)
	}
	store.SortDue(out)
	return out, nil
}
