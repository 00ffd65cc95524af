package store

import "time"

// MergeRelay is a message one step of a merge across partitions publishes
// once its transaction has committed (docs/architecture.md "Merges across
// partitions"): the merge-out request the survivor's writer sends to the
// merged id's partition, and the merge-in, with the merged contact's final
// state, that the merged id's writer sends back. It is kept with the event
// whose application made it, so a redelivery of that event, which finds it
// applied, publishes the relay again instead of losing it.
type MergeRelay struct {
	ID    string // its Nats-Msg-Id, which is also the relayed event's id
	Cause string // the event whose application made it
	Event []byte // the relayed event, JSON
}

// MergeRelayTx is the part of a batch's transaction that merges across
// partitions need. It is optional (the lab's in-memory sandbox owns every
// contact, so it never merges across partitions): the engine asks for it
// with a type assertion.
type MergeRelayTx interface {
	// AddMergeRelay keeps a relay; one whose id is kept already stays as
	// it was (the first cause publishes it, a repeat changes nothing).
	AddMergeRelay(r MergeRelay, at time.Time) error
	// MergeRelays lists, by id, the relays any of causes made.
	MergeRelays(causes []string) ([]MergeRelay, error)
	// MergeTarget prepares moving from's rows: it locks from's contact row
	// (if any) against concurrent merges into it, then, when into is not
	// empty, returns the contact into names now (into itself, or the
	// survivor it was merged into), locked so it is neither merged away
	// nor deleted before this transaction ends; "" when no contact lives
	// under into. Other replicas' transactions that move rows into from or
	// out of the target wait for this one, so no row is left under an id
	// that merged away meanwhile.
	MergeTarget(from, into string) (string, error)
}

// FollowMergeTarget is MergeTarget's walk, shared by the backends: from
// into, each id that holds a contact (live, which may also lock it) is
// the target; one that does not is followed through its alias, a few hops
// at most (aliases are kept flat, so one is the rule; more cover merges
// committing meanwhile). "" when the walk ends without a contact.
func FollowMergeTarget(into string, live func(id string) (bool, error), alias func(id string) (string, error)) (string, error) {
	for id, hops := into, 0; id != "" && hops < 8; hops++ {
		ok, err := live(id)
		if err != nil || ok {
			return id, err
		}
		next, err := alias(id)
		if err != nil || next == id {
			return "", err
		}
		id = next
	}
	return "", nil
}
