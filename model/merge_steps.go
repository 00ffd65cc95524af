package model

import (
	"crypto/sha256"
	"encoding/hex"
)

// The two steps of a merge across partitions (docs/architecture.md
// "Merges across partitions"). The engine publishes them; ingest refuses
// them, as it refuses "merged".
const (
	// EventMergeOut asks the writer of the merged id's partition to hand
	// the merged contact over: its rows move to the survivor, its id
	// becomes an alias, and its final state goes back as a merge-in.
	EventMergeOut = "merge_out"
	// EventMergeIn brings the merged contact's final state to the
	// survivor's writer, which folds it in; it is stored as the survivor's
	// "merged" timeline entry.
	EventMergeIn = "merge_in"
)

// MergeOutID and MergeInID are the deterministic event (and message) ids
// of the two steps of merging from into into, so a step published twice
// is applied once. Ids too long for an event id are hashed.
func MergeOutID(from, into string) string { return mergeStepID("merge-out/", from, into) }

// MergeInID: see MergeOutID.
func MergeInID(from, into string) string { return mergeStepID("merge-in/", from, into) }

func mergeStepID(prefix, from, into string) string {
	if id := prefix + from + "/" + into; len(id) <= MaxIDLength {
		return id
	}
	sum := sha256.Sum256([]byte(from + "\x00" + into))
	return prefix + hex.EncodeToString(sum[:16])
}
