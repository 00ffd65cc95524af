package store

import (
	"context"
	"time"
)

// Identities answers which contact an id names now (CONTRACT §9): an id
// merged into another contact resolves to the survivor forever.
type Identities interface {
	// ResolveContact returns the survivor an id was merged into, or the id
	// itself when it was never merged (whether or not a contact has it).
	ResolveContact(ctx context.Context, id string) (string, error)
	// MergedFrom lists, sorted, the ids merged into a contact, directly or
	// through a chain.
	MergedFrom(ctx context.Context, id string) ([]string, error)
}

// IdentityTx is the merge's part of a batch's transaction.
type IdentityTx interface {
	// ResolveAlias returns the survivor an old id was merged into, "" when
	// the id was never merged.
	ResolveAlias(id string) (string, error)
	// AddAlias records that id now resolves to into, and re-points every id
	// that resolved to id (a chain stays one lookup). An id already merged
	// keeps its survivor.
	AddAlias(id, into string, at time.Time) error
	// MarkAnonymous records a contact created from an anonymous id alone.
	MarkAnonymous(id string) error
	// IsAnonymous reports whether MarkAnonymous recorded the contact.
	IsAnonymous(id string) (bool, error)
	// ForgetContact drops the aliases that resolve to a deleted contact and
	// its anonymous mark, so its old ids name nobody any more.
	ForgetContact(id string) error
	// MoveContact hands everything stored about from to into: events (the
	// timeline and their exactly-once record), score history, flow entries
	// and parked runs; it deletes from's contact row, segment memberships,
	// decay marks and anonymous mark, and records the alias (AddAlias).
	// into's own row is the caller's to write. Safe to repeat: a second call
	// finds nothing left to move.
	MoveContact(from, into string, at time.Time) error
}
