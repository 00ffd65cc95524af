package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The bulk writes of the whole-database segment passes (filter_passes.go
// finds who moves): membership moves and the time pass made due for all.

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
