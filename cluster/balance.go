package cluster

import (
	"slices"
	"sort"
)

// share is how many of the partitions the replica id should apply among
// the live ones: every replica P/n, and the first P%n of them (by id) one
// more, so counts differ by at most one and every replica computes the
// same shares from the same heartbeats. A replica missing from live (its
// own heartbeat not seen yet) counts as one of them.
func share(partitions int, live []string, id string) int {
	if !slices.Contains(live, id) {
		live = append(slices.Clone(live), id)
		sort.Strings(live)
	}
	n := len(live)
	rank := slices.Index(live, id)
	s := partitions / n
	if rank < partitions%n {
		s++
	}
	return s
}

// plan is what a replica holding held should do next: release its extras
// (highest partitions first) when it holds more than want, else take free
// partitions (lowest first, none in skip) up to want. Releasing comes
// first: a replica that joined takes what the others let go on a later
// round.
func plan(partitions, want int, held map[int]bool, leases map[int]leaseEntry, skip func(int) bool) (release, take []int) {
	if len(held) > want {
		mine := make([]int, 0, len(held))
		for p := range held {
			mine = append(mine, p)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(mine)))
		return mine[:len(held)-want], nil
	}
	for p := 0; p < partitions && len(held)+len(take) < want; p++ {
		if _, leased := leases[p]; leased || held[p] || skip(p) {
			continue
		}
		take = append(take, p)
	}
	return nil, take
}
