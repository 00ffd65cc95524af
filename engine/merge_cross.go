package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scoreflow/scoreflow/broker"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// Merges across partitions (docs/architecture.md "Merges across
// partitions"). When the merged contact's partition is applied by another
// replica, one transaction cannot both change the survivor and take the
// merged contact from its writer, so the merge is two steps on the stream,
// each applied once by the writer of the contact it changes:
//
//  1. the survivor's writer, applying the event that asks for the merge,
//     relays a merge-out to the merged id's partition;
//  2. the merged id's writer moves the merged contact's rows to the
//     survivor, turns its id into an alias and relays a merge-in carrying
//     its final state to the survivor's partition;
//  3. the survivor's writer folds that state in (merge.go's fold),
//     re-evaluates segments and records the "merged" timeline entry.
//
// A relay is written in its step's transaction and published after the
// commit, before the step's message is acked; a redelivery that finds the
// step applied publishes it again (relayAgain), and the relay's
// deterministic id makes a repeat harmless. A lone engine owns every
// partition and never takes this road.

// mergeState is the merged contact's final state a merge-in carries.
type mergeState struct {
	Contact    *model.Contact `json:"contact"`
	NextEvalAt int64          `json:"next_eval_at,omitempty"`
}

// requestMergeOut relays a merge-out of from into cs to from's partition.
// claim: an anonymous id that has no contact yet is claimed all the same
// (its events, whenever they come, belong to the survivor). record: the
// merge-in is the survivor's "merged" timeline entry (not when the cause
// is a "merged" event, which is that entry itself).
func (u *unit) requestMergeOut(cs *contactState, from string, cause *model.Event, claim, record bool) error {
	props := map[string]any{"into": cs.c.ID, "cause": cause.ID}
	if claim {
		props["claim"] = true
	}
	if !record {
		props["record"] = false
	}
	return u.relay(cause.ID, &model.Event{ID: model.MergeOutID(from, cs.c.ID), Type: model.EventMergeOut, ContactID: from,
		Timestamp: cause.Timestamp, Properties: props})
}

// relay keeps ev in the transaction, to be published after the commit.
func (u *unit) relay(cause string, ev *model.Event) error {
	rtx, ok := u.tx.(store.MergeRelayTx)
	if !ok {
		return fmt.Errorf("relay %s: the store cannot merge across partitions", ev.ID)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode %s: %w", ev.ID, err)
	}
	r := store.MergeRelay{ID: ev.ID, Cause: cause, Event: body}
	if err := rtx.AddMergeRelay(r, u.now); err != nil {
		return err
	}
	u.relays = append(u.relays, r)
	return nil
}

// relayAgain queues again the relays of events this batch found applied
// before: their step committed, but its relays may not have reached the
// stream (a crash between commit and ack). Only events that can ask for a
// merge are looked up, and only when they are repeats.
func (u *unit) relayAgain(items []pending) error {
	rtx, ok := u.tx.(store.MergeRelayTx)
	if !ok || len(u.seen) == 0 {
		return nil // the common batch: no repeats
	}
	var causes []string
	for _, it := range items {
		ev := it.ev
		if (ev.AnonymousID != "" || ev.Type == model.EventIdentify || ev.Type == model.EventMerged || ev.Type == model.EventMergeOut) && u.seen[ev.ID] {
			causes = append(causes, ev.ID)
		}
	}
	if len(causes) == 0 {
		return nil
	}
	rs, err := rtx.MergeRelays(causes)
	if err != nil {
		return err
	}
	u.relays = append(u.relays, rs...)
	return nil
}

// applyMergeStep applies a merge-out or a merge-in.
func (u *unit) applyMergeStep(ev *model.Event) error {
	apply := u.applyMergeIn
	if ev.Type == model.EventMergeOut {
		apply = u.applyMergeOut
	}
	if err := apply(ev); err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	return nil
}

