package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/internal/rowcodec"
)

// Reads behind the UI: run counters of every flow, the dashboard's
// aggregates and the choices its pickers offer. Each is bounded (an index,
// a LIMIT or a sample), as in the SQLite store.

// AllFlowStats sums every flow's per-node counters since a time.
func (s *Store) AllFlowStats(ctx context.Context, since time.Time) ([]store.NodeStats, error) {
	rows, err := s.pool.Query(ctx, `SELECT flow_id, node_id, SUM(entered)::bigint, SUM(completed)::bigint, SUM(failed)::bigint
		FROM flow_stats WHERE minute >= $1 GROUP BY flow_id, node_id`, ms(since))
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("flow stats: %w", err)
	}
	return out, nil
}

// GradeCounts counts contacts by grade.
func (s *Store) GradeCounts(ctx context.Context) ([]store.GradeCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT grade, COUNT(*) FROM contacts GROUP BY grade ORDER BY grade`)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count grades: %w", err)
	}
	return out, nil
}

// ScoreHistogram spreads contacts' total scores over at most buckets
// buckets of equal, round width.
func (s *Store) ScoreHistogram(ctx context.Context, buckets int) ([]store.ScoreBucket, error) {
	var lo, hi, n int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MIN(score), 0), COALESCE(MAX(score), 0), COUNT(*) FROM contacts`).
		Scan(&lo, &hi, &n); err != nil {
		return nil, fmt.Errorf("score range: %w", err)
	}
	if n == 0 {
		return []store.ScoreBucket{}, nil
	}
	width := rowcodec.BucketWidth(hi-lo+1, buckets)
	lo = rowcodec.FloorTo(lo, width)
	// score >= lo, so integer division is floor division here, as in SQLite.
	rows, err := s.pool.Query(ctx, `SELECT (score - $1::bigint) / $2::bigint, COUNT(*) FROM contacts GROUP BY 1 ORDER BY 1`, lo, width)
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
		return nil, fmt.Errorf("score histogram: %w", err)
	}
	return rowcodec.Buckets(lo, width, last, counts), nil
}

// EventsPerMinute lists the per-minute counts of applied events since a
// time; minutes with no events are absent.
func (s *Store) EventsPerMinute(ctx context.Context, since time.Time) ([]store.MinuteCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT minute, events FROM event_minutes WHERE minute >= $1 ORDER BY minute`, ms(since))
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
		out = append(out, store.MinuteCount{Minute: fromMS(m), Count: c})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events per minute: %w", err)
	}
	return out, nil
}

// RecentDisqualified lists the latest disqualified contacts, newest first.
func (s *Store) RecentDisqualified(ctx context.Context, limit int) ([]*model.Contact, error) {
	out, err := scanContacts(s.pool.Query(ctx, `SELECT `+contactColumns+` FROM contacts c
		WHERE c.disqualified_at IS NOT NULL ORDER BY c.disqualified_at DESC, c.seq LIMIT $1`, limitArg(limit)))
	if err != nil {
		return nil, fmt.Errorf("recent disqualifications: %w", err)
	}
	return out, nil
}

// catalogSample bounds the rows the catalog reads: it offers what recent
// data uses, not an exhaustive list.
const catalogSample = 5000

// Catalog lists the event types, tags and attribute names seen in the
// latest events and contacts (by insertion, as SQLite's rowid orders
// them), for the UI's pickers. Set-returning functions yield text in the
// database's collation, so the order is named: by code point.
func (s *Store) Catalog(ctx context.Context) (eventTypes, tags, attributes []string, err error) {
	if eventTypes, err = scanIDs(s.pool.Query(ctx, `SELECT DISTINCT type FROM
		(SELECT type FROM events ORDER BY seq DESC LIMIT $1) e ORDER BY type LIMIT 500`, catalogSample)); err != nil {
		return nil, nil, nil, fmt.Errorf("catalog event types: %w", err)
	}
	if tags, err = scanIDs(s.pool.Query(ctx, `SELECT DISTINCT j COLLATE "C" FROM
		(SELECT tags FROM contacts ORDER BY seq DESC LIMIT $1) c, jsonb_array_elements_text(c.tags) j ORDER BY 1 LIMIT 500`, catalogSample)); err != nil {
		return nil, nil, nil, fmt.Errorf("catalog tags: %w", err)
	}
	if attributes, err = scanIDs(s.pool.Query(ctx, `SELECT DISTINCT j COLLATE "C" FROM
		(SELECT attributes FROM contacts ORDER BY seq DESC LIMIT $1) c, jsonb_object_keys(c.attributes) j ORDER BY 1 LIMIT 500`, catalogSample)); err != nil {
		return nil, nil, nil, fmt.Errorf("catalog attributes: %w", err)
	}
	return eventTypes, tags, attributes, nil
}
