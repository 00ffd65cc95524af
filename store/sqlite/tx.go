package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// sqliteTx is one engine batch. Its statements are prepared once on the
// writer connection and rebound to each transaction, because the hot path
// runs them thousands of times a second.
type sqliteTx struct {
	ctx context.Context
	// conn is the writer's connection, held from Begin to Commit or
	// Rollback: raw's statements were prepared on it (raw_stmts.go).
	conn  *sql.Conn
	tx    *sql.Tx
	st    *statements
	raw   *rawStatements
	bound map[*sql.Stmt]*sql.Stmt
}

type statements struct {
	accounts                                 accountStatements // accounts.go
	identity                                 identityStatements
	recordFailure, enqueueWebhook            *sql.Stmt
	contactEvents, contactEventsAll          *sql.Stmt
	oldestEvents, addMember, removeMember    *sql.Stmt
	parkRun, takeRun, markDecayed, decayedAt *sql.Stmt
	countEvents, fenceEpochs                 *sql.Stmt
}

// The SQL of the statements rawStatements prepares (raw_stmts.go).
const (
	loadContactSQL = `SELECT ` + contactColumns + ` FROM contacts WHERE id = ?`
	// Every contact of the email, the oldest picked in Go: ORDER BY
	// created_at LIMIT 1 took three times as long for the one row or none
	// an email has (25-30 µs against 6-12 µs a lookup, in a batch's
	// transaction), and each identify naming a new email asks.
	contactByEmailSQL        = `SELECT id, created_at FROM contacts WHERE email = ?`
	countEntriesSQL          = `SELECT COUNT(*) FROM flow_entries WHERE flow_id = ? AND contact_id = ? AND at >= ?`
	countEntriesEverSQL      = `SELECT COUNT(*) FROM flow_entries WHERE flow_id = ? AND contact_id = ?`
	countContactEventsSQL    = `SELECT COUNT(*) FROM events WHERE contact_id = ? AND type = ? AND ts >= ?`
	countContactEventsAllSQL = `SELECT COUNT(*) FROM events WHERE contact_id = ? AND type = ?`
	oldestEventSQL           = `SELECT MIN(ts) FROM events WHERE contact_id = ? AND type = ? AND ts >= ?`
	saveContactSQL           = `INSERT INTO contacts (` + contactColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET email = excluded.email, attributes = excluded.attributes, scores = excluded.scores,
		score = excluded.score, grade = excluded.grade, tags = excluded.tags, deal_stage = excluded.deal_stage,
		disqualified_at = excluded.disqualified_at, disqualify_reason = excluded.disqualify_reason,
		segments = excluded.segments, last_activity_at = excluded.last_activity_at, next_eval_at = excluded.next_eval_at,
		account_id = excluded.account_id`
	// A known row whose email, account and disqualification did not change
	// is updated without them: SQLite rewrites an index entry only
	// for an index on a column the SET names, and the upsert names every
	// one (0.5 of the upsert's time for a score change, 10,000 contacts).
	// next_eval_at is always written: a batch's evaluation of the contact
	// is what it says, even where the store marked the row due meanwhile
	// (DueAccountMembers), and NULL to NULL leaves its partial index alone.
	updateContactSQL = `UPDATE contacts SET attributes = ?, scores = ?, score = ?, grade = ?, tags = ?, deal_stage = ?,
		disqualify_reason = ?, segments = ?, last_activity_at = ?, next_eval_at = ? WHERE id = ?`
	updateContactPartsSQL = `UPDATE contacts SET attributes = ?, scores = ?, tags = ?, deal_stage = ?,
		disqualify_reason = ?, segments = ?, last_activity_at = ?, next_eval_at = ? WHERE id = ?`
	touchActivitySQL = `UPDATE contacts SET last_activity_at = ?, next_eval_at = ? WHERE id = ?`
	touchContactSQL  = `UPDATE contacts SET email = ?, last_activity_at = ?, next_eval_at = ? WHERE id = ?`
	seenEventsSQL    = `SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?))`
	insertEventSQL   = `INSERT INTO events (id, contact_id, type, ts, properties, traits, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	insertLedgerSQL  = `INSERT INTO ledger (contact_id, dimension, delta, value, flow_id, flow_version, node_id, event_id, reason, at, event_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	recordEntrySQL = `INSERT INTO flow_entries (flow_id, contact_id, at) VALUES (?, ?, ?)`
	addStatsSQL    = `INSERT INTO flow_stats (flow_id, node_id, minute, entered, completed, failed) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (flow_id, node_id, minute) DO UPDATE SET entered = entered + excluded.entered,
		completed = completed + excluded.completed, failed = failed + excluded.failed`
)

func (s *Store) prepare(ctx context.Context) (*statements, error) {
	var st statements
	var firstErr error
	p := func(dst **sql.Stmt, q string) {
		if firstErr != nil {
			return
		}
		stmt, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			firstErr = fmt.Errorf("prepare %q: %w", strings.Fields(q)[0]+" "+strings.Fields(q)[1], err)
			return
		}
		*dst = stmt
	}
	p(&st.fenceEpochs, `SELECT part, epoch FROM partition_epochs`)
	// ORDER BY ts alone walks the (contact_id, type, ts) index without a sort.
	p(&st.oldestEvents, `SELECT ts, properties FROM events WHERE contact_id = ? AND type = ? AND ts >= ? ORDER BY ts`)
	p(&st.addMember, `INSERT INTO segment_members (segment_id, contact_id, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	p(&st.removeMember, `DELETE FROM segment_members WHERE segment_id = ? AND contact_id = ?`)
	p(&st.parkRun, `INSERT INTO waiting_runs (flow_id, flow_version, contact_id, node_id, event, wake_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	p(&st.takeRun, `DELETE FROM waiting_runs WHERE id = ?`)
	p(&st.decayedAt, `SELECT decayed_at FROM score_decay WHERE contact_id = ? AND dimension = ?`)
	p(&st.markDecayed, `INSERT INTO score_decay (contact_id, dimension, decayed_at) VALUES (?, ?, ?)
		ON CONFLICT (contact_id, dimension) DO UPDATE SET decayed_at = excluded.decayed_at`)
	p(&st.recordFailure, `INSERT INTO run_failures (flow_id, flow_version, contact_id, event_id, node_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	p(&st.countEvents, `INSERT INTO event_minutes (minute, events) VALUES (?, ?)
		ON CONFLICT (minute) DO UPDATE SET events = events + excluded.events`)
	p(&st.enqueueWebhook, `INSERT INTO webhook_outbox (key, url, headers, body, status, attempts, next_at, created_at)
		VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (key) DO NOTHING`)
	p(&st.contactEvents, `SELECT properties FROM events WHERE contact_id = ? AND type = ? AND ts >= ? ORDER BY ts DESC`)
	p(&st.contactEventsAll, `SELECT properties FROM events WHERE contact_id = ? AND type = ? ORDER BY ts DESC`)
	prepareAccounts(&st.accounts, p)
	prepareIdentity(&st.identity, p)
	if firstErr != nil {
		return nil, firstErr
	}
	return &st, nil
}

// Begin implements Store. The transaction is IMMEDIATE (see the DSN), so it
// holds the write lock from the start instead of failing at its first write.
func (s *Store) Begin(ctx context.Context) (store.Tx, error) {
	s.prepOnce.Do(func() { s.stmts, s.prepErr = s.prepare(context.Background()) })
	if s.prepErr != nil {
		return nil, s.prepErr
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	var raw *rawStatements
	if err := conn.Raw(func(dc any) error {
		raw, err = s.rawFor(dc)
		return err
	}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	return &sqliteTx{ctx: ctx, conn: conn, tx: tx, st: s.stmts, raw: raw, bound: map[*sql.Stmt]*sql.Stmt{}}, nil
}

// stmt binds a prepared statement to this transaction once; binding on
// every call would allocate a statement wrapper per row.
func (t *sqliteTx) stmt(s *sql.Stmt) *sql.Stmt {
	b, ok := t.bound[s]
	if !ok {
		b = t.tx.StmtContext(t.ctx, s)
		t.bound[s] = b
	}
	return b
}

func (t *sqliteTx) Commit() error {
	err := t.tx.Commit()
	t.release()
	if err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

func (t *sqliteTx) Rollback() error {
	err := t.tx.Rollback()
	t.release()
	if err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back batch: %w", err)
	}
	return nil
}

// release gives the writer's connection back to its pool once the
// transaction is over; a second call does nothing.
func (t *sqliteTx) release() {
	if t.conn != nil {
		_ = t.conn.Close()
		t.conn = nil
	}
}

// SeenEvents returns which of ids were applied before: one prepared
// statement whatever the batch's size, its ids passed as one JSON array
// that json_each expands into lookups of the events' id index. A query
// built for each batch's count of placeholders was parsed and planned
// anew every batch: 66 µs against 37 for 30 ids (BenchmarkSeenEvents).
func (t *sqliteTx) SeenEvents(ids []string) (map[string]bool, error) {
	seen := map[string]bool{}
	if len(ids) == 0 {
		return seen, nil
	}
	for _, id := range ids {
		if !utf8.ValidString(id) {
			// JSON would carry U+FFFD instead of the bad bytes, and miss the row.
			return t.seenEventsListed(ids)
		}
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("look up applied events: %w", err)
	}
	err = t.raw.seenEvents.query(t.ctx, func(row []driver.Value) error {
		id, ok := row[0].(string)
		if !ok {
			return fmt.Errorf("event id is a %T", row[0])
		}
		seen[id] = true
		return nil
	}, string(list))
	if err != nil {
		return nil, fmt.Errorf("look up applied events: %w", err)
	}
	return seen, nil
}

// seenEventsListed is SeenEvents for ids JSON cannot carry exactly: the
// ids as placeholders, in chunks that stay under SQLite's variable limit.
func (t *sqliteTx) seenEventsListed(ids []string) (map[string]bool, error) {
	seen := map[string]bool{}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		part := ids[start:end]
		q := `SELECT id FROM events WHERE id IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := t.tx.QueryContext(t.ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("look up applied events: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up applied events: %w", err)
			}
			seen[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

func (t *sqliteTx) LoadContact(id string) (*store.ContactRecord, error) {
	var c *store.ContactRecord
	_, err := t.raw.loadContact.queryFirst(t.ctx, func(row rawRow) (err error) {
		c, err = scanContactRecord(row)
		return err
	}, id)
	if err != nil {
		return nil, fmt.Errorf("load contact %s: %w", id, err)
	}
	return c, nil // nil when there is no such row
}

// PrefetchContacts implements store.Tx: a read here costs no round trip,
// so there is nothing to gain by reading ahead.
func (t *sqliteTx) PrefetchContacts([]string) error { return nil }

func (t *sqliteTx) ContactIDByEmail(email string) (string, error) {
	var oldest string
	var oldestAt int64
	err := t.raw.contactByEmail.query(t.ctx, func(row []driver.Value) error {
		var id string
		var at int64
		if err := scanRow(row, []any{&id, &at}); err != nil {
			return err
		}
		if oldest == "" || at < oldestAt {
			oldest, oldestAt = id, at
		}
		return nil
	}, email)
	if err != nil {
		return "", fmt.Errorf("find contact by email: %w", err)
	}
	return oldest, nil
}

func (t *sqliteTx) SaveContact(r *store.ContactRecord) error {
	c := r.Contact
	if err := store.EncodeParts(r); err != nil {
		return fmt.Errorf("save contact %s: %w", c.ID, err)
	}
	now := r.Columns()
	n := nullableOf(&now)
	if done, err := t.updateKnown(r, &now, n); done || err != nil {
		return err
	}
	if _, err := t.raw.saveContact.exec(t.ctx, c.ID, n.email, r.Attributes, r.Scores, c.Score, c.Grade, r.Tags,
		c.DealStage, n.disqAt, n.reason, r.Segments, ms(c.CreatedAt), n.lastAct, n.nextEval, n.account); err != nil {
		return fmt.Errorf("save contact %s: %w", c.ID, err)
	}
	r.Stored = &now
	return nil
}

// nullable is a contact's plain columns as SQL values: NULL where
// StoredColumns says there is nothing.
type nullable struct {
	email, reason, account    sql.NullString
	disqAt, lastAct, nextEval sql.NullInt64
}

func nullableOf(c *store.StoredColumns) nullable {
	return nullable{
		email:    sql.NullString{String: c.Email, Valid: c.Email != ""},
		reason:   sql.NullString{String: c.DisqualifyReason, Valid: c.HasDisqualified},
		account:  sql.NullString{String: c.AccountID, Valid: c.AccountID != ""},
		disqAt:   sql.NullInt64{Int64: c.DisqualifiedAt, Valid: c.HasDisqualified},
		lastAct:  sql.NullInt64{Int64: c.LastActivityAt, Valid: c.HasLastActivity},
		nextEval: sql.NullInt64{Int64: c.NextEvalAt, Valid: c.NextEvalAt != 0},
	}
}

// updateKnown writes a row the store last saw as r.Stored with an UPDATE
// that leaves the unchanged indexed columns out. It reports false when the
// row is unknown, one of those columns changed, or the row is gone: the
// upsert is the way then.
func (t *sqliteTx) updateKnown(r *store.ContactRecord, now *store.StoredColumns, n nullable) (bool, error) {
	was := r.Stored
	if was == nil || was.Email != now.Email || was.AccountID != now.AccountID ||
		was.HasDisqualified != now.HasDisqualified || was.DisqualifiedAt != now.DisqualifiedAt {
		return false, nil
	}
	c := r.Contact
	var rows int64
	var err error
	if was.Score != now.Score || was.Grade != now.Grade {
		rows, err = t.raw.updateContact.exec(t.ctx, r.Attributes, r.Scores, c.Score, c.Grade, r.Tags, c.DealStage,
			n.reason, r.Segments, n.lastAct, n.nextEval, c.ID)
	} else {
		rows, err = t.raw.updateParts.exec(t.ctx, r.Attributes, r.Scores, r.Tags, c.DealStage,
			n.reason, r.Segments, n.lastAct, n.nextEval, c.ID)
	}
	if err != nil {
		return false, fmt.Errorf("save contact %s: %w", c.ID, err)
	}
	if rows == 0 {
		return false, nil
	}
	r.Stored = now
	return true, nil
}

// TouchContact implements store.Tx. A row whose email did not move keeps
// its email index entry: only the activity and next-change columns go.
func (t *sqliteTx) TouchContact(r *store.ContactRecord) error {
	c := r.Contact
	now := r.Columns()
	n := nullableOf(&now)
	var err error
	if was := r.Stored; was != nil && was.Email == now.Email {
		_, err = t.raw.touchActivity.exec(t.ctx, n.lastAct, n.nextEval, c.ID)
	} else {
		_, err = t.raw.touchContact.exec(t.ctx, n.email, n.lastAct, n.nextEval, c.ID)
	}
	if err != nil {
		return fmt.Errorf("touch contact %s: %w", c.ID, err)
	}
	if r.Stored != nil {
		r.Stored = storedTouched(r.Stored, &now)
	}
	return nil
}

// storedTouched is what a row stored as was holds after a touch wrote the
// columns a touch writes from now.
func storedTouched(was, now *store.StoredColumns) *store.StoredColumns {
	out := *was
	out.Email, out.NextEvalAt = now.Email, now.NextEvalAt
	out.HasLastActivity, out.LastActivityAt = now.HasLastActivity, now.LastActivityAt
	return &out
}

func (t *sqliteTx) InsertEvent(ev *model.Event, contactID string, appliedAt time.Time) error {
	props, err := jsonColumn(ev.RawProperties, ev.Properties)
	if err != nil {
		return fmt.Errorf("insert event %s: properties: %w", ev.ID, err)
	}
	traits, err := jsonColumn(ev.RawTraits, ev.Traits)
	if err != nil {
		return fmt.Errorf("insert event %s: traits: %w", ev.ID, err)
	}
	if _, err := t.raw.insertEvent.exec(t.ctx, ev.ID, contactID, ev.Type, ms(ev.Timestamp), props, traits, ms(appliedAt)); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("insert event %s: applied before: %w", ev.ID, model.ErrConflict)
		}
		return fmt.Errorf("insert event %s: %w", ev.ID, err)
	}
	return nil
}

// jsonColumn is the column value of a JSON object: the raw form when the
// event kept it, else the map encoded; NULL for an empty object.
func jsonColumn(raw []byte, m map[string]any) (sql.NullString, error) {
	if len(m) == 0 {
		return sql.NullString{}, nil
	}
	if len(raw) > 0 {
		return sql.NullString{String: string(raw), Valid: true}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func (t *sqliteTx) InsertLedger(e *model.LedgerEntry) error {
	if _, err := t.raw.insertLedger.exec(t.ctx, e.ContactID, e.Score, e.Delta, e.Value, e.Flow, e.FlowVersion, e.Node,
		e.EventID, nullIfEmpty(e.Reason), ms(e.At), ms(e.CausedAt())); err != nil {
		return fmt.Errorf("insert ledger row for %s: %w", e.ContactID, err)
	}
	return nil
}

func nullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (t *sqliteTx) CountEntries(flowID, contactID string, since time.Time) (int, error) {
	var n int
	var err error
	if since.IsZero() {
		err = t.raw.countEntriesEver.queryRow(t.ctx, []any{&n}, flowID, contactID)
	} else {
		err = t.raw.countEntries.queryRow(t.ctx, []any{&n}, flowID, contactID, ms(since))
	}
	if err != nil {
		return 0, fmt.Errorf("count entries of %s into %s: %w", contactID, flowID, err)
	}
	return n, nil
}

func (t *sqliteTx) RecordEntry(flowID, contactID string, at time.Time) error {
	if _, err := t.raw.recordEntry.exec(t.ctx, flowID, contactID, ms(at)); err != nil {
		return fmt.Errorf("record entry of %s into %s: %w", contactID, flowID, err)
	}
	return nil
}

func (t *sqliteTx) RecordRunFailure(f store.RunFailure) error {
	if _, err := t.stmt(t.st.recordFailure).Exec(f.FlowID, f.FlowVersion, f.ContactID, nullIfEmpty(f.EventID),
		nullIfEmpty(f.NodeID), f.Reason, ms(f.At)); err != nil {
		return fmt.Errorf("record failed run of %s: %w", f.FlowID, err)
	}
	return nil
}

func (t *sqliteTx) AddNodeStats(stats []store.NodeStats) error {
	for _, n := range stats {
		if _, err := t.raw.addStats.exec(t.ctx, n.FlowID, n.NodeID, ms(n.Minute), n.Entered, n.Completed, n.Failed); err != nil {
			return fmt.Errorf("add run counters of %s: %w", n.FlowID, err)
		}
	}
	return nil
}

func (t *sqliteTx) CountEvents(minute time.Time, n int) error {
	if _, err := t.stmt(t.st.countEvents).Exec(ms(minute.Truncate(time.Minute)), n); err != nil {
		return fmt.Errorf("count events of minute %s: %w", minute.UTC().Format(time.RFC3339), err)
	}
	return nil
}

func (t *sqliteTx) EnqueueWebhook(d model.WebhookDelivery) error {
	var headers sql.NullString
	if len(d.Headers) > 0 {
		b, _ := json.Marshal(d.Headers)
		headers = sql.NullString{String: string(b), Valid: true}
	}
	if _, err := t.stmt(t.st.enqueueWebhook).Exec(d.Key, d.URL, headers, d.Body, ms(d.NextAt), ms(d.CreatedAt)); err != nil {
		return fmt.Errorf("queue webhook %s: %w", d.Key, err)
	}
	return nil
}

func (t *sqliteTx) ContactEvents(contactID, eventType string, since time.Time, fn func(props map[string]any) bool) error {
	var rows *sql.Rows
	var err error
	if since.IsZero() {
		rows, err = t.stmt(t.st.contactEventsAll).Query(contactID, eventType)
	} else {
		rows, err = t.stmt(t.st.contactEvents).Query(contactID, eventType, ms(since))
	}
	if err != nil {
		return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw sql.NullString
		if err := rows.Scan(&raw); err != nil {
			return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
		}
		props := map[string]any{}
		if raw.Valid {
			if err := json.Unmarshal([]byte(raw.String), &props); err != nil {
				return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
			}
		}
		if !fn(props) {
			break
		}
	}
	return rows.Err()
}

func (t *sqliteTx) CountContactEvents(contactID, eventType string, since time.Time) (int, error) {
	var n int
	var err error
	if since.IsZero() {
		err = t.raw.countContactEventsAll.queryRow(t.ctx, []any{&n}, contactID, eventType)
	} else {
		err = t.raw.countContactEvents.queryRow(t.ctx, []any{&n}, contactID, eventType, ms(since))
	}
	if err != nil {
		return 0, fmt.Errorf("count %s events of %s: %w", eventType, contactID, err)
	}
	return n, nil
}

func (t *sqliteTx) OldestContactEvents(contactID, eventType string, since time.Time, fn func(ts time.Time, props map[string]any) bool) error {
	rows, err := t.stmt(t.st.oldestEvents).Query(contactID, eventType, ms(since))
	if err != nil {
		return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ts int64
		var raw sql.NullString
		if err := rows.Scan(&ts, &raw); err != nil {
			return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
		}
		props := map[string]any{}
		if raw.Valid {
			if err := json.Unmarshal([]byte(raw.String), &props); err != nil {
				return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
			}
		}
		if !fn(fromMS(ts), props) {
			break
		}
	}
	return rows.Err()
}

func (t *sqliteTx) OldestContactEvent(contactID, eventType string, since time.Time) (time.Time, bool, error) {
	var ts sql.NullInt64
	if err := t.raw.oldestEvent.queryRow(t.ctx, []any{&ts}, contactID, eventType, ms(since)); err != nil {
		return time.Time{}, false, fmt.Errorf("oldest %s event of %s: %w", eventType, contactID, err)
	}
	return fromMS(ts.Int64), ts.Valid, nil
}

func (t *sqliteTx) SetMembership(segmentID, contactID string, member bool, at time.Time) error {
	var err error
	if member {
		_, err = t.stmt(t.st.addMember).Exec(segmentID, contactID, ms(at))
	} else {
		_, err = t.stmt(t.st.removeMember).Exec(segmentID, contactID)
	}
	if err != nil {
		return fmt.Errorf("membership of %s in %s: %w", contactID, segmentID, err)
	}
	return nil
}

func (t *sqliteTx) ParkRun(r store.WaitingRun) error {
	if _, err := t.stmt(t.st.parkRun).Exec(r.FlowID, r.FlowVersion, r.ContactID, r.NodeID, string(r.Event), ms(r.WakeAt), ms(r.CreatedAt)); err != nil {
		return fmt.Errorf("park run of %s in %s: %w", r.ContactID, r.FlowID, err)
	}
	return nil
}

func (t *sqliteTx) TakeRun(id int64) (bool, error) {
	res, err := t.stmt(t.st.takeRun).Exec(id)
	if err != nil {
		return false, fmt.Errorf("take parked run %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *sqliteTx) MarkDecayed(contactID, dimension string, at time.Time) error {
	if _, err := t.stmt(t.st.markDecayed).Exec(contactID, dimension, ms(at)); err != nil {
		return fmt.Errorf("mark %s of %s decayed: %w", dimension, contactID, err)
	}
	return nil
}

// contactTables hold rows about a contact that go with it when it is deleted.
var contactTables = []string{"events", "ledger", "flow_entries", "segment_members", "waiting_runs", "score_decay", "run_failures"}

func (t *sqliteTx) DeleteContact(id string) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM contacts WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("delete contact %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, table := range contactTables {
		if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM `+table+` WHERE contact_id = ?`, id); err != nil {
			return false, fmt.Errorf("delete contact %s from %s: %w", id, table, err)
		}
	}
	return true, nil
}

func (t *sqliteTx) DecayedAt(contactID, dimension string) (time.Time, error) {
	var at int64
	err := t.stmt(t.st.decayedAt).QueryRow(contactID, dimension).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("decay mark of %s %s: %w", contactID, dimension, err)
	}
	return fromMS(at), nil
}
