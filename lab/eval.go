package lab

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/scoreflow/scoreflow/model"
)

// Judged is one contact's score at the moment it is judged: just before it
// converted, or at the run's `to` when it did not.
type Judged struct {
	Contact   string
	Score     int64
	Grade     string
	Converted bool
}

// Eval is the <eval> object of CONTRACT §8.
type Eval struct {
	Histogram []Bucket         `json:"histogram"`
	Grades    map[string]int64 `json:"grades"`
	Outcome   OutcomeEval      `json:"outcome"`
}

// Bucket is one histogram bar: scores from Min (inclusive) to Max (exclusive).
type Bucket struct {
	Min      int64 `json:"min"`
	Max      int64 `json:"max"`
	Contacts int64 `json:"contacts"`
}

// OutcomeEval is how well the scores foretold the outcome.
type OutcomeEval struct {
	Converted int64 `json:"converted"`
	// Bands has one band per grade, lowest grade first.
	Bands []Band `json:"bands"`
	// Deciles are score deciles, "1" lowest to "10" highest.
	Deciles []Band `json:"deciles"`
	// AUC is null when no contact, or every contact, converted.
	AUC *float64 `json:"auc"`
	// LiftTopDecile is the top decile's conversion rate over the overall
	// rate; null when nobody converted.
	LiftTopDecile *float64   `json:"lift_top_decile"`
	ROC           []ROCPoint `json:"roc"`
}

// Band is the conversion of the contacts whose score lies in [Min, Max).
type Band struct {
	Band      string  `json:"band"`
	Min       *int64  `json:"min"`
	Max       *int64  `json:"max"`
	Contacts  int64   `json:"contacts"`
	Converted int64   `json:"converted"`
	Rate      float64 `json:"rate"`
}

// rocPoints is how many points of the ROC curve an Eval carries: enough for
// a smooth chart, few enough to keep a run's result small.
const rocPoints = 101

// Evaluate builds the <eval> object of CONTRACT §8 from judged contacts.
// Grades are the settings' grades (any order); histogramBuckets bounds the
// histogram as the dashboard's ScoreHistogram does.
func Evaluate(judged []Judged, grades []model.Grade, histogramBuckets int) Eval {
	ev := Eval{
		Histogram: histogram(judged, histogramBuckets),
		Grades:    gradeCounts(judged, grades),
		Outcome: OutcomeEval{
			Bands:   gradeBands(judged, grades),
			Deciles: deciles(judged),
			ROC:     []ROCPoint{},
		},
	}
	scores := make([]float64, len(judged))
	converted := make([]bool, len(judged))
	for i, j := range judged {
		scores[i], converted[i] = float64(j.Score), j.Converted
		if j.Converted {
			ev.Outcome.Converted++
		}
	}
	if auc := AUC(scores, converted); !math.IsNaN(auc) {
		ev.Outcome.AUC = &auc
		ev.Outcome.ROC = ROCCurve(scores, converted, rocPoints)
	}
	if ev.Outcome.Converted > 0 {
		top := ev.Outcome.Deciles[len(ev.Outcome.Deciles)-1]
		lift := top.Rate / (float64(ev.Outcome.Converted) / float64(len(judged)))
		ev.Outcome.LiftTopDecile = &lift
	}
	return ev
}

// histogram spreads scores over at most buckets buckets of the smallest
// width of 1, 2, 5, 10, 20, 50… that fits max − min + 1, each starting at a
// multiple of the width, empty ones in between kept: the rule of
// store.Store's ScoreHistogram, so live and lab charts read alike.
func histogram(judged []Judged, buckets int) []Bucket {
	if len(judged) == 0 {
		return []Bucket{}
	}
	lo, hi := judged[0].Score, judged[0].Score
	for _, j := range judged {
		lo, hi = min(lo, j.Score), max(hi, j.Score)
	}
	width := model.BucketWidth(hi-lo+1, buckets)
	lo = model.FloorTo(lo, width)
	out := make([]Bucket, (hi-lo)/width+1)
	for i := range out {
		out[i].Min = lo + int64(i)*width
		out[i].Max = out[i].Min + width
	}
	for _, j := range judged {
		out[(j.Score-lo)/width].Contacts++
	}
	return out
}

// noGrade is the key of contacts without a grade (a score below the lowest
// grade's bound), as JSON keys cannot be empty in a useful way.
const noGrade = "none"

