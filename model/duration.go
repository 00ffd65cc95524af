package model

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a span written as marketers write it: "30m", "72h", "60d"
// (Go duration syntax plus a day unit).
type Duration time.Duration

// ParseDuration parses "60d", "72h", "30m", "1h30m". It refuses zero and negative spans.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n != n || n > 1e6 {
			return 0, fmt.Errorf("invalid duration %q: use a number and a unit such as 30m, 72h or 60d", s)
		}
		d = time.Duration(n * float64(24*time.Hour))
	} else {
		var err error
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: use a number and a unit such as 30m, 72h or 60d", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return Duration(d), nil
}

// String prints whole days as "Nd", other spans in Go syntax.
func (d Duration) String() string {
	td := time.Duration(d)
	if td > 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// DurationError is a duration that could not be decoded; decoders of
// documents map it to the field's path.
type DurationError struct{ Message string }

func (e *DurationError) Error() string { return e.Message }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &DurationError{Message: "must be a duration such as \"60d\""}
	}
	v, err := ParseDuration(s)
	if err != nil {
		return &DurationError{Message: err.Error()}
	}
	*d = v
	return nil
}
