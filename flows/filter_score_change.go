package flows

import (
	"errors"
	"fmt"
	"time"
)

// Score velocity: the field leaf {"field": "score_change", "within": "7d",
// "op": "gte", "value": 20} (and score_change.<dimension>) holds when the
// points a contact gained minus those it lost, over the history rows whose
// event_at lies in (now − within, now], pass the comparison. The rows are
// the Subject's to sum (ScoreChanger); the fields are the Window rows of
// the table of contact fields.

// ErrNoScoreHistory is what Match returns when a score_change leaf meets a
// Subject that cannot sum score history.
var ErrNoScoreHistory = errors.New("score_change filters need score history")

// ScoreChanger is implemented by subjects that can answer score_change
// leaves.
type ScoreChanger interface {
	ScoreChange(q ScoreChangeQuery) (float64, error)
}

// ScoreChangeQuery asks for the sum of the deltas of a contact's history
// rows on a dimension ("" = every dimension) with Since < event_at <= Until.
type ScoreChangeQuery struct {
	Dimension    string
	Since, Until time.Time
}

// Within is the window of a score_change leaf; 0 for every other leaf.
func (c *FieldCond) Within() time.Duration { return c.within }

// Dimension is the dimension a score_change leaf sums ("" = every
// dimension).
func (c *FieldCond) Dimension() string { return c.dimension }

// ScoreChangeQuery is what a score_change leaf asks at now.
func (c *FieldCond) ScoreChangeQuery(now time.Time) ScoreChangeQuery {
	return ScoreChangeQuery{Dimension: c.dimension, Since: now.Add(-c.within), Until: now}
}

func (c *FieldCond) matchScoreChange(s Subject, now time.Time) (bool, error) {
	sc, ok := s.(ScoreChanger)
	if !ok {
		return false, fmt.Errorf("filter on %s: %w", c.field, ErrNoScoreHistory)
	}
	points, err := sc.ScoreChange(c.ScoreChangeQuery(now))
	if err != nil {
		return false, fmt.Errorf("sum %s: %w", c.field, err)
	}
	return c.matchNumber(points, c.base) != c.negate, nil
}

// window reads a leaf's "within": required on a Window field (whose op
// must then compare numbers and whose value must be one), refused on any
// other. valueOK says fieldValue accepted the value, so it is not blamed
// twice.
func (p *filterParser) window(c *FieldCond, obj map[string]any, path string, kind FilterKind, valueOK bool) {
	raw, has := obj["within"]
	at := filterPath(path, "within")
	var row ContactField
	var rest string
	if kind == ContactFilter {
		row, rest, _ = LookupContactField(c.field)
	}
	switch {
	case !row.Window && has && kind == EventFilter:
		p.fail(at, "within applies to score_change in a contact filter; a filter on an event reads its properties")
		return
	case !row.Window && has:
		p.fail(at, "within applies only to score_change and score_change.<dimension>; to count events in a window use a behaviour condition {\"event\", \"within\", \"count\"}")
		return
	case !row.Window:
		return
	case !has:
		p.fail(at, "is required for %s: the window to sum points over, such as \"7d\"", c.field)
	default:
		c.within, c.withinText = p.duration(raw, at)
		c.dimension = rest
	}
	switch {
	case c.op == 0:
	case !c.op.isOrder() && c.op != OpEq && c.op != OpNeq:
		p.fail(filterPath(path, "op"), "%s is a number of points: use one of %s", c.field, countOpList)
	case valueOK && c.want.kind != numberScalar:
		p.fail(filterPath(path, "value"), "must be a number of points for %s", c.field)
	}
}