// gradeCounts counts contacts by the grade they were judged with; every
// settings grade is present so the chart's categories do not depend on data.
func gradeCounts(judged []Judged, grades []model.Grade) map[string]int64 {
	out := make(map[string]int64, len(grades)+1)
	for _, g := range grades {
		out[g.Name] = 0
	}
	for _, j := range judged {
		name := j.Grade
		if name == "" {
			name = noGrade
		}
		out[name]++
	}
	return out
}

// gradeBands measures conversion per grade, by the grade's score bounds:
// from its Min (null = open) up to the next grade's Min (null for the top).
func gradeBands(judged []Judged, grades []model.Grade) []Band {
	sorted := slices.Clone(grades)
	slices.SortStableFunc(sorted, func(a, b model.Grade) int {
		switch {
		case a.Min == nil && b.Min == nil:
			return 0
		case a.Min == nil:
			return -1
		case b.Min == nil:
			return 1
		}
		return cmp.Compare(*a.Min, *b.Min)
	})
	bands := make([]Band, len(sorted))
	for i, g := range sorted {
		bands[i] = Band{Band: g.Name, Min: g.Min}
		if i+1 < len(sorted) {
			bands[i].Max = sorted[i+1].Min
		}
	}
	for _, j := range judged {
		// The last band whose lower bound the score reaches, as GradeFor.
		k := -1
		for i, b := range bands {
			if b.Min == nil || j.Score >= *b.Min {
				k = i
			}
		}
		if k >= 0 {
			bands[k].add(j.Converted)
		}
	}
	for i := range bands {
		bands[i].setRate()
	}
	return bands
}

// deciles splits contacts into ten score deciles, "1" lowest, "10" highest.
// A contact's decile is that of its rank in ascending score order, and a
// group of equal scores goes whole to the decile of its highest rank: equal
// scores must be judged alike, and a model that gives everyone the same score
// then puts everyone in the top decile, with a lift of exactly 1. Deciles
// below a large tie group can therefore be empty (Min and Max null).
func deciles(judged []Judged) []Band {
	out := make([]Band, 10)
	for i := range out {
		out[i].Band = strconv.Itoa(i + 1)
	}
	sorted := slices.Clone(judged)
	slices.SortFunc(sorted, func(a, b Judged) int { return cmp.Compare(a.Score, b.Score) })
	n := len(sorted)
	for start := 0; start < n; {
		end := start + 1
		for end < n && sorted[end].Score == sorted[start].Score {
			end++
		}
		// end is the 1-based rank of the group's highest score, so the top
		// group always lands in decile 10, however few contacts there are.
		d := &out[(10*end+n-1)/n-1]
		score := sorted[start].Score
		if d.Contacts == 0 {
			d.Min = &score
		}
		d.Max = &score
		for _, j := range sorted[start:end] {
			d.add(j.Converted)
		}
		start = end
	}
	for i := range out {
		out[i].setRate()
	}
	return out
}

func (b *Band) add(converted bool) {
	b.Contacts++
	if converted {
		b.Converted++
	}
}

func (b *Band) setRate() {
	if b.Contacts > 0 {
		b.Rate = float64(b.Converted) / float64(b.Contacts)
	}
}

// Mover is a contact the draft scores or grades differently from live.
type Mover struct {
	Contact    string `json:"contact"`
	LiveScore  int64  `json:"live_score"`
	DraftScore int64  `json:"draft_score"`
	LiveGrade  string `json:"live_grade"`
	DraftGrade string `json:"draft_grade"`
}

// Movers lists contacts whose score or grade differs between live and draft,
// largest |draft − live| first (then by id), at most limit (all when limit
// ≤ 0). Contacts are matched by Contact; one missing on a side counts as
// score 0 without a grade there.
func Movers(live, draft []Judged, limit int) []Mover {
	byID := make(map[string]Judged, len(draft))
	for _, d := range draft {
		byID[d.Contact] = d
	}
	out := []Mover{}
	add := func(l, d Judged, id string) {
		if l.Score != d.Score || l.Grade != d.Grade {
			out = append(out, Mover{Contact: id, LiveScore: l.Score, DraftScore: d.Score, LiveGrade: l.Grade, DraftGrade: d.Grade})
		}
	}
	for _, l := range live {
		d := byID[l.Contact]
		delete(byID, l.Contact)
		add(l, d, l.Contact)
	}
	for id, d := range byID {
		add(Judged{}, d, id)
	}
	slices.SortFunc(out, func(a, b Mover) int {
		if c := cmp.Compare(absDiff(b), absDiff(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.Contact, b.Contact)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func absDiff(m Mover) int64 {
	d := m.DraftScore - m.LiveScore
	if d < 0 {
		return -d
	}
	return d
}
