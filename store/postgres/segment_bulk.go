package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scoreflow/scoreflow/model"
)

// The whole-database segment work: compiled conditions run over contacts
// "c" (MatchContacts, SegmentMovers, ScheduleBoundaries) and the bulk
// writes of what they find. The conditions arrive as SQL with ?
// placeholders for now; rebind numbers them for PostgreSQL.

// rebind replaces each ? placeholder of q, outside quoted strings and
// identifiers, with $first, $first+1, …, and returns the next free number.
func rebind(q string, first int) (string, int) {
	var b strings.Builder
	n := first
	var quote byte // the quote we are inside, or 0
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '?':
			b.WriteString("$" + strconv.Itoa(n))
			n++
			continue
		}
		b.WriteByte(ch)
	}
	return b.String(), n
}

// MatchContacts counts the contacts meeting a SQL condition on contacts
// "c" and returns the first few by score.
func (s *Store) MatchContacts(ctx context.Context, cond string, args []any, sample int) (int64, []*model.Contact, error) {
	where, next := rebind(cond, 1)
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM contacts c WHERE `+where, args...).Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("count matching contacts: %w", err)
	}
	if n == 0 || sample <= 0 {
		return n, []*model.Contact{}, nil
	}
	list, err := scanContacts(s.pool.Query(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE `+where+
		` ORDER BY c.score DESC, c.id LIMIT $`+strconv.Itoa(next), append(append([]any{}, args...), sample)...))
	if err != nil {
		return 0, nil, fmt.Errorf("sample matching contacts: %w", err)
	}
	return n, list, nil
}

// SegmentMovers runs the compiled condition over every contact and returns
// who enters (matches, not a member) and who exits (a member that no
// longer matches), both in one round trip. The condition must be a
// non-NULL boolean.
func (t *writeTx) SegmentMovers(segmentID, cond string, args []any) ([]string, []string, error) {
	where, next := rebind(cond, 1)
	member := `EXISTS (SELECT 1 FROM segment_members m WHERE m.segment_id = $` + strconv.Itoa(next) + ` AND m.contact_id = c.id)`
	all := append(append([]any{}, args...), segmentID)
	var entered, exited []string
	err := t.roundTrip(tAll, func(b *pgx.Batch) {
		b.Queue(`SELECT c.id FROM contacts c WHERE (`+where+`) AND NOT `+member+` ORDER BY c.id`, all...)
		b.Queue(`SELECT c.id FROM contacts c WHERE `+member+` AND NOT (`+where+`) ORDER BY c.id`, all...)
	}, func(br pgx.BatchResults) error {
		var err error
		if entered, err = scanIDs(br.Query()); err != nil {
			return fmt.Errorf("who enters: %w", err)
		}
		if exited, err = scanIDs(br.Query()); err != nil {
			return fmt.Errorf("who exits: %w", err)
		}
		return nil
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

// ScheduleBoundaries implements store.Tx: each contact's next pass moves
// to the compiled moment v when v is earlier (a NULL v compares false).
func (t *writeTx) ScheduleBoundaries(expr string, args []any) error {
	v, _ := rebind(expr, 1)
	q := `UPDATE contacts c SET next_eval_at = b.v FROM (SELECT c.id, (` + v + `) AS v FROM contacts c) b
		WHERE c.id = b.id AND b.v < COALESCE(c.next_eval_at, 9223372036854775807)`
	if err := t.exec(q, args...); err != nil {
		return fmt.Errorf("schedule the time pass: %w", err)
	}
	return nil
}
