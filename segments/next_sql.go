package segments

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// NextChangeSQL compiles the SQL twin of NextChange: an expression over
// contacts "c" giving, in Unix ms, the earliest moment after now at which
// time alone can change the segment for that contact, or NULL. Unlike
// NextChange it does not prune (an "all" with a false time-free condition
// still yields its boundaries), so it is conservative: a contact may be
// visited by the time pass when nothing changes for it, never missed.
// Leaves on attribute times have no SQL form here: ErrNoSQL.
func (s *Segment) NextChangeSQL(now time.Time) (string, []any, error) {
	c := &sqlCompiler{now: now}
	nowMS := now.UnixMilli()
	var parts []string
	var args []any
	for _, l := range s.Filter.TimeLeaves() {
		win := l.Window.Milliseconds()
		if l.Field != "" {
			col, ok := map[string]string{"created_at": "c.created_at", "last_activity_at": "c.last_activity_at"}[l.Field]
			if !ok {
				return "", nil, fmt.Errorf("%w: time of %s", ErrNoSQL, l.Field)
			}
			parts = append(parts, fmt.Sprintf("SELECT %s + ? AS v", col))
			args = append(args, win+1)
			continue
		}
		e := c.alias("e")
		b := &sqlBuilder{}
		b.w("SELECT (SELECT MIN(", e, ".ts) FROM events ", e, " WHERE ", e, ".contact_id = c.id AND ", e, ".type = ").arg(l.Event)
		b.w(" AND ", e, ".ts >= ").arg(nowMS - win)
		if l.Where != nil {
			raw, err := l.Where.MarshalJSON()
			if err != nil {
				return "", nil, err
			}
			var where any
			if err := json.Unmarshal(raw, &where); err != nil {
				return "", nil, err
			}
			w, err := c.node(where, e+".properties")
			if err != nil {
				return "", nil, err
			}
			b.w(" AND (").expr(w).w(")")
		}
		// In the window while ts >= now-window: out one millisecond later.
		b.w(") + ").arg(win + 1).w(" AS v")
		x := b.done()
		parts = append(parts, x.text)
		args = append(args, x.args...)
	}
	if len(parts) == 0 {
		return "", nil, fmt.Errorf("%w: segment %s has no time condition", ErrNoSQL, s.ID)
	}
	// MIN ignores NULLs: the earliest boundary still ahead.
	expr := "(SELECT MIN(v) FROM (" + strings.Join(parts, " UNION ALL ") + ") WHERE v > ?)"
	return expr, append(args, nowMS), nil
}
