package rowcodec

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scoreflow/scoreflow/store"
)

func TestBuckets(t *testing.T) {
	got := Buckets(-10, 5, 3, map[int64]int64{0: 2, 3: 1})
	assert.Equal(t, []store.ScoreBucket{{From: -10, To: -5, Count: 2}, {From: -5, To: 0}, {From: 0, To: 5}, {From: 5, To: 10, Count: 1}}, got)
}
