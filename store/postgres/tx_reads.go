package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/scoreflow/scoreflow/store"
)

// The batch's reads, and the writes whose result the caller needs at once.
// Each is one round trip that first sends the queued writes of the tables
// it reads, or, where counting them here is simple (event counts, the
// oldest event, decay marks), adds the queued rows to the server's answer
// and leaves them queued. Flow entries are counted in entries.go.

// SeenEvents implements store.Tx: one query for any number of ids.
func (t *writeTx) SeenEvents(ids []string) (map[string]bool, error) {
	seen := map[string]bool{}
	if len(ids) == 0 {
		return seen, nil
	}
	err := t.roundTrip(tEvents, func(b *pgx.Batch) {
		b.Queue(`SELECT id FROM events WHERE id = ANY($1::text[])`, ids)
	}, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			seen[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("look up applied events: %w", err)
	}
	for _, id := range ids {
		t.known[id] = seen[id]
	}
	return seen, nil
}

// LoadContact implements store.Tx. The contact's flow entries come in
// the same round trip, so that counting them costs none (entries.go).
func (t *writeTx) LoadContact(id string) (*store.ContactRecord, error) {
	if rec, ok := t.takeAhead(id); ok {
		return rec, nil
	}
	var rec *store.ContactRecord
	withEntries := t.needEntries(id)
	err := t.roundTrip(tContacts, func(b *pgx.Batch) {
		b.Queue(`SELECT `+contactColumns+` FROM contacts c WHERE c.id = $1`, id)
		if withEntries {
			b.Queue(entriesQuery, id)
		}
	}, func(br pgx.BatchResults) error {
		r, err := scanContactRecord(br.QueryRow())
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		rec = r
		if !withEntries {
			return nil
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		return t.storedEntries(id, rows)
	})
	if err != nil {
		return nil, fmt.Errorf("load contact %s: %w", id, err)
	}
	return rec, nil
}

// ContactIDByEmail implements store.Tx: the oldest contact with the email;
// seq breaks a tie of creation times as SQLite's rowid would.
func (t *writeTx) ContactIDByEmail(email string) (string, error) {
	var id string
	err := t.queryRow(tContacts, `SELECT id FROM contacts WHERE email = $1 ORDER BY created_at, seq LIMIT 1`, []any{email}, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find contact by email: %w", err)
	}
	return id, nil
}

// queryRow is a one-row read after flushing the tables it reads. A missing
// row is pgx.ErrNoRows and does not fail the batch.
func (t *writeTx) queryRow(flush table, sql string, args []any, dest ...any) error {
	noRows := false
	err := t.roundTrip(flush, func(b *pgx.Batch) { b.Queue(sql, args...) }, func(br pgx.BatchResults) error {
		err := br.QueryRow().Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			noRows = true
			return nil
		}
		return err
	})
	if err == nil && noRows {
		return pgx.ErrNoRows
	}
	return err
}

// ContactEvents implements store.Tx. fn runs while the result streams in,
// so it must not call the batch.
func (t *writeTx) ContactEvents(contactID, eventType string, since time.Time, fn func(props map[string]any) bool) error {
	q, args := `SELECT properties FROM events WHERE contact_id = $1 AND type = $2 ORDER BY ts DESC`, []any{contactID, eventType}
	if !since.IsZero() {
		q, args = `SELECT properties FROM events WHERE contact_id = $1 AND type = $2 AND ts >= $3 ORDER BY ts DESC`, append(args, ms(since))
	}
	err := t.eachRow(tEvents, q, args, func(rows pgx.Rows) (bool, error) {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return false, err
		}
		props, err := decodeProps(raw)
		if err != nil {
			return false, err
		}
		return fn(props), nil
	})
	if err != nil {
		return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
	}
	return nil
}

// eachRow streams a read's rows to fn until it returns false.
func (t *writeTx) eachRow(flush table, sql string, args []any, fn func(rows pgx.Rows) (bool, error)) error {
	return t.roundTrip(flush, func(b *pgx.Batch) { b.Queue(sql, args...) }, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			more, err := fn(rows)
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
		rows.Close()
		return rows.Err()
	})
}

