package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBucketWidth(t *testing.T) {
	cases := []struct {
		span    int64
		buckets int
		want    int64
	}{
		{1, 20, 1}, {20, 20, 1}, {21, 20, 2}, {51, 20, 5}, {100, 20, 5}, {101, 20, 10},
		{1000, 20, 50}, {1001, 20, 100}, {600, 20, 50}, {10, 0, 10},
	}
	for _, c := range cases {
		got := BucketWidth(c.span, c.buckets)
		assert.Equal(t, c.want, got, "span %d in %d buckets", c.span, c.buckets)
		assert.LessOrEqual(t, (c.span+got-1)/got, int64(max(c.buckets, 1)))
	}
}

func TestFloorTo(t *testing.T) {
	cases := []struct{ v, w, want int64 }{
		{0, 5, 0}, {4, 5, 0}, {5, 5, 5}, {-1, 5, -5}, {-5, 5, -5}, {-6, 5, -10}, {-100, 50, -100}, {7, 1, 7},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, FloorTo(c.v, c.w), "floor %d to %d", c.v, c.w)
	}
}
