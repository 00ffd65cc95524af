package postgres

import (
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/model"
)

// The write queue of a batch. Writes wait here until a read needs them or
// the batch commits, then go out as one multi-row statement per table
// (arrays unnested on the server), in the same round trip as that read or
// the COMMIT.
//
// Only the order of writes to one table matters: the schema has no foreign
// keys or triggers, so writes to different tables commute, and a read
// sends only the tables it reads. Within a table the queue keeps SQLite's
// outcome: rows in call order where an identity column numbers them, and
// upserts of one key merged first, since one INSERT … ON CONFLICT DO
// UPDATE may not touch a row twice.

// table is a bit per table the queue holds writes for.
type table uint16

const (
	tContacts table = 1 << iota
	tEvents
	tLedger
	tEntries
	tFailures
	tStats
	tMinutes
	tHooks
	tMembers
	tParked
	tDecay
	tAll = ^table(0)
)

// sent is a queued statement of a round trip, so its error can say which
// write failed.
type sent struct {
	what string
	// conflict marks the events insert: a duplicate key there is an event
	// applied by another transaction since this one looked.
	conflict bool
}

func (s sent) wrap(err error) error {
	if s.conflict && isUniqueViolation(err) {
		return fmt.Errorf("%s: an event was applied concurrently: %w (%w)", s.what, model.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", s.what, err)
}

type queue struct {
	dirty    table
	contacts contactQueue
	events   eventQueue
	ledger   ledgerQueue
	entries  entryQueue
	failures failureQueue
	stats    statQueue
	minutes  minuteQueue
	hooks    hookQueue
	members  memberQueue
	parked   parkQueue
	decay    decayQueue
}

// send queues on b the pending writes of the tables in which, empties
// them, and appends what it queued to out.
func (q *queue) send(b *pgx.Batch, which table, out []sent) []sent {
	for _, t := range []struct {
		bit table
		tq  interface {
			send(b *pgx.Batch, out []sent) []sent
		}
	}{
		{tContacts, &q.contacts}, {tEvents, &q.events}, {tLedger, &q.ledger}, {tEntries, &q.entries},
		{tFailures, &q.failures}, {tStats, &q.stats}, {tMinutes, &q.minutes}, {tHooks, &q.hooks},
		{tMembers, &q.members}, {tParked, &q.parked}, {tDecay, &q.decay},
	} {
		if which&q.dirty&t.bit != 0 {
			out = t.tq.send(b, out)
			q.dirty &^= t.bit
		}
	}
	return out
}

// ---- contacts

// contactWrite is a pending save (every column) or touch (email, activity
// and next evaluation only) of one contact, with the values of the call.
type contactWrite struct {
	save                          bool
	email, reason, account        pgtype.Text
	attrs, scores, tags, segments string
	grade, stage                  string
	score, created                int64
	disqAt, lastAct, nextEval     pgtype.Int8
}

// contactQueue keeps the first-call order of its contacts: new contacts
// are inserted in that order, which numbers their seq as SQLite's rowid.
type contactQueue struct {
	byID  map[string]*contactWrite
	order []string
}

func (q *contactQueue) put(id string, w *contactWrite) {
	if q.byID == nil {
		q.byID = map[string]*contactWrite{}
	}
	prev, ok := q.byID[id]
	switch {
	case !ok:
		q.order = append(q.order, id)
	case prev.save && !w.save:
		// A touch after a save changes what the save writes.
		prev.email, prev.lastAct, prev.nextEval = w.email, w.lastAct, w.nextEval
		return
	}
	q.byID[id] = w
}

// WITH ORDINALITY … ORDER BY keeps the queue's order for seq.
const saveContacts = `INSERT INTO contacts (id, email, attributes, scores, score, grade, tags, deal_stage,
		disqualified_at, disqualify_reason, segments, created_at, last_activity_at, next_eval_at, account_id)
	SELECT r.id, r.email, r.attributes::jsonb, r.scores::jsonb, r.score, r.grade, r.tags::jsonb, r.deal_stage,
		r.disqualified_at, r.disqualify_reason, r.segments::jsonb, r.created_at, r.last_activity_at, r.next_eval_at, r.account_id
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
		$9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[])
		WITH ORDINALITY AS r(id, email, attributes, scores, score, grade, tags, deal_stage,
		disqualified_at, disqualify_reason, segments, created_at, last_activity_at, next_eval_at, account_id, n)
	ORDER BY r.n
	ON CONFLICT (id) DO UPDATE SET email = excluded.email, attributes = excluded.attributes, scores = excluded.scores,
		score = excluded.score, grade = excluded.grade, tags = excluded.tags, deal_stage = excluded.deal_stage,
		disqualified_at = excluded.disqualified_at, disqualify_reason = excluded.disqualify_reason,
		segments = excluded.segments, last_activity_at = excluded.last_activity_at, next_eval_at = excluded.next_eval_at,
		account_id = excluded.account_id`

const touchContacts = `UPDATE contacts c SET email = r.email, last_activity_at = r.last_activity_at, next_eval_at = r.next_eval_at
	FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS r(id, email, last_activity_at, next_eval_at)
	WHERE c.id = r.id`

func (q *contactQueue) send(b *pgx.Batch, out []sent) []sent {
	var sv struct {
		id, attrs, scores, grade, tags, stage, segments []string
		email, reason, account                          []pgtype.Text
		score, created                                  []int64
		disqAt, lastAct, nextEval                       []pgtype.Int8
	}
	var tc struct {
		id                []string
		email             []pgtype.Text
		lastAct, nextEval []pgtype.Int8
	}
	for _, id := range q.order {
		w := q.byID[id]
		if !w.save {
			tc.id, tc.email = append(tc.id, id), append(tc.email, w.email)
			tc.lastAct, tc.nextEval = append(tc.lastAct, w.lastAct), append(tc.nextEval, w.nextEval)
			continue
		}
		sv.id, sv.email, sv.attrs, sv.scores = append(sv.id, id), append(sv.email, w.email), append(sv.attrs, w.attrs), append(sv.scores, w.scores)
		sv.score, sv.grade, sv.tags, sv.stage = append(sv.score, w.score), append(sv.grade, w.grade), append(sv.tags, w.tags), append(sv.stage, w.stage)
		sv.disqAt, sv.reason, sv.segments = append(sv.disqAt, w.disqAt), append(sv.reason, w.reason), append(sv.segments, w.segments)
		sv.created, sv.lastAct, sv.nextEval = append(sv.created, w.created), append(sv.lastAct, w.lastAct), append(sv.nextEval, w.nextEval)
		sv.account = append(sv.account, w.account)
	}
	if len(sv.id) > 0 {
		b.Queue(saveContacts, sv.id, sv.email, sv.attrs, sv.scores, sv.score, sv.grade, sv.tags, sv.stage,
			sv.disqAt, sv.reason, sv.segments, sv.created, sv.lastAct, sv.nextEval, sv.account)
		out = append(out, sent{what: fmt.Sprintf("save %d contacts", len(sv.id))})
	}
	if len(tc.id) > 0 {
		b.Queue(touchContacts, tc.id, tc.email, tc.lastAct, tc.nextEval)
		out = append(out, sent{what: fmt.Sprintf("touch %d contacts", len(tc.id))})
	}
	*q = contactQueue{}
	return out
}

// ---- events

type eventQueue struct {
	id, contact, typ []string
	ts, applied      []int64
	props, traits    []pgtype.Text
}

// WITH ORDINALITY … ORDER BY keeps call order for seq, which orders a
// timeline's events of one timestamp.
const insertEvents = `INSERT INTO events (id, contact_id, type, ts, properties, traits, applied_at)
	SELECT r.id, r.contact_id, r.type, r.ts, r.properties::jsonb, r.traits::jsonb, r.applied_at
	FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])
		WITH ORDINALITY AS r(id, contact_id, type, ts, properties, traits, applied_at, n)
	ORDER BY r.n`

// match counts the queued events of a contact and type at or after since
// (ms) and returns the oldest one's time.
func (q *eventQueue) match(contact, typ string, since int64) (n int, oldest int64) {
	for i := range q.id {
		if q.contact[i] == contact && q.typ[i] == typ && q.ts[i] >= since {
			if n == 0 || q.ts[i] < oldest {
				oldest = q.ts[i]
			}
			n++
		}
	}
	return n, oldest
}

func (q *eventQueue) send(b *pgx.Batch, out []sent) []sent {
	b.Queue(insertEvents, q.id, q.contact, q.typ, q.ts, q.props, q.traits, q.applied)
	out = append(out, sent{what: fmt.Sprintf("insert %d events", len(q.id)), conflict: true})
	*q = eventQueue{}
	return out
}

// ---- ledger

type ledgerQueue struct {
	contact, dim              []string
	delta, value, at, eventAt []int64
	flow, node, event, reason []pgtype.Text
	version                   []pgtype.Int4
}

const insertLedger = `INSERT INTO ledger (contact_id, dimension, delta, value, flow_id, flow_version, node_id, event_id, reason, at, event_at)
	SELECT r.contact_id, r.dimension, r.delta, r.value, r.flow_id, r.flow_version, r.node_id, r.event_id, r.reason, r.at, r.event_at
	FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[])
		WITH ORDINALITY AS r(contact_id, dimension, delta, value, flow_id, flow_version, node_id, event_id, reason, at, event_at, n)
	ORDER BY r.n`

func (q *ledgerQueue) send(b *pgx.Batch, out []sent) []sent {
	b.Queue(insertLedger, q.contact, q.dim, q.delta, q.value, q.flow, q.version, q.node, q.event, q.reason, q.at, q.eventAt)
	out = append(out, sent{what: fmt.Sprintf("insert %d ledger rows", len(q.contact))})
	*q = ledgerQueue{}
	return out
}

// ---- flow entries

type entryQueue struct {
	flow, contact []string
	at            []int64
}

const insertEntries = `INSERT INTO flow_entries (flow_id, contact_id, at)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])`

func (q *entryQueue) send(b *pgx.Batch, out []sent) []sent {
	b.Queue(insertEntries, q.flow, q.contact, q.at)
	out = append(out, sent{what: fmt.Sprintf("record %d flow entries", len(q.flow))})
	*q = entryQueue{}
	return out
}

// ---- run failures

type failureQueue struct {
	flow, contact, reason []string
	version               []int32
	event, node           []pgtype.Text
	at                    []int64
}

const insertFailures = `INSERT INTO run_failures (flow_id, flow_version, contact_id, event_id, node_id, reason, at)
	SELECT r.flow_id, r.flow_version, r.contact_id, r.event_id, r.node_id, r.reason, r.at
	FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
		WITH ORDINALITY AS r(flow_id, flow_version, contact_id, event_id, node_id, reason, at, n)
	ORDER BY r.n`

func (q *failureQueue) send(b *pgx.Batch, out []sent) []sent {
	b.Queue(insertFailures, q.flow, q.version, q.contact, q.event, q.node, q.reason, q.at)
	out = append(out, sent{what: fmt.Sprintf("record %d failed runs", len(q.flow))})
	*q = failureQueue{}
	return out
}

// ---- per-node run counters, summed per key

type statKey struct {
	flow, node string
	minute     int64
}

type statQueue struct {
	sums map[statKey]*[3]int64
}

func (q *statQueue) add(k statKey, entered, completed, failed int64) {
	if q.sums == nil {
		q.sums = map[statKey]*[3]int64{}
	}
	s := q.sums[k]
	if s == nil {
		s = &[3]int64{}
		q.sums[k] = s
	}
	s[0], s[1], s[2] = s[0]+entered, s[1]+completed, s[2]+failed
}

const upsertStats = `INSERT INTO flow_stats (flow_id, node_id, minute, entered, completed, failed)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
	ON CONFLICT (flow_id, node_id, minute) DO UPDATE SET entered = flow_stats.entered + excluded.entered,
		completed = flow_stats.completed + excluded.completed, failed = flow_stats.failed + excluded.failed`

func (q *statQueue) send(b *pgx.Batch, out []sent) []sent {
	keys := make([]statKey, 0, len(q.sums))
	for k := range q.sums {
		keys = append(keys, k)
	}
	// Every batch updates the same hot rows: one lock order for all.
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		if a.flow != c.flow {
			return a.flow < c.flow
		}
		if a.node != c.node {
			return a.node < c.node
		}
		return a.minute < c.minute
	})
	flow, node := make([]string, len(keys)), make([]string, len(keys))
	minute, entered, completed, failed := make([]int64, len(keys)), make([]int64, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		s := q.sums[k]
		flow[i], node[i], minute[i], entered[i], completed[i], failed[i] = k.flow, k.node, k.minute, s[0], s[1], s[2]
	}
	b.Queue(upsertStats, flow, node, minute, entered, completed, failed)
	out = append(out, sent{what: fmt.Sprintf("add %d run counters", len(keys))})
	q.sums = nil
	return out
}