// CountContactEvents implements store.Tx: stored events counted by the
// server plus queued ones counted here.
func (t *writeTx) CountContactEvents(contactID, eventType string, since time.Time) (int, error) {
	var n int
	var err error
	if since.IsZero() {
		err = t.queryRow(0, `SELECT COUNT(*) FROM events WHERE contact_id = $1 AND type = $2`, []any{contactID, eventType}, &n)
	} else {
		err = t.queryRow(0, `SELECT COUNT(*) FROM events WHERE contact_id = $1 AND type = $2 AND ts >= $3`,
			[]any{contactID, eventType, ms(since)}, &n)
	}
	if err != nil {
		return 0, fmt.Errorf("count %s events of %s: %w", eventType, contactID, err)
	}
	queued, _ := t.q.events.match(contactID, eventType, ms(since))
	return n + queued, nil
}

// OldestContactEvents implements store.Tx; like ContactEvents, fn must not
// call the batch.
func (t *writeTx) OldestContactEvents(contactID, eventType string, since time.Time, fn func(ts time.Time, props map[string]any) bool) error {
	err := t.eachRow(tEvents, `SELECT ts, properties FROM events WHERE contact_id = $1 AND type = $2 AND ts >= $3 ORDER BY ts`,
		[]any{contactID, eventType, ms(since)}, func(rows pgx.Rows) (bool, error) {
			var ts int64
			var raw []byte
			if err := rows.Scan(&ts, &raw); err != nil {
				return false, err
			}
			props, err := decodeProps(raw)
			if err != nil {
				return false, err
			}
			return fn(fromMS(ts), props), nil
		})
	if err != nil {
		return fmt.Errorf("read %s events of %s: %w", eventType, contactID, err)
	}
	return nil
}

// OldestContactEvent implements store.Tx: the older of the oldest stored
// event and the oldest queued one.
func (t *writeTx) OldestContactEvent(contactID, eventType string, since time.Time) (time.Time, bool, error) {
	var ts pgtype.Int8
	if err := t.queryRow(0, `SELECT MIN(ts) FROM events WHERE contact_id = $1 AND type = $2 AND ts >= $3`,
		[]any{contactID, eventType, ms(since)}, &ts); err != nil {
		return time.Time{}, false, fmt.Errorf("oldest %s event of %s: %w", eventType, contactID, err)
	}
	if n, oldest := t.q.events.match(contactID, eventType, ms(since)); n > 0 && (!ts.Valid || oldest < ts.Int64) {
		ts = pgtype.Int8{Int64: oldest, Valid: true}
	}
	return fromMS(ts.Int64), ts.Valid, nil
}

// DecayedAt implements store.Tx; a queued mark is the newest.
func (t *writeTx) DecayedAt(contactID, dimension string) (time.Time, error) {
	if at, ok := t.q.decay.at[decayKey{contactID, dimension}]; ok {
		return fromMS(at), nil
	}
	var at int64
	err := t.queryRow(0, `SELECT decayed_at FROM score_decay WHERE contact_id = $1 AND dimension = $2`, []any{contactID, dimension}, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("decay mark of %s %s: %w", contactID, dimension, err)
	}
	return fromMS(at), nil
}

// TakeRun implements store.Tx: the caller needs to know at once whether
// the run was still parked, so the delete is not queued. Queued runs have
// no id yet, so none of them can be the one taken: they stay queued.
func (t *writeTx) TakeRun(id int64) (bool, error) {
	var taken bool
	err := t.roundTrip(0, func(b *pgx.Batch) { b.Queue(`DELETE FROM waiting_runs WHERE id = $1`, id) }, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		taken = tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("take parked run %d: %w", id, err)
	}
	return taken, nil
}

// deleteContact removes a contact and, when it existed, every row about
// it, in one statement: the data-modifying CTEs all see "gone".
const deleteContact = `WITH gone AS (DELETE FROM contacts WHERE id = $1 RETURNING id),
	e AS (DELETE FROM events WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM gone)),
	l AS (DELETE FROM ledger WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM gone)),
	f AS (DELETE FROM flow_entries WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM gone)),
	m AS (DELETE FROM segment_members WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM gone)),
	w AS (DELETE FROM waiting_runs WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM gone)),
	d AS (DELETE FROM score_decay WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM gone)),
	r AS (DELETE FROM run_failures WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM gone))
	SELECT COUNT(*) FROM gone`

// DeleteContact implements store.Tx.
func (t *writeTx) DeleteContact(id string) (bool, error) {
	var n int
	if err := t.queryRow(tAll, deleteContact, []any{id}, &n); err != nil {
		return false, fmt.Errorf("delete contact %s: %w", id, err)
	}
	t.dropAhead(id)
	if n > 0 {
		// Its events are gone: their ids may be applied anew.
		t.known = map[string]bool{}
		t.entries.forgetContact(id)
	}
	return n > 0, nil
}
