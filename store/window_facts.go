package store

import "time"

// WindowFacts answers in one read what a time-based segment asks twice of
// the same window: its evaluation wants a count or a sum, and the time
// pass right after it wants the window's oldest row, to find when the
// answer can next change with time. Each method's results are exactly
// those of the two reads it stands for, the batch's own rows included.
type WindowFacts interface {
	// EventWindow is CountContactEvents and OldestContactEvent of one
	// window (since not zero): how many of a contact's events of a type
	// have ts >= since, and the oldest one's ts (the zero time when none).
	EventWindow(contactID, eventType string, since time.Time) (n int, oldest time.Time, err error)
	// ScoreWindowFacts is ScoreChange(since, now) and ScoreChangeEdges(since, now).
	ScoreWindowFacts(contactID, dimension string, since, now time.Time) (sum float64, oldest, ahead time.Time, err error)
}
