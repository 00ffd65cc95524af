package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

const webhookColumns = `id, key, url, headers, body, status, attempts, COALESCE(last_error, ''), next_at, created_at`

func scanWebhook(rows *sql.Rows) (model.WebhookDelivery, error) {
	var d model.WebhookDelivery
	var headers sql.NullString
	var next, created int64
	if err := rows.Scan(&d.ID, &d.Key, &d.URL, &headers, &d.Body, &d.Status, &d.Attempts, &d.LastError, &next, &created); err != nil {
		return d, err
	}
	if headers.Valid {
		if err := json.Unmarshal([]byte(headers.String), &d.Headers); err != nil {
			return d, fmt.Errorf("webhook %d headers: %w", d.ID, err)
		}
	}
	d.NextAt, d.CreatedAt = fromMS(next), fromMS(created)
	return d, nil
}

func (s *Store) queryWebhooks(ctx context.Context, q string, args ...any) ([]model.WebhookDelivery, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read webhook outbox: %w", err)
	}
	out, err := collectWebhooks(rows)
	if err != nil {
		return nil, fmt.Errorf("read webhook outbox: %w", err)
	}
	return out, nil
}

// collectWebhooks reads every row of rows and closes them.
func collectWebhooks(rows *sql.Rows) ([]model.WebhookDelivery, error) {
	defer rows.Close()
	out := []model.WebhookDelivery{}
	for rows.Next() {
		d, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueWebhooks returns pending deliveries whose time has come, oldest first.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]model.WebhookDelivery, error) {
	return s.queryWebhooks(ctx, `SELECT `+webhookColumns+` FROM webhook_outbox
		WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`, ms(now), limit)
}

// Webhooks lists deliveries in a state ("" = all), newest first.
func (s *Store) Webhooks(ctx context.Context, status string, limit int) ([]model.WebhookDelivery, error) {
	if status == "" {
		return s.queryWebhooks(ctx, `SELECT `+webhookColumns+` FROM webhook_outbox ORDER BY id DESC LIMIT ?`, limit)
	}
	return s.queryWebhooks(ctx, `SELECT `+webhookColumns+` FROM webhook_outbox WHERE status = ? ORDER BY id DESC LIMIT ?`, status, limit)
}

func (s *Store) markWebhook(ctx context.Context, q string, args ...any) error {
	if _, err := s.write.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("update webhook outbox: %w", err)
	}
	return nil
}

// MarkWebhookDelivered implements webhook.Store.
func (s *Store) MarkWebhookDelivered(ctx context.Context, id int64, attempts int, at time.Time) error {
	return s.markWebhook(ctx, `UPDATE webhook_outbox SET status = 'delivered', claimed_by = NULL, claimed_until = NULL, attempts = ?, done_at = ?, last_error = NULL WHERE id = ?`,
		attempts, ms(at), id)
}

// MarkWebhookRetry implements webhook.Store.
func (s *Store) MarkWebhookRetry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	return s.markWebhook(ctx, `UPDATE webhook_outbox SET claimed_by = NULL, claimed_until = NULL, attempts = ?, next_at = ?, last_error = ? WHERE id = ?`,
		attempts, ms(next), lastErr, id)
}

// MarkWebhookFailed implements webhook.Store.
func (s *Store) MarkWebhookFailed(ctx context.Context, id int64, attempts int, lastErr string, at time.Time) error {
	return s.markWebhook(ctx, `UPDATE webhook_outbox SET status = 'failed', claimed_by = NULL, claimed_until = NULL, attempts = ?, last_error = ?, done_at = ? WHERE id = ?`,
		attempts, lastErr, ms(at), id)
}

// RecordDeadEvent keeps a message that could not be applied.
func (s *Store) RecordDeadEvent(ctx context.Context, d store.DeadEvent) error {
	if _, err := s.write.ExecContext(ctx, `INSERT INTO dead_events (stream_seq, subject, event_id, payload, error, at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.StreamSeq, d.Subject, nullIfEmpty(d.EventID), d.Payload, d.Error, ms(d.At)); err != nil {
		return fmt.Errorf("record dead event %d: %w", d.StreamSeq, err)
	}
	return nil
}

// DeadEvents lists the latest messages that could not be applied.
func (s *Store) DeadEvents(ctx context.Context, limit int) ([]store.DeadEvent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT stream_seq, subject, COALESCE(event_id, ''), payload, error, at FROM dead_events ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("dead events: %w", err)
	}
	defer rows.Close()
	out := []store.DeadEvent{}
	for rows.Next() {
		var d store.DeadEvent
		var at int64
		if err := rows.Scan(&d.StreamSeq, &d.Subject, &d.EventID, &d.Payload, &d.Error, &at); err != nil {
			return nil, fmt.Errorf("dead events: %w", err)
		}
		d.At = fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}
