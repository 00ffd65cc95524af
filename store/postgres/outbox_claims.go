package postgres

import (
	"context"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// ClaimWebhooks implements store.WebhookClaims. The inner SELECT locks the
// rows it picks and skips rows another replica's claim is locking right
// now; a row whose claim just committed is re-checked under its lock
// (READ COMMITTED) and dropped, so no two claims return one row.
func (s *Store) ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]model.WebhookDelivery, error) {
	rows, err := s.queryWebhooks(ctx, `UPDATE webhook_outbox o SET claimed_by = $1, claimed_until = $2
		FROM (SELECT id FROM webhook_outbox
			WHERE status = 'pending' AND next_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
			ORDER BY next_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) due
		WHERE o.id = due.id
		RETURNING `+claimedColumns, owner, ms(now.Add(lease)), ms(now), limitArg(limit))
	if err != nil {
		return nil, err
	}
	store.SortDue(rows)
	return rows, nil
}

// claimedColumns are webhookColumns qualified by the UPDATE's alias.
const claimedColumns = `o.id, o.key, o.url, o.headers, o.body, o.status, o.attempts, COALESCE(o.last_error, ''), o.next_at, o.created_at`