// applyMergeOut is step 2, on the merged id's writer: the rows move to the
// survivor (or to whom it merged into meanwhile), the id becomes an alias,
// the contact leaves its account, and the merge-in carrying its final
// state is relayed. Nothing of the survivor's row is written here.
func (u *unit) applyMergeOut(ev *model.Event) error {
	from := ev.ContactID
	into, _ := ev.Properties["into"].(string)
	claim, _ := ev.Properties["claim"].(bool)
	cause, _ := ev.Properties["cause"].(string)
	record, given := ev.Properties["record"].(bool)
	rtx, ok := u.tx.(store.MergeRelayTx)
	if !ok || into == "" || from == into {
		return fmt.Errorf("merge-out of %s into %q: not a merge this store can apply", from, into)
	}
	var fs *contactState
	if _, merged := u.aliases[from]; !merged {
		if cs, ok := u.contacts[from]; ok {
			fs = cs
		} else {
			rec, shared, err := u.load(from)
			if err != nil {
				return err
			}
			if rec != nil {
				fs = newState(rec, shared)
				u.snapshotAccount(fs)
			}
		}
	}
	owner := from // whose timeline keeps this step's record
	target, err := rtx.MergeTarget(from, into)
	if err != nil {
		return err
	}
	var state *mergeState
	merged := false
	switch {
	case target == "" || target == from:
		// The survivor was deleted (or merged into from): nothing to merge.
	case fs != nil:
		final := *fs.c // as it is, its account included (the survivor may join it)
		state = &mergeState{Contact: &final, NextEvalAt: fs.rec.NextEvalAt}
		fs.leaveAccount()
		u.departed = append(u.departed, fs)
		if err := u.tx.MoveContact(from, target, u.now); err != nil {
			return err
		}
		delete(u.contacts, from)
		u.forget = append(u.forget, from)
		u.merges++
		merged, owner = true, target
	case claim:
		prev, err := u.resolveAlias(from)
		if err != nil {
			return err
		}
		if prev != "" {
			break // an anonymous id names one person: it keeps its survivor
		}
		if err := u.tx.AddAlias(from, target, u.now); err != nil {
			return err
		}
		merged, owner = true, target
	}
	if merged {
		for id, to := range u.aliases {
			if to == from {
				u.aliases[id] = target
			}
		}
		u.aliases[from] = target
		props := map[string]any{"from": from, "cause": cause}
		if given && !record {
			props["record"] = false
		}
		if state != nil {
			enc, err := json.Marshal(state)
			if err != nil {
				return fmt.Errorf("encode the state of %s: %w", from, err)
			}
			props["state"] = string(enc)
		}
		if err := u.relay(ev.ID, &model.Event{ID: model.MergeInID(from, target), Type: model.EventMergeIn, ContactID: target,
			Timestamp: ev.Timestamp, Properties: props}); err != nil {
			return err
		}
	}
	// The step's exactly-once record, in the timeline its rows went to.
	if err := u.tx.InsertEvent(ev, owner, u.now); err != nil {
		return err
	}
	u.result.mergeSteps = append(u.result.mergeSteps, ev.ID)
	return nil
}

// applyMergeIn is step 3, on the survivor's writer: the merged contact's
// final state folds in as in a merge in one transaction, segments are
// evaluated again (entering one fires its flows once), and the step is
// stored as the survivor's "merged" timeline entry. A survivor merged on
// meanwhile gets it forwarded; one deleted meanwhile gets nothing.
func (u *unit) applyMergeIn(ev *model.Event) error {
	from, _ := ev.Properties["from"].(string)
	var state *mergeState
	if enc, ok := ev.Properties["state"].(string); ok {
		state = &mergeState{}
		if err := json.Unmarshal([]byte(enc), state); err != nil || state.Contact == nil {
			return fmt.Errorf("merge-in of %s: the state does not decode: %v", from, err)
		}
	}
	cs, err := u.mergeInSurvivor(ev)
	if fw := (*forwardTo)(nil); errors.As(err, &fw) {
		u.forward(ev, fw.contact)
		return nil
	}
	if err != nil {
		return err
	}
	entry := &model.Event{ID: ev.ID, Type: model.EventMerged, ContactID: ev.ContactID, Timestamp: ev.Timestamp,
		Properties: map[string]any{"from": []string{from}, "event": ev.Properties["cause"]}}
	if record, given := ev.Properties["record"].(bool); given && !record {
		entry.Type = model.EventMergeIn // the asking "merged" event is the entry
	}
	if cs == nil {
		u.result.mergeSteps = append(u.result.mergeSteps, ev.ID)
		return u.tx.InsertEvent(entry, ev.ContactID, u.now)
	}
	entry.ContactID = cs.c.ID
	// Its rows are here already (moved by step 2); moving again finds none
	// but makes this store drop what it cached of the survivor's entries.
	if err := u.tx.MoveContact(from, cs.c.ID, u.now); err != nil {
		return err
	}
	u.aliases[from] = cs.c.ID
	if state != nil {
		if err := u.fold(cs, state.Contact, state.NextEvalAt, entry); err != nil {
			return err
		}
		if cs.c.AccountID == "" && state.Contact.AccountID != "" {
			cs.c.AccountID = state.Contact.AccountID
			cs.dirty = true
		}
	}
	if err := u.tx.InsertEvent(entry, cs.c.ID, u.now); err != nil {
		return err
	}
	if err := u.cascade(cs, entry, nil); err != nil {
		return err
	}
	u.result.mergeSteps = append(u.result.mergeSteps, ev.ID)
	return nil
}

