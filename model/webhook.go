package model

import "time"

// WebhookDelivery is one queued webhook call in the outbox. Key is stable for
// the cause (event, flow, node), so receivers can drop a repeated delivery.
type WebhookDelivery struct {
	ID        int64             `json:"id"`
	Key       string            `json:"key"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      []byte            `json:"-"`
	Attempts  int               `json:"attempts"`
	Status    string            `json:"status"` // pending, delivered, failed
	LastError string            `json:"last_error,omitempty"`
	NextAt    time.Time         `json:"next_attempt_at"`
	CreatedAt time.Time         `json:"created_at"`
}

// Webhook delivery states.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
)
