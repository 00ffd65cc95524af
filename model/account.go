package model

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// EventGroup is Segment's group call as an event: its account_id names the
// account and its properties are the account's traits (properties.name its
// name). Any event with an account_id puts its contact in that account.
const EventGroup = "group"

// Account is a company whose contacts are scored together (CONTRACT §9).
type Account struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Attributes map[string]any   `json:"attributes"`
	Scores     map[string]int64 `json:"scores"`
	Score      int64            `json:"score"`
	Grade      string           `json:"grade"`
	// Contacts is how many contacts belong to the account.
	Contacts  int64     `json:"contacts"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Sums is, per dimension, the sum of the members' scores: what sum and
	// avg derive from without reading the members (max reads the store's
	// per-account multiset of values instead).
	Sums map[string]int64 `json:"-"`
}

// How an account's score on a dimension derives from its members'.
const (
	AccountSum = "sum"
	AccountMax = "max"
	AccountAvg = "avg"
)

// AccountMode is how a dimension aggregates over an account's members:
// settings' account_scores, sum by default.
func (s *Settings) AccountMode(dimension string) string {
	if m, ok := s.AccountScores[dimension]; ok && m != "" {
		return m
	}
	return AccountSum
}

// MaxDimensions lists, sorted, the dimensions aggregated by max: the store
// keeps the multiset of members' values only for those.
func (s *Settings) MaxDimensions() []string {
	var out []string
	for d, m := range s.AccountScores {
		if m == AccountMax {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// validateAccountScores checks account_scores' modes.
func (s *Settings) validateAccountScores() []FieldError {
	var errs []FieldError
	names := make([]string, 0, len(s.AccountScores))
	for d := range s.AccountScores {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		switch s.AccountScores[d] {
		case AccountSum, AccountMax, AccountAvg:
		default:
			errs = append(errs, FieldError{Path: "account_scores." + d,
				Message: fmt.Sprintf("must be sum, max or avg, not %q", s.AccountScores[d])})
		}
		if d == "" {
			errs = append(errs, FieldError{Path: "account_scores", Message: "dimension names must not be empty"})
		}
	}
	return errs
}

// ScoreAccount derives an account's scores, total and grade from its sums,
// its member count and, for max dimensions, maxOf (the largest member
// value). avg rounds half away from zero; an account without members scores
// 0 everywhere.
func (s *Settings) ScoreAccount(a *Account, maxOf func(dimension string) (int64, error)) error {
	scores := make(map[string]int64, len(a.Sums))
	var total int64
	for d, sum := range a.Sums {
		var v int64
		switch {
		case a.Contacts <= 0:
		case s.AccountMode(d) == AccountAvg:
			v = int64(math.Round(float64(sum) / float64(a.Contacts)))
		case s.AccountMode(d) == AccountMax:
			m, err := maxOf(d)
			if err != nil {
				return fmt.Errorf("account %s: max of %s: %w", a.ID, d, err)
			}
			v = m
		default:
			v = sum
		}
		scores[d] = v
		total += v
	}
	a.Scores, a.Score, a.Grade = scores, total, s.GradeFor(total)
	return nil
}

// validateAccount checks an event's account_id and, for a group call, that
// it names its account.
func (e *Event) validateAccount() []FieldError {
	switch {
	case len(e.AccountID) > MaxIDLength:
		return []FieldError{{Path: "account_id", Message: fmt.Sprintf("must be at most %d characters", MaxIDLength)}}
	case e.Type == EventGroup && e.AccountID == "":
		return []FieldError{{Path: "account_id", Message: "is required for group"}}
	}
	return nil
}