// ---- events per minute, summed per minute

type minuteQueue struct {
	sums map[int64]int64
}

func (q *minuteQueue) add(minute, n int64) {
	if q.sums == nil {
		q.sums = map[int64]int64{}
	}
	q.sums[minute] += n
}

const upsertMinutes = `INSERT INTO event_minutes (minute, events) SELECT * FROM unnest($1::bigint[], $2::bigint[])
	ON CONFLICT (minute) DO UPDATE SET events = event_minutes.events + excluded.events`

func (q *minuteQueue) send(b *pgx.Batch, out []sent) []sent {
	minutes := make([]int64, 0, len(q.sums))
	for m := range q.sums {
		minutes = append(minutes, m)
	}
	sort.Slice(minutes, func(i, j int) bool { return minutes[i] < minutes[j] })
	counts := make([]int64, len(minutes))
	for i, m := range minutes {
		counts[i] = q.sums[m]
	}
	b.Queue(upsertMinutes, minutes, counts)
	out = append(out, sent{what: "count events per minute"})
	q.sums = nil
	return out
}

// ---- webhook outbox

type hookQueue struct {
	keys            map[string]bool
	key, url        []string
	headers         []pgtype.Text
	body            [][]byte
	nextAt, created []int64
}

// add queues a delivery unless one with its key is queued already: the
// first wins, as ON CONFLICT DO NOTHING makes it against stored rows.
func (q *hookQueue) add(key, url string, headers pgtype.Text, body []byte, nextAt, created int64) {
	if q.keys[key] {
		return
	}
	if q.keys == nil {
		q.keys = map[string]bool{}
	}
	q.keys[key] = true
	q.key, q.url, q.headers = append(q.key, key), append(q.url, url), append(q.headers, headers)
	q.body, q.nextAt, q.created = append(q.body, body), append(q.nextAt, nextAt), append(q.created, created)
}

