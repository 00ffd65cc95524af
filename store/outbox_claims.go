package store

import (
	"context"
	"sort"
	"time"

	"github.com/scoreflow/scoreflow/model"
)

// WebhookClaims lets several dispatchers (one per replica) share one
// outbox so each row is delivered by one of them: a claim marks due rows
// as taken by an owner for a lease. A dispatcher that dies mid-delivery
// holds its rows only until the lease ends; then any dispatcher claims
// them again (the receiver drops a repeat by its Idempotency-Key, which
// stays the row's key). Recording an outcome (MarkWebhook*) ends the claim.
type WebhookClaims interface {
	// ClaimWebhooks claims up to limit pending rows with NextAt <= now that
	// no other claim holds (none, or one whose lease ended by now), for
	// owner until now+lease, and returns them oldest first. Concurrent
	// claims never return the same row. On PostgreSQL the rows are taken
	// with FOR UPDATE SKIP LOCKED, so concurrent claimers do not wait on
	// each other; SQLite has one writer, so one dispatcher.
	ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]model.WebhookDelivery, error)
}

// SortDue puts claimed rows oldest first (NextAt, then id): an UPDATE's
// RETURNING keeps no order.
func SortDue(rows []model.WebhookDelivery) {
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].NextAt.Equal(rows[j].NextAt) {
			return rows[i].NextAt.Before(rows[j].NextAt)
		}
		return rows[i].ID < rows[j].ID
	})
}
