package model

import (
	"fmt"
	"sort"
)

// Settings is the scoring policy (CONTRACT §4).
type Settings struct {
	Scores   []ScoreDimension `json:"scores"`
	Grades   []Grade          `json:"grades"`
	Pipeline []string         `json:"pipeline"`
	// AccountScores says per dimension how accounts aggregate their
	// contacts' scores: sum (the default), max or avg (model/account.go).
	AccountScores map[string]string `json:"account_scores,omitempty"`
}

// ScoreDimension bounds one named score; nil bounds are open.
type ScoreDimension struct {
	Name  string `json:"name"`
	Min   *int64 `json:"min"`
	Max   *int64 `json:"max"`
	Decay *Decay `json:"decay,omitempty"`
}

// Decay takes Percent of a dimension away Every span.
type Decay struct {
	Every   Duration `json:"every"`
	Percent float64  `json:"percent"`
}

// Grade applies from Min (nil = no lower bound) up to the next grade.
type Grade struct {
	Name string `json:"name"`
	Min  *int64 `json:"min"`
}

func ptr(v int64) *int64 { return &v }

// DefaultSettings is what an empty database starts with.
func DefaultSettings() Settings {
	return Settings{
		Scores:   []ScoreDimension{{Name: "engagement"}, {Name: "fit"}},
		Grades:   []Grade{{Name: "cold"}, {Name: "warm", Min: ptr(20)}, {Name: "hot", Min: ptr(50)}},
		Pipeline: []string{"new", "mql", "sql", "opportunity", "won", "lost"},
	}
}

// Validate checks the settings and sorts grades by their lower bound.
func (s *Settings) Validate() []FieldError {
	var errs []FieldError
	add := func(path, msg string) { errs = append(errs, FieldError{Path: path, Message: msg}) }
	seen := map[string]bool{}
	for i, d := range s.Scores {
		p := fmt.Sprintf("scores[%d]", i)
		if d.Name == "" {
			add(p+".name", "is required")
		} else if seen[d.Name] {
			add(p+".name", fmt.Sprintf("duplicate score dimension %q", d.Name))
		}
		seen[d.Name] = true
		if d.Min != nil && d.Max != nil && *d.Min > *d.Max {
			add(p+".min", "must not be greater than max")
		}
		if d.Decay != nil {
			if d.Decay.Every <= 0 {
				add(p+".decay.every", "is required, such as \"30d\"")
			}
			if d.Decay.Percent <= 0 || d.Decay.Percent > 100 {
				add(p+".decay.percent", "must be more than 0 and at most 100")
			}
		}
	}
	gseen := map[string]bool{}
	nilMins := 0
	for i, g := range s.Grades {
		p := fmt.Sprintf("grades[%d]", i)
		if g.Name == "" {
			add(p+".name", "is required")
		} else if gseen[g.Name] {
			add(p+".name", fmt.Sprintf("duplicate grade %q", g.Name))
		}
		gseen[g.Name] = true
		if g.Min == nil {
			nilMins++
			if nilMins > 1 {
				add(p+".min", "only one grade may have no lower bound")
			}
		}
	}
	mins := map[int64]bool{}
	for i, g := range s.Grades {
		if g.Min != nil {
			if mins[*g.Min] {
				add(fmt.Sprintf("grades[%d].min", i), "two grades share this lower bound")
			}
			mins[*g.Min] = true
		}
	}
	pseen := map[string]bool{}
	for i, st := range s.Pipeline {
		p := fmt.Sprintf("pipeline[%d]", i)
		if st == "" {
			add(p, "must not be empty")
		} else if pseen[st] {
			add(p, fmt.Sprintf("duplicate stage %q", st))
		}
		pseen[st] = true
	}
	errs = append(errs, s.validateAccountScores()...)
	if len(errs) == 0 {
		sort.SliceStable(s.Grades, func(i, j int) bool {
			a, b := s.Grades[i].Min, s.Grades[j].Min
			if a == nil {
				return b != nil
			}
			return b != nil && *a < *b
		})
	}
	return errs
}

// Dimension returns the named dimension, or an unbounded one when it is not
// configured (CONTRACT §4: such a dimension is created unbounded).
func (s *Settings) Dimension(name string) ScoreDimension {
	for _, d := range s.Scores {
		if d.Name == name {
			return d
		}
	}
	return ScoreDimension{Name: name}
}

// Clamp bounds v to the dimension's min and max.
func (d ScoreDimension) Clamp(v int64) int64 {
	if d.Min != nil && v < *d.Min {
		v = *d.Min
	}
	if d.Max != nil && v > *d.Max {
		v = *d.Max
	}
	return v
}

// GradeFor returns the grade of a total score: the grade with the highest
// lower bound not above it. Grades must be sorted (Validate sorts them).
func (s *Settings) GradeFor(score int64) string {
	grade := ""
	for _, g := range s.Grades {
		if g.Min == nil || score >= *g.Min {
			grade = g.Name
		}
	}
	return grade
}

// HasStage reports whether stage is in the pipeline.
func (s *Settings) HasStage(stage string) bool {
	for _, st := range s.Pipeline {
		if st == stage {
			return true
		}
	}
	return false
}