const insertHooks = `INSERT INTO webhook_outbox (key, url, headers, body, status, attempts, next_at, created_at)
	SELECT r.key, r.url, r.headers, r.body, 'pending', 0, r.next_at, r.created_at
	FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bigint[], $6::bigint[])
		WITH ORDINALITY AS r(key, url, headers, body, next_at, created_at, n)
	ORDER BY r.n
	ON CONFLICT (key) DO NOTHING`

func (q *hookQueue) send(b *pgx.Batch, out []sent) []sent {
	b.Queue(insertHooks, q.key, q.url, q.headers, q.body, q.nextAt, q.created)
	out = append(out, sent{what: fmt.Sprintf("queue %d webhooks", len(q.key))})
	*q = hookQueue{}
	return out
}

// ---- segment membership

type memberKey struct{ segment, contact string }

// memberOp is the net effect of a run of SetMembership calls on one key:
// whether a removal came first (delete) and whether the contact is a
// member at the end (insert, with the time of the first addition after the
// last removal; a member before keeps its time).
type memberOp struct {
	delete, insert bool
	since          int64
}

type memberQueue struct {
	ops map[memberKey]*memberOp
}

func (q *memberQueue) set(k memberKey, member bool, at int64) {
	if q.ops == nil {
		q.ops = map[memberKey]*memberOp{}
	}
	op := q.ops[k]
	if op == nil {
		op = &memberOp{}
		q.ops[k] = op
	}
	switch {
	case !member:
		op.delete, op.insert = true, false
	case !op.insert:
		op.insert, op.since = true, at
	}
}

