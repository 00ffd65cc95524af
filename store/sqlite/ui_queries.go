package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/flows"
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/internal/rowcodec"
)

// Reads behind the UI: run counters of every flow, the dashboard's
// aggregates, a segment's live count while it is edited, and the choices
// its pickers offer. Each is bounded (an index, a LIMIT or a sample), so a
// page stays fast on a large database.

// AllFlowStats sums every flow's per-node counters since a time.
func (s *Store) AllFlowStats(ctx context.Context, since time.Time) ([]store.NodeStats, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT flow_id, node_id, SUM(entered), SUM(completed), SUM(failed)
		FROM flow_stats WHERE minute >= ? GROUP BY flow_id, node_id`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("flow stats since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	defer rows.Close()
	out := []store.NodeStats{}
	for rows.Next() {
		n := store.NodeStats{Minute: since}
		if err := rows.Scan(&n.FlowID, &n.NodeID, &n.Entered, &n.Completed, &n.Failed); err != nil {
			return nil, fmt.Errorf("flow stats: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// GradeCounts counts contacts by grade.
func (s *Store) GradeCounts(ctx context.Context) ([]store.GradeCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT grade, COUNT(*) FROM contacts GROUP BY grade ORDER BY grade`)
	if err != nil {
		return nil, fmt.Errorf("count grades: %w", err)
	}
	defer rows.Close()
	out := []store.GradeCount{}
	for rows.Next() {
		var g store.GradeCount
		if err := rows.Scan(&g.Grade, &g.Count); err != nil {
			return nil, fmt.Errorf("count grades: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// ScoreHistogram spreads contacts' total scores over at most buckets
// buckets of equal, round width. Both passes walk the score index.
func (s *Store) ScoreHistogram(ctx context.Context, buckets int) ([]store.ScoreBucket, error) {
	var lo, hi, n int64
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MIN(score), 0), COALESCE(MAX(score), 0), COUNT(*) FROM contacts`).
		Scan(&lo, &hi, &n); err != nil {
		return nil, fmt.Errorf("score range: %w", err)
	}
	if n == 0 {
		return []store.ScoreBucket{}, nil
	}
	width := rowcodec.BucketWidth(hi-lo+1, buckets)
	lo = rowcodec.FloorTo(lo, width)
	rows, err := s.read.QueryContext(ctx, `SELECT (score - ?) / ?, COUNT(*) FROM contacts GROUP BY 1 ORDER BY 1`, lo, width)
	if err != nil {
		return nil, fmt.Errorf("score histogram: %w", err)
	}
	defer rows.Close()
	counts := map[int64]int64{}
	var last int64
	for rows.Next() {
		var b, c int64
		if err := rows.Scan(&b, &c); err != nil {
			return nil, fmt.Errorf("score histogram: %w", err)
		}
		counts[b] = c
		last = b
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rowcodec.Buckets(lo, width, last, counts), nil
}

// EventsPerMinute lists the per-minute counts of applied events since a
// time; minutes with no events are absent.
func (s *Store) EventsPerMinute(ctx context.Context, since time.Time) ([]store.MinuteCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT minute, events FROM event_minutes WHERE minute >= ? ORDER BY minute`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("events per minute: %w", err)
	}
	defer rows.Close()
	out := []store.MinuteCount{}
	for rows.Next() {
		var m, c int64
		if err := rows.Scan(&m, &c); err != nil {
			return nil, fmt.Errorf("events per minute: %w", err)
		}
		out = append(out, store.MinuteCount{Minute: time.UnixMilli(m).UTC(), Count: c})
	}
	return out, rows.Err()
}

// RecentDisqualified lists the latest disqualified contacts, newest first.
func (s *Store) RecentDisqualified(ctx context.Context, limit int) ([]*model.Contact, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts
		WHERE disqualified_at IS NOT NULL ORDER BY disqualified_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent disqualifications: %w", err)
	}
	return scanContacts(rows)
}

// MatchContacts counts the contacts a filter matches (compiled by
// filterSQL) and returns the first few by score.
func (s *Store) MatchContacts(ctx context.Context, f *flows.Filter, now time.Time, sample int) (int64, []*model.Contact, error) {
	cond, args, err := filterSQL(f, now)
	if err != nil {
		return 0, nil, fmt.Errorf("match contacts: %w", err)
	}
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts c WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("count matching contacts: %w", err)
	}
	if n == 0 || sample <= 0 {
		return n, []*model.Contact{}, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+prefixed("c.", contactColumns)+` FROM contacts c WHERE `+cond+
		` ORDER BY c.score DESC, c.id LIMIT ?`, append(append([]any{}, args...), sample)...)
	if err != nil {
		return 0, nil, fmt.Errorf("sample matching contacts: %w", err)
	}
	list, err := scanContacts(rows)
	return n, list, err
}

// catalogSample bounds the rows the catalog reads: it offers what recent
// data uses, not an exhaustive list.
const catalogSample = 5000

// Catalog lists the event types, tags and attribute names seen in the
// latest events and contacts, for the UI's pickers.
func (s *Store) Catalog(ctx context.Context) (eventTypes, tags, attributes []string, err error) {
	if eventTypes, err = scanIDs(s.read.QueryContext(ctx, `SELECT DISTINCT type FROM
		(SELECT type FROM events ORDER BY seq DESC LIMIT ?) ORDER BY type LIMIT 500`, catalogSample)); err != nil {
		return nil, nil, nil, fmt.Errorf("catalog event types: %w", err)
	}
	if tags, err = scanIDs(s.read.QueryContext(ctx, `SELECT DISTINCT j.value FROM
		(SELECT tags FROM contacts ORDER BY rowid DESC LIMIT ?) c, json_each(c.tags) j ORDER BY 1 LIMIT 500`, catalogSample)); err != nil {
		return nil, nil, nil, fmt.Errorf("catalog tags: %w", err)
	}
	if attributes, err = scanIDs(s.read.QueryContext(ctx, `SELECT DISTINCT j.key FROM
		(SELECT attributes FROM contacts ORDER BY rowid DESC LIMIT ?) c, json_each(c.attributes) j ORDER BY 1 LIMIT 500`, catalogSample)); err != nil {
		return nil, nil, nil, fmt.Errorf("catalog attributes: %w", err)
	}
	return eventTypes, tags, attributes, nil
}
