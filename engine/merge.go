package engine

import (
	"fmt"
	"sort"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/segments"
	"github.com/scoreflow/scoreflow/store"
)

// Merges (CONTRACT §9). A merge is applied by the event that asks for it,
// in that event's transaction: an event whose anonymous_id names another
// contact, an identify whose email belongs to a contact created from an
// email alone or an anonymous id, or a "merged" event from the merge API.
// The event's id is the merge's exactly-once record: a redelivery finds it
// applied and skips it whole, and a crash before commit leaves nothing of
// it. The merged contact's rows move to the survivor in the store; its
// state (scores, tags, attributes) folds into the survivor's here; and its
// id becomes an alias, so its later events apply to the survivor.

// resolveAlias returns the survivor an id was merged into ("" when none),
// looking at this batch's merges first.
func (u *unit) resolveAlias(id string) (string, error) {
	if into, ok := u.aliases[id]; ok {
		return into, nil
	}
	into, err := u.tx.ResolveAlias(id)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", id, err)
	}
	return into, nil
}

// mergeNamed performs the merges an event asks for into its contact, before
// the event itself is applied (so its flows see the merged contact).
func (u *unit) mergeNamed(cs *contactState, ev *model.Event) error {
	if ev.Internal {
		return nil
	}
	if ev.Type == model.EventMerged {
		for _, from := range mergeSources(ev) {
			if err := u.mergeInto(cs, from, ev, false); err != nil {
				return err
			}
		}
		if err := u.auditMerge(cs, ev); err != nil {
			return err
		}
	}
	if ev.AnonymousID != "" && ev.AnonymousID != cs.c.ID {
		if err := u.mergeAnonymous(cs, ev); err != nil {
			return err
		}
	}
	if ev.Type == model.EventIdentify && ev.ContactID != "" && ev.Email != "" && ev.Email != cs.c.Email {
		return u.mergeByEmail(cs, ev)
	}
	return nil
}

// auditMerge records a merge the API asked for (CONTRACT §10) in the
// transaction that makes it, under the key that asked (properties.by), so
// the log names a merge exactly when it happened. A Tx that keeps no log
// (the lab's sandbox) is skipped.
func (u *unit) auditMerge(cs *contactState, ev *model.Event) error {
	atx, ok := u.tx.(store.AuditTx)
	if !ok {
		return nil
	}
	by, _ := ev.Properties["by"].(string)
	if err := atx.RecordAudit(model.AuditEntry{At: u.now, Key: by, Action: model.AuditContactMerge, Target: cs.c.ID}); err != nil {
		return fmt.Errorf("audit merge into %s: %w", cs.c.ID, err)
	}
	return nil
}

