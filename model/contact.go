package model

import "time"

// Contact is a person being scored (CONTRACT §5).
type Contact struct {
	ID             string            `json:"id"`
	Email          string            `json:"email,omitempty"`
	Attributes     map[string]any    `json:"attributes"`
	Scores         map[string]int64  `json:"scores"`
	Score          int64             `json:"score"`
	Grade          string            `json:"grade"`
	Tags           []string          `json:"tags"`
	DealStage      string            `json:"deal_stage"`
	Disqualified   *Disqualification `json:"disqualified"`
	Segments       []string          `json:"segments"`
	CreatedAt      time.Time         `json:"created_at"`
	LastActivityAt *time.Time        `json:"last_activity_at"`
	AccountID      string            `json:"account_id,omitempty"`
}

// Disqualification says when and why a contact was disqualified.
type Disqualification struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// HasTag reports whether the contact carries tag.
func (c *Contact) HasTag(tag string) bool {
	for _, t := range c.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// LedgerEntry is one score change (CONTRACT §5 history).
type LedgerEntry struct {
	ID        int64     `json:"-"`
	ContactID string    `json:"-"`
	At        time.Time `json:"at"`
	// EventAt is the timestamp of the event that caused the change (for
	// decay and rescore rows, the moment they were applied, as At): score
	// velocity (score_change in filters) counts rows by it.
	EventAt     time.Time `json:"event_at"`
	Score       string    `json:"score"`
	Delta       int64     `json:"delta"`
	Value       int64     `json:"value"`
	Flow        *string   `json:"flow"`
	FlowVersion *int      `json:"flow_version"`
	Node        *string   `json:"node"`
	EventID     *string   `json:"event_id"`
	Reason      string    `json:"reason,omitempty"`
}

// CausedAt is EventAt, or At when the writer left EventAt unset (a change
// that no event caused, such as decay, happened when it was applied).
func (e *LedgerEntry) CausedAt() time.Time {
	if e.EventAt.IsZero() {
		return e.At
	}
	return e.EventAt
}