// mergeInSurvivor finds the contact a merge-in is for, following aliases,
// without creating one: nil when it no longer exists, a *forwardTo when it
// is in a partition owned elsewhere.
func (u *unit) mergeInSurvivor(ev *model.Event) (*contactState, error) {
	id := ev.ContactID
	for hops := 0; hops < 8; hops++ {
		if into, ok := u.aliases[id]; ok {
			id = into
		}
		if cs, ok := u.contacts[id]; ok {
			return cs, nil
		}
		if !u.owns(id) {
			return nil, &forwardTo{contact: id}
		}
		cs, err := u.existing(id)
		if err != nil || cs != nil {
			return cs, err
		}
		into, err := u.resolveAlias(id)
		if err != nil || into == "" || into == id {
			return nil, err
		}
		id = into
	}
	return nil, nil
}

// publishAfterCommit publishes a committed unit's relays, then its
// forwards, and waits until JetStream stored them; only then may the
// unit's messages be acked. It tries again while NATS fails (the messages
// could not be acked either), and gives up only when the engine stops
// (ErrStopped): the messages stay unacked, and their redelivery relays
// and forwards again.
func (e *Engine) publishAfterCommit(relays []store.MergeRelay, forwards []*nats.Msg) error {
	if len(relays)+len(forwards) == 0 {
		return nil
	}
	msgs := make([]*nats.Msg, 0, len(relays)+len(forwards))
	for _, r := range relays {
		var key struct {
			ContactID string `json:"contact_id"`
		}
		if err := json.Unmarshal(r.Event, &key); err != nil {
			return fmt.Errorf("relay %s: %w", r.ID, err)
		}
		msg := &nats.Msg{Subject: broker.PartitionSubject(e.PartitionOf(key.ContactID)), Data: r.Event, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, r.ID)
		msg.Header.Set(broker.SourceHeader, "merge")
		msgs = append(msgs, msg)
	}
	msgs = append(msgs, forwards...)
	wait := e.backoff
	for {
		err := e.publishMsgs(msgs)
		if err == nil {
			return nil
		}
		e.log.Warn("publish merge steps and forwards; retrying", "messages", len(msgs), "err", err)
		select {
		case <-time.After(wait):
		case <-e.stopping:
			return fmt.Errorf("publish merge steps and forwards: %w", ErrStopped)
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// publishMsgs publishes messages and waits until JetStream stored each,
// for at most 30 s.
func (e *Engine) publishMsgs(msgs []*nats.Msg) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return broker.PublishMsgs(ctx, e.js, msgs)
}

// mergeAnonymousElsewhere is mergeAnonymous for an anonymous id of a
// partition another replica writes: its writer decides, in its partition's
// order, whether there is a contact to move or only an id to claim, so
// this side never reads a contact it does not own.
func (u *unit) mergeAnonymousElsewhere(cs *contactState, ev *model.Event) error {
	into, err := u.resolveAlias(ev.AnonymousID)
	switch {
	case err != nil:
		return err
	case into == cs.c.ID:
		u.settled = append(u.settled, [2]string{ev.AnonymousID, into})
		return nil
	case into != "":
		return nil // an anonymous id names one person: it keeps its survivor
	}
	return u.requestMergeOut(cs, ev.AnonymousID, ev, true, true)
}
