package cluster

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestShare(t *testing.T) {
	tests := []struct {
		partitions int
		live       []string
		want       map[string]int
	}{
		{16, []string{"a"}, map[string]int{"a": 16}},
		{16, []string{"a", "b"}, map[string]int{"a": 8, "b": 8}},
		{16, []string{"a", "b", "c"}, map[string]int{"a": 6, "b": 5, "c": 5}},
		{2, []string{"a", "b", "c"}, map[string]int{"a": 1, "b": 1, "c": 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.partitions, tt.live), func(t *testing.T) {
			total := 0
			for id, want := range tt.want {
				require.Equal(t, want, share(tt.partitions, tt.live, id), id)
				total += want
			}
			require.Equal(t, tt.partitions, total)
		})
	}
	// A replica whose own heartbeat is not in the bucket yet counts itself.
	require.Equal(t, 6, share(16, []string{"b", "c"}, "a"))
}

func TestPlan(t *testing.T) {
	leased := func(ps ...int) map[int]leaseEntry {
		m := map[int]leaseEntry{}
		for _, p := range ps {
			m[p] = leaseEntry{}
		}
		return m
	}
	set := func(ps ...int) map[int]bool {
		m := map[int]bool{}
		for _, p := range ps {
			m[p] = true
		}
		return m
	}
	none := func(int) bool { return false }
	tests := []struct {
		name          string
		want          int
		held          map[int]bool
		leases        map[int]leaseEntry
		skip          func(int) bool
		release, take []int
	}{
		{"empty bucket: lowest first", 3, set(), leased(), none, nil, []int{0, 1, 2}},
		{"leased ones are not free", 3, set(), leased(0, 2), none, nil, []int{1, 3, 4}},
		{"extras go, highest first", 2, set(1, 4, 7, 9), leased(1, 4, 7, 9), none, []int{9, 7}, nil},
		{"at its share: nothing", 2, set(1, 4), leased(1, 4), none, nil, nil},
		{"cooling down is skipped", 2, set(), leased(), func(p int) bool { return p == 0 }, nil, []int{1, 2}},
		{"not enough free", 5, set(0), leased(0, 1, 2, 3, 4, 5, 6), none, nil, []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release, take := plan(8, tt.want, tt.held, tt.leases, tt.skip)
			require.Equal(t, tt.release, release)
			require.Equal(t, tt.take, take)
		})
	}
}

func TestReplicaIDs(t *testing.T) {
	for id, ok := range map[string]bool{"r1": true, "web-1.example.com-a1b2c3": true, "": false, "a b": false, "a*": false, "a>": false, ".a": false, "a.": false} {
		_, err := New(nil, Options{ReplicaID: id, Partitions: 16})
		require.Equal(t, ok, err == nil, "%q: %v", id, err)
	}
}
