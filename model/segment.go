package model

import (
	"encoding/json"
	"time"
)

// Segment is a named contact filter whose membership Scoreflow keeps up to
// date (CONTRACT §4).
type Segment struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Where       json.RawMessage `json:"where"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Members is filled in by list endpoints.
	Members *int64 `json:"members,omitempty"`
}

// JobRun is the last run of a scheduled job.
type JobRun struct {
	Name       string    `json:"name"`
	Schedule   string    `json:"schedule"`
	LastStart  time.Time `json:"last_start"`
	DurationMS int64     `json:"duration_ms"`
	Outcome    string    `json:"outcome"` // ok, failed, skipped
	Error      string    `json:"error,omitempty"`
	Runs       int64     `json:"runs"`
}
