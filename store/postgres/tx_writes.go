package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// The batch's writes: each checks and copies its values into the queue and
// returns; the database sees them at the next round trip that sends their
// table (see tx_queue.go).

// SaveContact implements store.Tx.
func (t *writeTx) SaveContact(r *store.ContactRecord) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("save contact %s: %w", r.Contact.ID, err)
	}
	c := r.Contact
	if err := store.EncodeParts(r); err != nil {
		return fmt.Errorf("save contact %s: %w", c.ID, err)
	}
	w := &contactWrite{save: true, email: text(c.Email), attrs: r.Attributes, scores: r.Scores, score: c.Score,
		grade: c.Grade, tags: r.Tags, stage: c.DealStage, segments: r.Segments, created: ms(c.CreatedAt),
		nextEval: int8p(r.NextEvalAt, r.NextEvalAt != 0), account: text(c.AccountID)}
	if c.Disqualified != nil {
		w.disqAt = int8p(ms(c.Disqualified.At), true)
		w.reason = pgtype.Text{String: c.Disqualified.Reason, Valid: true}
	}
	if c.LastActivityAt != nil {
		w.lastAct = int8p(ms(*c.LastActivityAt), true)
	}
	t.q.contacts.put(c.ID, w)
	t.q.dirty |= tContacts
	t.dropAhead(c.ID)
	return nil
}

// TouchContact implements store.Tx.
func (t *writeTx) TouchContact(r *store.ContactRecord) error {
	c := r.Contact
	if err := t.usable(); err != nil {
		return fmt.Errorf("touch contact %s: %w", c.ID, err)
	}
	w := &contactWrite{email: text(c.Email), nextEval: int8p(r.NextEvalAt, r.NextEvalAt != 0)}
	if c.LastActivityAt != nil {
		w.lastAct = int8p(ms(*c.LastActivityAt), true)
	}
	t.q.contacts.put(c.ID, w)
	t.q.dirty |= tContacts
	t.dropAhead(c.ID)
	return nil
}

// InsertEvent implements store.Tx. A duplicate of an event this batch
// knows to be applied is refused with ErrConflict and leaves the batch
// usable, as in SQLite; an id the batch has not looked up (the engine
// always has, through SeenEvents) is looked up first.
func (t *writeTx) InsertEvent(ev *model.Event, contactID string, appliedAt time.Time) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("insert event %s: %w", ev.ID, err)
	}
	applied, ok := t.known[ev.ID]
	if !ok {
		seen, err := t.SeenEvents([]string{ev.ID})
		if err != nil {
			return fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
		applied = seen[ev.ID]
	}
	if applied {
		return fmt.Errorf("insert event %s: applied before: %w", ev.ID, model.ErrConflict)
	}
	props, err := jsonColumn(ev.RawProperties, ev.Properties)
	if err != nil {
		return fmt.Errorf("insert event %s: properties: %w", ev.ID, err)
	}
	traits, err := jsonColumn(ev.RawTraits, ev.Traits)
	if err != nil {
		return fmt.Errorf("insert event %s: traits: %w", ev.ID, err)
	}
	q := &t.q.events
	q.id, q.contact, q.typ = append(q.id, ev.ID), append(q.contact, contactID), append(q.typ, ev.Type)
	q.ts, q.props, q.traits, q.applied = append(q.ts, ms(ev.Timestamp)), append(q.props, props), append(q.traits, traits), append(q.applied, ms(appliedAt))
	t.q.dirty |= tEvents
	t.known[ev.ID] = true
	return nil
}

// CountEvents implements store.Tx.
func (t *writeTx) CountEvents(minute time.Time, n int) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("count events of minute %s: %w", minute.UTC().Format(time.RFC3339), err)
	}
	t.q.minutes.add(ms(minute.Truncate(time.Minute)), int64(n))
	t.q.dirty |= tMinutes
	return nil
}

