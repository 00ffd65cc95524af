package sqlite

import (
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/flows"
)

// SegmentMovers runs the compiled filter over every contact once and
// returns who enters (matches, not a member) and who exits (a member that
// no longer matches).
func (t *sqliteTx) SegmentMovers(segmentID string, f *flows.Filter, now time.Time) ([]string, []string, error) {
	cond, args, err := filterSQL(f, now)
	if err != nil {
		return nil, nil, fmt.Errorf("segment %s: %w", segmentID, err)
	}
	// The compiled filter is never NULL; COALESCE keeps NOT (cond) exact
	// should that ever break.
	cond = "COALESCE(" + cond + ", 0)"
	member := `EXISTS (SELECT 1 FROM segment_members m WHERE m.segment_id = ? AND m.contact_id = c.id)`
	entered, err := t.idList(`SELECT c.id FROM contacts c WHERE (`+cond+`) AND NOT `+member+` ORDER BY c.id`,
		append(append([]any{}, args...), segmentID)...)
	if err != nil {
		return nil, nil, fmt.Errorf("segment %s: who enters: %w", segmentID, err)
	}
	exited, err := t.idList(`SELECT c.id FROM contacts c WHERE `+member+` AND NOT (`+cond+`) ORDER BY c.id`,
		append([]any{segmentID}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("segment %s: who exits: %w", segmentID, err)
	}
	return entered, exited, nil
}

func (t *sqliteTx) idList(q string, args ...any) ([]string, error) {
	return scanIDs(t.tx.QueryContext(t.ctx, q, args...))
}

// ApplySegmentMoves writes moves through a temporary table and a handful
// of set-based statements, so a million moves cost seconds, not a million
// round trips. contacts.segments stays sorted, as the engine keeps it.
func (t *sqliteTx) ApplySegmentMoves(segmentID string, entered, exited []string, at time.Time) error {
	if len(entered)+len(exited) == 0 {
		return nil
	}
	steps := []string{
		`CREATE TEMP TABLE IF NOT EXISTS segment_moves (contact_id TEXT PRIMARY KEY, enters INTEGER NOT NULL)`,
		`DELETE FROM temp.segment_moves`,
	}
	for _, q := range steps {
		if _, err := t.tx.ExecContext(t.ctx, q); err != nil {
			return fmt.Errorf("segment %s moves: %w", segmentID, err)
		}
	}
	ins, err := t.tx.PrepareContext(t.ctx, `INSERT INTO temp.segment_moves (contact_id, enters) VALUES (?, ?)`)
	if err != nil {
		return fmt.Errorf("segment %s moves: %w", segmentID, err)
	}
	defer ins.Close()
	for _, group := range []struct {
		ids    []string
		enters int
	}{{entered, 1}, {exited, 0}} {
		for _, id := range group.ids {
			if _, err := ins.ExecContext(t.ctx, id, group.enters); err != nil {
				return fmt.Errorf("segment %s moves: %w", segmentID, err)
			}
		}
	}
	apply := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO segment_members (segment_id, contact_id, since)
			SELECT ?, contact_id, ? FROM temp.segment_moves WHERE enters = 1 ON CONFLICT DO NOTHING`, []any{segmentID, ms(at)}},
		{`DELETE FROM segment_members WHERE segment_id = ?
			AND contact_id IN (SELECT contact_id FROM temp.segment_moves WHERE enters = 0)`, []any{segmentID}},
		// Rebuild each mover's sorted list: the others, plus this one when it enters.
		{`UPDATE contacts SET segments = (
			SELECT json_group_array(v) FROM (
				SELECT value AS v FROM json_each(contacts.segments) WHERE value != ?1
				UNION SELECT ?1 WHERE (SELECT enters FROM temp.segment_moves s WHERE s.contact_id = contacts.id) = 1
				ORDER BY v))
			WHERE id IN (SELECT contact_id FROM temp.segment_moves)`, []any{segmentID}},
	}
	for _, st := range apply {
		if _, err := t.tx.ExecContext(t.ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("segment %s moves: %w", segmentID, err)
		}
	}
	return nil
}

// DueAll brings every contact's time-based pass forward to at, so a new
// time-based segment gets its next-change moments from the next pass.
func (t *sqliteTx) DueAll(at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE contacts SET next_eval_at = ? WHERE next_eval_at IS NULL OR next_eval_at > ?`, ms(at), ms(at)); err != nil {
		return fmt.Errorf("schedule the time pass: %w", err)
	}
	return nil
}

// ScheduleBoundaries sets every contact's next-change moment of the filter
// in one statement (nextChangeSQL), keeping an earlier one.
func (t *sqliteTx) ScheduleBoundaries(f *flows.Filter, now time.Time) error {
	expr, args, ok, err := nextChangeSQL(f, now)
	if err != nil || !ok {
		return err
	}
	q := `UPDATE contacts SET next_eval_at = b.x FROM (SELECT c.id AS id, ` + expr + ` AS x FROM contacts c) AS b
		WHERE contacts.id = b.id AND b.x IS NOT NULL AND (contacts.next_eval_at IS NULL OR contacts.next_eval_at > b.x)`
	if _, err := t.tx.ExecContext(t.ctx, q, args...); err != nil {
		return fmt.Errorf("schedule the time pass: %w", err)
	}
	return nil
}
