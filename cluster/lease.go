package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Keeping the leases: rewriting them on their revision, noticing the ones
// lost, and giving up those NATS did not let this replica rewrite in time.

// refresh rewrites every held lease on its revision; it reports false when
// NATS did not answer for some.
func (m *Manager) refresh(ctx context.Context) (ok bool) {
	kv := m.bucket()
	value := m.leaseValue()
	type result struct {
		rev  uint64
		sent time.Time
		err  error
	}
	// The rewrites go out together: one at a time, a replicated bucket's
	// round trips add up to more than a round on a busy machine.
	mine := m.heldList()
	results := make([]result, len(mine))
	var wg sync.WaitGroup
	for i, p := range mine {
		rev := m.held[p].rev
		wg.Go(func() {
			sent := time.Now()
			next, err := kv.Update(ctx, partitionKey(p), value, rev)
			results[i] = result{rev: next, sent: sent, err: err}
		})
	}
	wg.Wait()
	ok = true
	for i, p := range mine {
		l, r := m.held[p], results[i]
		switch {
		case r.err == nil:
			l.rev, l.okAt = r.rev, r.sent
		case casConflict(r.err):
			if !m.recheck(ctx, kv, p, l) {
				ok = false
			}
		default:
			ok = false
		}
	}
	return ok
}

// recheck looks at a lease whose rewrite was refused. A key still ours (a
// rewrite that timed out but went through) is adopted at its revision; a
// key gone while ours was still valid (a bucket made anew) is written
// again; a key another replica holds means this one lost the partition.
// It reports false when NATS did not answer.
func (m *Manager) recheck(ctx context.Context, kv jetstream.KeyValue, p int, l *lease) bool {
	e, err := kv.Get(ctx, partitionKey(p))
	switch {
	case err == nil:
		var v leaseValue
		if json.Unmarshal(e.Value(), &v) == nil && v.Token == m.token {
			l.rev = e.Revision() // okAt stays: this write's time is not known
			return true
		}
		m.log.Error("partition lease taken by another replica; the engine stops applying it", "partition", p, "other", v.Replica)
		m.drop(p)
		return true
	case errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted):
		sent := time.Now()
		rev, err := kv.Create(ctx, partitionKey(p), m.leaseValue())
		if err == nil {
			m.log.Warn("partition lease was gone and is written again", "partition", p)
			l.rev, l.okAt = rev, sent
			return true
		}
		if casConflict(err) {
			m.log.Error("partition lease taken by another replica; the engine stops applying it", "partition", p)
			m.drop(p)
			return true
		}
		return false
	default:
		return false
	}
}

// reopen checks the bucket after NATS failed to answer: a NATS server that
// restarted has lost the in-memory bucket, so it is declared again. Then
// another replica may still hold, and apply, a partition whose key is
// gone: this one takes no free partition until those have lapsed.
func (m *Manager) reopen() {
	ctx, cancel := m.stepContext()
	defer cancel()
	kv, created, err := openBucket(ctx, m.js, m.opts.TTL, m.opts.Replicas)
	if err != nil {
		return
	}
	m.mu.Lock()
	renewed := !created.Equal(m.created)
	m.kv, m.created = kv, created
	m.mu.Unlock()
	if renewed {
		m.log.Warn("cluster bucket was made anew (a NATS server restarted); taking no free partition for a TTL", "ttl", m.ttl)
		m.noTakeUntil = time.Now().Add(m.ttl)
	}
}

// expire gives up the leases not rewritten for releaseAfter: NATS did not
// answer, and the key may lapse soon; the engine must have stopped
// applying the partition before another replica can take it.
func (m *Manager) expire() {
	for _, p := range m.heldList() {
		if age := time.Since(m.held[p].okAt); age >= m.releaseAfter {
			m.log.Error("partition lease not rewritten in time; the engine stops applying it", "partition", p, "age", age.Round(time.Millisecond))
			m.drop(p)
		}
	}
}

// drop stops applying p at once without touching its key (it is gone,
// someone else's, or NATS does not answer): the engine releases it.
func (m *Manager) drop(p int) {
	if p == 0 {
		m.setLeader(false)
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.ttl)
	defer cancel()
	if err := m.parts.Release(ctx, p); err != nil {
		m.log.Error("engine release of a lost partition", "partition", p, "err", err)
	}
	delete(m.held, p)
	m.cooldown[p] = time.Now().Add(2 * m.interval)
	m.publish()
}

// lost handles a partition the engine found fenced: it stopped applying
// it already, so only the lease goes.
func (m *Manager) lost(p int) {
	l, ok := m.held[p]
	if !ok {
		return
	}
	m.log.Warn("engine lost a partition (fenced); its lease is given up", "partition", p)
	if p == 0 {
		m.setLeader(false)
	}
	delete(m.held, p)
	m.cooldown[p] = time.Now().Add(2 * m.interval)
	m.publish()
	ctx, cancel := context.WithTimeout(context.Background(), max(m.interval, minStep))
	defer cancel()
	m.deleteLease(ctx, p, l.rev)
}

// deleteLease deletes this process's lease of p. A revision that moved on
// (a rewrite that timed out but went through) is read again: the key is
// deleted only while it is still this process's.
func (m *Manager) deleteLease(ctx context.Context, p int, rev uint64) {
	kv := m.bucket()
	for range 3 {
		err := kv.Delete(ctx, partitionKey(p), jetstream.LastRevision(rev))
		if err == nil {
			return
		}
		if !casConflict(err) {
			m.log.Warn("partition lease not deleted; it lapses with the bucket's TTL", "partition", p, "err", err)
			return
		}
		e, err := kv.Get(ctx, partitionKey(p))
		if err != nil {
			return // gone already, or NATS does not answer: it lapses
		}
		var v leaseValue
		if json.Unmarshal(e.Value(), &v) != nil || v.Token != m.token {
			return // another replica's now
		}
		rev = e.Revision()
	}
}