// InsertLedger implements store.Tx.
func (t *writeTx) InsertLedger(e *model.LedgerEntry) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("insert ledger row for %s: %w", e.ContactID, err)
	}
	q := &t.q.ledger
	version := pgtype.Int4{}
	if e.FlowVersion != nil {
		version = pgtype.Int4{Int32: int32(*e.FlowVersion), Valid: true}
	}
	q.contact, q.dim, q.delta, q.value = append(q.contact, e.ContactID), append(q.dim, e.Score), append(q.delta, e.Delta), append(q.value, e.Value)
	q.flow, q.version, q.node = append(q.flow, textPtr(e.Flow)), append(q.version, version), append(q.node, textPtr(e.Node))
	q.event, q.reason, q.at = append(q.event, textPtr(e.EventID)), append(q.reason, text(e.Reason)), append(q.at, ms(e.At))
	q.eventAt = append(q.eventAt, ms(e.CausedAt()))
	t.q.dirty |= tLedger
	return nil
}

// RecordEntry implements store.Tx.
func (t *writeTx) RecordEntry(flowID, contactID string, at time.Time) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("record entry of %s into %s: %w", contactID, flowID, err)
	}
	q := &t.q.entries
	q.flow, q.contact, q.at = append(q.flow, flowID), append(q.contact, contactID), append(q.at, ms(at))
	t.q.dirty |= tEntries
	add(&t.entries.own, flowID, contactID, ms(at))
	return nil
}

// RecordRunFailure implements store.Tx.
func (t *writeTx) RecordRunFailure(f store.RunFailure) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("record failed run of %s: %w", f.FlowID, err)
	}
	q := &t.q.failures
	q.flow, q.version, q.contact = append(q.flow, f.FlowID), append(q.version, int32(f.FlowVersion)), append(q.contact, f.ContactID)
	q.event, q.node, q.reason, q.at = append(q.event, text(f.EventID)), append(q.node, text(f.NodeID)), append(q.reason, f.Reason), append(q.at, ms(f.At))
	t.q.dirty |= tFailures
	return nil
}

// AddNodeStats implements store.Tx.
func (t *writeTx) AddNodeStats(stats []store.NodeStats) error {
	if len(stats) == 0 {
		return nil
	}
	if err := t.usable(); err != nil {
		return fmt.Errorf("add run counters of %s: %w", stats[0].FlowID, err)
	}
	for _, n := range stats {
		t.q.stats.add(statKey{n.FlowID, n.NodeID, ms(n.Minute)}, n.Entered, n.Completed, n.Failed)
	}
	t.q.dirty |= tStats
	return nil
}

// EnqueueWebhook implements store.Tx.
func (t *writeTx) EnqueueWebhook(d model.WebhookDelivery) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("queue webhook %s: %w", d.Key, err)
	}
	if d.Body == nil {
		// The column is NOT NULL: refused now, as SQLite refuses it, rather
		// than failing the whole batch at its commit.
		return fmt.Errorf("queue webhook %s: no body", d.Key)
	}
	var headers pgtype.Text
	if len(d.Headers) > 0 {
		b, err := json.Marshal(d.Headers)
		if err != nil {
			return fmt.Errorf("queue webhook %s: headers: %w", d.Key, err)
		}
		headers = pgtype.Text{String: string(b), Valid: true}
	}
	t.q.hooks.add(d.Key, d.URL, headers, d.Body, ms(d.NextAt), ms(d.CreatedAt))
	t.q.dirty |= tHooks
	return nil
}

// SetMembership implements store.Tx.
func (t *writeTx) SetMembership(segmentID, contactID string, member bool, at time.Time) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("membership of %s in %s: %w", contactID, segmentID, err)
	}
	t.q.members.set(memberKey{segmentID, contactID}, member, ms(at))
	t.q.dirty |= tMembers
	return nil
}

// ParkRun implements store.Tx.
func (t *writeTx) ParkRun(r store.WaitingRun) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("park run of %s in %s: %w", r.ContactID, r.FlowID, err)
	}
	q := &t.q.parked
	q.flow, q.version, q.contact, q.node = append(q.flow, r.FlowID), append(q.version, int32(r.FlowVersion)), append(q.contact, r.ContactID), append(q.node, r.NodeID)
	q.event, q.wake, q.created = append(q.event, string(r.Event)), append(q.wake, ms(r.WakeAt)), append(q.created, ms(r.CreatedAt))
	t.q.dirty |= tParked
	return nil
}

// MarkDecayed implements store.Tx.
func (t *writeTx) MarkDecayed(contactID, dimension string, at time.Time) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("mark %s of %s decayed: %w", dimension, contactID, err)
	}
	t.q.decay.mark(decayKey{contactID, dimension}, ms(at))
	t.q.dirty |= tDecay
	return nil
}