// mergeSources reads properties.from of a "merged" event.
func mergeSources(ev *model.Event) []string {
	var out []string
	switch from := ev.Properties["from"].(type) {
	case []any:
		for _, v := range from {
			if s, ok := v.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	case []string:
		out = from
	}
	return out
}

// mergeAnonymous merges the contact the event's anonymous_id names. An
// anonymous id no contact has yet (its page views are still on their way,
// perhaps in another partition) becomes an alias at once, so those events
// apply to the survivor whenever they arrive.
func (u *unit) mergeAnonymous(cs *contactState, ev *model.Event) error {
	anon := ev.AnonymousID
	if into, ok := u.eng.aliases.Get(anon); ok && into == cs.c.ID {
		return nil // settled by an earlier batch: the common case of identified traffic
	}
	if !u.owns(anon) {
		return u.mergeAnonymousElsewhere(cs, ev)
	}
	exists, err := u.exists(anon)
	if err != nil {
		return err
	}
	if exists {
		return u.mergeInto(cs, anon, ev, true)
	}
	into, err := u.resolveAlias(anon)
	if err != nil {
		return err
	}
	if into == "" {
		// Claim the id before its contact exists: merged from nothing.
		if err := u.tx.AddAlias(anon, cs.c.ID, u.now); err != nil {
			return err
		}
		u.aliases[anon] = cs.c.ID
		into = cs.c.ID
		if err := u.recordMerge(cs, anon, ev, true); err != nil {
			return err
		}
	}
	// An id already merged elsewhere keeps its survivor: an anonymous id
	// names one person.
	if into == cs.c.ID {
		u.settled = append(u.settled, [2]string{anon, into})
	}
	return nil
}

// mergeByEmail merges the contact an identify's email belongs to when that
// contact was created from the email alone or from an anonymous id; two
// contacts that came with ids of their own merge only through the API.
func (u *unit) mergeByEmail(cs *contactState, ev *model.Event) error {
	other, err := u.contactIDByEmail(ev.Email)
	if err != nil || other == cs.c.ID {
		return err
	}
	if other != ev.Email {
		anon, err := u.tx.IsAnonymous(other)
		if err != nil || !anon {
			return err
		}
	}
	return u.mergeInto(cs, other, ev, true)
}

// exists reports whether a contact of that id exists (in the batch or the
// store), without making it part of the batch.
func (u *unit) exists(id string) (bool, error) {
	if _, merged := u.aliases[id]; merged {
		return false, nil
	}
	if _, ok := u.contacts[id]; ok {
		return true, nil
	}
	if u.eng.contacts.Contains(id) {
		return true, nil
	}
	rec, err := u.tx.LoadContact(id)
	return rec != nil, err
}

// mergeInto merges contact from into cs. A from that does not exist (any
// more) is nothing to merge. record says whether to write the timeline's
// "merged" entry (a "merged" event is that entry itself).
func (u *unit) mergeInto(cs *contactState, from string, ev *model.Event, record bool) error {
	if _, merged := u.aliases[from]; merged || from == cs.c.ID {
		return nil
	}
	if !u.owns(from) {
		// Its writer is another replica: the merge goes in two steps
		// through from's partition (merge_cross.go).
		return u.requestMergeOut(cs, from, ev, false, record)
	}
	if rtx, ok := u.tx.(store.MergeRelayTx); ok && u.epochs != nil && len(u.epochs) < u.eng.parts {
		// Other replicas write other partitions: keep one merging a
		// contact into from from leaving its rows under from's id.
		if _, err := rtx.MergeTarget(from, ""); err != nil {
			return err
		}
	}
	fs, ok := u.contacts[from]
	if !ok {
		rec, shared, err := u.load(from)
		if err != nil {
			return err
		}
		if rec == nil {
			return nil
		}
		fs = newState(rec, shared)
		u.snapshotAccount(fs)
	}
	if err := u.fold(cs, fs.c, fs.rec.NextEvalAt, ev); err != nil {
		return err
	}
	// The merged contact leaves its account (its scores come off it at
	// flush); the survivor joins that account when it has none, and its
	// summed scores reach its account at flush like any change.
	if cs.c.AccountID == "" && fs.c.AccountID != "" {
		cs.c.AccountID = fs.c.AccountID
		cs.dirty = true
	}
	fs.leaveAccount()
	u.departed = append(u.departed, fs)
	if err := u.tx.MoveContact(from, cs.c.ID, u.now); err != nil {
		return err
	}
	cs.fresh = false // the merged contact's flow entries are the survivor's now
	delete(u.contacts, from)
	u.forget = append(u.forget, from)
	u.merges++
	for id, into := range u.aliases {
		if into == from {
			u.aliases[id] = cs.c.ID
		}
	}
	u.aliases[from] = cs.c.ID
	return u.recordMerge(cs, from, ev, record)
}

// recordMerge writes the survivor's timeline entry of a merge.
func (u *unit) recordMerge(cs *contactState, from string, ev *model.Event, record bool) error {
	if !record {
		return nil
	}
	entry := &model.Event{ID: ev.ID + "/merged/" + from, Type: model.EventMerged, ContactID: cs.c.ID,
		Timestamp: ev.Timestamp, Properties: map[string]any{"from": []string{from}, "event": ev.ID}}
	return u.tx.InsertEvent(entry, cs.c.ID, u.now)
}

// fold brings a merged contact's state into the survivor: each score
// dimension becomes the sum of both within its caps, tags are united,
// attributes, email and deal stage the survivor lacks are taken, and
// every segment is evaluated again (the survivor's events changed too).
// Nothing here raises tag or field events: they are old causes, and a
// merge sends no webhook for them; entering a segment does start flows.
func (u *unit) fold(cs *contactState, from *model.Contact, fromNextEval int64, ev *model.Event) error {
	// A merge can change every part of the survivor.
	cs.own(allParts)
	c := cs.c
	dims := make([]string, 0, len(from.Scores))
	for d := range from.Scores {
		dims = append(dims, d)
	}
	sort.Strings(dims)
	eventID := ev.ID
	for _, d := range dims {
		theirs := from.Scores[d]
		ours := c.Scores[d]
		next := u.settings.Dimension(d).Clamp(saturatingAdd(ours, theirs))
		if theirs == 0 && next == ours {
			continue
		}
		c.Scores[d] = next
		// The merged contact's history moves over and sums to theirs, so
		// this row carries only what the caps took off: the survivor's
		// history keeps summing to its score.
		if err := u.tx.InsertLedger(&model.LedgerEntry{
			ContactID: c.ID, At: u.now, EventAt: ev.Timestamp, Score: d, Delta: next - ours - theirs, Value: next,
			EventID: &eventID, Reason: "merge",
		}); err != nil {
			return asStoreFailure(err)
		}
	}
	var total int64
	for _, v := range c.Scores {
		total = saturatingAdd(total, v)
	}
	c.Score = total
	c.Grade = u.settings.GradeFor(total)
	for _, t := range from.Tags {
		if !c.HasTag(t) {
			c.Tags = append(c.Tags, t)
		}
	}
	for k, v := range from.Attributes {
		if _, ok := c.Attributes[k]; !ok {
			c.Attributes[k] = v
		}
	}
	if c.Email == "" {
		c.Email = from.Email
		u.noteEmail(cs)
	}
	if c.DealStage == "" {
		c.DealStage = from.DealStage
	}
	if from.CreatedAt.Before(c.CreatedAt) {
		c.CreatedAt = from.CreatedAt
	}
	if from.LastActivityAt != nil && (c.LastActivityAt == nil || from.LastActivityAt.After(*c.LastActivityAt)) {
		t := *from.LastActivityAt
		c.LastActivityAt = &t
	}
	if fromNextEval != 0 && (cs.rec.NextEvalAt == 0 || fromNextEval < cs.rec.NextEvalAt) {
		cs.rec.NextEvalAt = fromNextEval
	}
	cs.dirty = true
	cs.rec.Scores, cs.rec.Tags, cs.rec.Attributes = "", "", ""
	cs.mark(segments.ChangeCreated)
	return nil
}
