package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
)

// The whole-database segment work: filters compiled to SQL over contacts
// "c" (filter_sql.go) run in one statement each (MatchContacts,
// SegmentMovers, ScheduleBoundaries), and the bulk writes of what they
// find. A filter the compiler refuses is an error wrapping store.ErrNoSQL,
// before anything is read or written; the caller then evaluates it contact
// by contact.

// countedRow scans a leading count column into n before the row's own
// columns, so a query can carry its total on every row of its sample.
type countedRow struct {
	pgx.Row
	n *int64
}

func (r countedRow) Scan(dest ...any) error { return r.Row.Scan(append([]any{r.n}, dest...)...) }

// MatchContacts implements store.Store in one statement: the count is an
// uncorrelated subquery evaluated once, beside the sample read in score
// order (which the score index can serve), both on one snapshot. No sample
// row means no match. The SQL differs with every filter, so it is sent
// unprepared (QueryExecModeExec) rather than filling the statement cache of
// a pooled connection with one-off previews.
func (s *Store) MatchContacts(ctx context.Context, f *flows.Filter, now time.Time, sample int) (int64, []*model.Contact, error) {
	args := &sqlArgs{}
	cond, err := filterSQL(f, now, args)
	if err != nil {
		return 0, nil, fmt.Errorf("match contacts: %w", err)
	}
	if sample <= 0 {
		q, vals := args.finish(`SELECT COUNT(*) FROM contacts c WHERE ` + cond)
		var n int64
		if err := s.pool.QueryRow(ctx, q, append([]any{pgx.QueryExecModeExec}, vals...)...).Scan(&n); err != nil {
			return 0, nil, fmt.Errorf("count matching contacts: %w", err)
		}
		return n, []*model.Contact{}, nil
	}
	q, vals := args.finish(`SELECT (SELECT COUNT(*) FROM contacts c WHERE ` + cond + `), ` + contactColumns +
		` FROM contacts c WHERE ` + cond + ` ORDER BY c.score DESC, c.id LIMIT ` + args.int(int64(sample)))
	rows, err := s.pool.Query(ctx, q, append([]any{pgx.QueryExecModeExec}, vals...)...)
	if err != nil {
		return 0, nil, fmt.Errorf("match contacts: %w", err)
	}
	defer rows.Close()
	var n int64
	list := []*model.Contact{}
	for rows.Next() {
		c, err := scanContact(countedRow{Row: rows, n: &n})
		if err != nil {
			return 0, nil, fmt.Errorf("match contacts: %w", err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("match contacts: %w", err)
	}
	return n, list, nil
}

// SegmentMovers implements store.Tx in one statement and one pass over the
// contacts: the filter is evaluated once per contact and compared with its
// membership (a lookup in segment_members' primary key); those that differ
// move, in by matching and out by not. The filter is never NULL; COALESCE
// keeps the comparison exact should that ever break.
func (t *writeTx) SegmentMovers(segmentID string, f *flows.Filter, now time.Time) ([]string, []string, error) {
	args := &sqlArgs{}
	cond, err := filterSQL(f, now, args)
	if err != nil {
		return nil, nil, fmt.Errorf("segment %s: %w", segmentID, err)
	}
	q, vals := args.finish(`SELECT c.id, m.contact_id IS NULL FROM contacts c
		LEFT JOIN segment_members m ON m.segment_id = ` + args.text(segmentID) + ` AND m.contact_id = c.id
		WHERE COALESCE(` + cond + `, false) = (m.contact_id IS NULL) ORDER BY c.id`)
	var entered, exited []string
	err = t.roundTrip(tAll, func(b *pgx.Batch) { b.Queue(q, vals...) }, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var enters bool
			if err := rows.Scan(&id, &enters); err != nil {
				return err
			}
			if enters {
				entered = append(entered, id)
			} else {
				exited = append(exited, id)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("segment %s movers: %w", segmentID, err)
	}
	return entered, exited, nil
}

// applyMoves writes membership moves with three set-based statements over
// the id arrays, so a million moves cost one round trip. Each mover's
// contacts.segments is rebuilt sorted by code point, as the engine keeps
// it: the others, plus this one when it enters.
const (
	insertMoved = `INSERT INTO segment_members (segment_id, contact_id, since)
		SELECT $1::text, id, $2::bigint FROM unnest($3::text[]) AS id ON CONFLICT DO NOTHING`
	deleteMoved  = `DELETE FROM segment_members WHERE segment_id = $1 AND contact_id = ANY($2::text[])`
	rebuildMoved = `UPDATE contacts c SET segments = (
			SELECT COALESCE(jsonb_agg(v ORDER BY v COLLATE "C"), '[]'::jsonb) FROM (
				SELECT value AS v FROM jsonb_array_elements_text(c.segments) WHERE value <> $1::text
				UNION SELECT $1::text WHERE m.enters) s)
		FROM unnest($2::text[], $3::boolean[]) AS m(id, enters)
		WHERE c.id = m.id`
)

// ApplySegmentMoves implements store.Tx.
func (t *writeTx) ApplySegmentMoves(segmentID string, entered, exited []string, at time.Time) error {
	if len(entered)+len(exited) == 0 {
		return nil
	}
	ids := make([]string, 0, len(entered)+len(exited))
	enters := make([]bool, 0, cap(ids))
	for _, id := range entered {
		ids, enters = append(ids, id), append(enters, true)
	}
	for _, id := range exited {
		ids, enters = append(ids, id), append(enters, false)
	}
	err := t.roundTrip(tAll, func(b *pgx.Batch) {
		b.Queue(insertMoved, segmentID, ms(at), entered)
		b.Queue(deleteMoved, segmentID, exited)
		b.Queue(rebuildMoved, segmentID, ids, enters)
	}, func(br pgx.BatchResults) error {
		for range 3 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("segment %s moves: %w", segmentID, err)
	}
	return nil
}

// exec runs one statement after sending every queued write.
func (t *writeTx) exec(sql string, args ...any) error {
	return t.roundTrip(tAll, func(b *pgx.Batch) { b.Queue(sql, args...) }, func(br pgx.BatchResults) error {
		_, err := br.Exec()
		return err
	})
}

// DueAll brings every contact's time-based pass forward to at, so a new
// time-based segment gets its next-change moments from the next pass.
func (t *writeTx) DueAll(at time.Time) error {
	if err := t.exec(`UPDATE contacts SET next_eval_at = $1 WHERE next_eval_at IS NULL OR next_eval_at > $1`, ms(at)); err != nil {
		return fmt.Errorf("schedule the time pass: %w", err)
	}
	return nil
}

// ScheduleBoundaries implements store.Tx in one statement: each contact's
// next pass moves to the filter's next-change moment (nextChangeSQL) when
// that is earlier; a NULL moment compares false and changes nothing.
func (t *writeTx) ScheduleBoundaries(f *flows.Filter, now time.Time) error {
	args := &sqlArgs{}
	expr, ok, err := nextChangeSQL(f, now, args)
	if err != nil {
		return fmt.Errorf("schedule the time pass: %w", err)
	}
	if !ok {
		return nil
	}
	q, vals := args.finish(`UPDATE contacts u SET next_eval_at = b.v FROM (SELECT c.id, ` + expr + ` AS v FROM contacts c) b
		WHERE u.id = b.id AND b.v < COALESCE(u.next_eval_at, 9223372036854775807)`)
	if err := t.exec(q, vals...); err != nil {
		return fmt.Errorf("schedule the time pass: %w", err)
	}
	return nil
}
