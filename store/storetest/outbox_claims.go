package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// testOutboxClaims: a claim takes due rows for its owner until its lease
// ends, other claims skip them meanwhile, recording an outcome ends the
// claim, and concurrent claimers never get the same row.
func testOutboxClaims(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	now := base
	inTx(t, s, func(tx store.Tx) {
		for i, at := range []time.Duration{-3 * time.Minute, -2 * time.Minute, -time.Minute, time.Hour} {
			noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: fmt.Sprintf("c%d", i+1), URL: "https://claims.test/hook",
				Body: []byte(`{}`), NextAt: now.Add(at), CreatedAt: now}))
		}
	})
	keys := func(rows []model.WebhookDelivery) []string {
		out := []string{}
		for _, r := range rows {
			out = append(out, r.Key)
		}
		return out
	}
	claim := func(owner string, at time.Time, limit int) []model.WebhookDelivery {
		t.Helper()
		return must[[]model.WebhookDelivery](t)(s.ClaimWebhooks(ctx, owner, at, time.Minute, limit))
	}

	a := claim("a", now, 2)
	deepEqual(t, "a's claim, oldest first, at most the limit", keys(a), []string{"c1", "c2"})
	if a[0].Status != model.WebhookPending || a[0].Attempts != 0 || string(a[0].Body) != `{}` || a[0].URL != "https://claims.test/hook" {
		t.Errorf("claimed row = %+v, want the pending row as enqueued", a[0])
	}
	deepEqual(t, "b's claim skips a's rows and rows not due", keys(claim("b", now.Add(30*time.Second), 10)), []string{"c3"})
	deepEqual(t, "nothing left to claim", keys(claim("b", now.Add(59*time.Second), 10)), []string{})

	// a records c1; c2 stays claimed by a, whose lease then ends.
	noErr(t, s.MarkWebhookDelivered(ctx, a[0].ID, 1, now.Add(time.Second)))
	deepEqual(t, "after a's lease: its unrecorded row, then b's", keys(claim("c", now.Add(2*time.Minute), 10)), []string{"c2", "c3"})

	// A retry ends the claim: the row is due again at its new time, for anyone.
	c2 := a[1]
	noErr(t, s.MarkWebhookRetry(ctx, c2.ID, 1, now.Add(2*time.Minute+time.Second), "503"))
	if got := claim("a", now.Add(2*time.Minute+time.Second), 1); len(got) != 1 || got[0].Key != "c2" || got[0].Attempts != 1 {
		t.Errorf("claim after retry = %+v, want c2 at attempt 1", got)
	}
	// A failed row is never claimed again.
	noErr(t, s.MarkWebhookFailed(ctx, c2.ID, 2, "410", now.Add(3*time.Minute)))
	deepEqual(t, "after c's lease, with c2 failed", keys(claim("a", now.Add(4*time.Minute), 10)), []string{"c3"})
	delivered := must[[]model.WebhookDelivery](t)(s.Webhooks(ctx, model.WebhookDelivered, 10))
	deepEqual(t, "delivered rows", keys(delivered), []string{"c1"})
	deepEqual(t, "c4 when due", keys(claim("z", now.Add(2*time.Hour), 10)), []string{"c3", "c4"})
}

// testOutboxClaimsConcurrent: several claimers racing over the same due
// rows take each exactly once between them.
func testOutboxClaimsConcurrent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const rows, claimers = 120, 4
	inTx(t, s, func(tx store.Tx) {
		for i := range rows {
			noErr(t, tx.EnqueueWebhook(model.WebhookDelivery{Key: fmt.Sprintf("r%03d", i), URL: "https://claims.test/hook",
				Body: []byte(`{}`), NextAt: base, CreatedAt: base}))
		}
	})
	var mu sync.Mutex
	owner := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for c := range claimers {
		name := fmt.Sprintf("replica-%d", c)
		wg.Go(func() {
			for {
				got, err := s.ClaimWebhooks(ctx, name, base, time.Hour, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, r := range got {
					if prev, dup := owner[r.Key]; dup {
						errs <- fmt.Errorf("%s claimed by %s and %s", r.Key, prev, name)
					}
					owner[r.Key] = name
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(owner) != rows {
		t.Errorf("%d rows claimed, want %d", len(owner), rows)
	}
}
