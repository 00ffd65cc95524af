// Package rowcodec holds the Go side of reading and writing rows that the
// store backends share: arithmetic on values both dialects return alike.
// SQL text stays in each backend.
package rowcodec

import "github.com/scoreflow/scoreflow/store"

// BucketWidth is the smallest of 1, 2, 5, 10, 20, 50, … that fits span in
// at most buckets buckets.
func BucketWidth(span int64, buckets int) int64 {
	if buckets < 1 {
		buckets = 1
	}
	for scale := int64(1); ; scale *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if w := m * scale; (span+w-1)/w <= int64(buckets) {
				return w
			}
		}
	}
}

// FloorTo rounds v down to a multiple of w, negative numbers included.
func FloorTo(v, w int64) int64 {
	r := v % w
	if r < 0 {
		r += w
	}
	return v - r
}

// Buckets is the histogram of counts (bucket number → contacts, as the
// query grouped them) from bucket 0 to last, each width wide from lo.
// Empty buckets in between are kept, so the chart's x axis is linear.
func Buckets(lo, width, last int64, counts map[int64]int64) []store.ScoreBucket {
	out := make([]store.ScoreBucket, 0, last+1)
	for b := int64(0); b <= last; b++ {
		out = append(out, store.ScoreBucket{From: lo + b*width, To: lo + (b+1)*width, Count: counts[b]})
	}
	return out
}