const deleteMembers = `DELETE FROM segment_members m USING unnest($1::text[], $2::text[]) AS r(segment_id, contact_id)
	WHERE m.segment_id = r.segment_id AND m.contact_id = r.contact_id`

const insertMembers = `INSERT INTO segment_members (segment_id, contact_id, since)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`

func (q *memberQueue) send(b *pgx.Batch, out []sent) []sent {
	keys := make([]memberKey, 0, len(q.ops))
	for k := range q.ops {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].segment != keys[j].segment {
			return keys[i].segment < keys[j].segment
		}
		return keys[i].contact < keys[j].contact
	})
	var delSeg, delContact, insSeg, insContact []string
	var insSince []int64
	for _, k := range keys {
		op := q.ops[k]
		if op.delete {
			delSeg, delContact = append(delSeg, k.segment), append(delContact, k.contact)
		}
		if op.insert {
			insSeg, insContact, insSince = append(insSeg, k.segment), append(insContact, k.contact), append(insSince, op.since)
		}
	}
	if len(delSeg) > 0 {
		b.Queue(deleteMembers, delSeg, delContact)
		out = append(out, sent{what: fmt.Sprintf("remove %d segment members", len(delSeg))})
	}
	if len(insSeg) > 0 {
		b.Queue(insertMembers, insSeg, insContact, insSince)
		out = append(out, sent{what: fmt.Sprintf("add %d segment members", len(insSeg))})
	}
	q.ops = nil
	return out
}

// ---- parked runs

type parkQueue struct {
	flow, contact, node, event []string
	version                    []int32
	wake, created              []int64
}

const insertParked = `INSERT INTO waiting_runs (flow_id, flow_version, contact_id, node_id, event, wake_at, created_at)
	SELECT r.flow_id, r.flow_version, r.contact_id, r.node_id, r.event, r.wake_at, r.created_at
	FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
		WITH ORDINALITY AS r(flow_id, flow_version, contact_id, node_id, event, wake_at, created_at, n)
	ORDER BY r.n`

func (q *parkQueue) send(b *pgx.Batch, out []sent) []sent {
	b.Queue(insertParked, q.flow, q.version, q.contact, q.node, q.event, q.wake, q.created)
	out = append(out, sent{what: fmt.Sprintf("park %d runs", len(q.flow))})
	*q = parkQueue{}
	return out
}

// ---- decay marks, the last per key

type decayKey struct{ contact, dimension string }

type decayQueue struct {
	at map[decayKey]int64
}

func (q *decayQueue) mark(k decayKey, at int64) {
	if q.at == nil {
		q.at = map[decayKey]int64{}
	}
	q.at[k] = at
}

const upsertDecay = `INSERT INTO score_decay (contact_id, dimension, decayed_at)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
	ON CONFLICT (contact_id, dimension) DO UPDATE SET decayed_at = excluded.decayed_at`

func (q *decayQueue) send(b *pgx.Batch, out []sent) []sent {
	keys := make([]decayKey, 0, len(q.at))
	for k := range q.at {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].contact != keys[j].contact {
			return keys[i].contact < keys[j].contact
		}
		return keys[i].dimension < keys[j].dimension
	})
	contact, dim, at := make([]string, len(keys)), make([]string, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		contact[i], dim[i], at[i] = k.contact, k.dimension, q.at[k]
	}
	b.Queue(upsertDecay, contact, dim, at)
	out = append(out, sent{what: fmt.Sprintf("mark %d decays", len(keys))})
	q.at = nil
	return out
}
