// Package rowcodec holds the Go side of reading and writing rows that the
// store backends share: arithmetic on values both dialects return alike.
// SQL text stays in each backend.
package rowcodec

import (
	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// BucketWidth is model.BucketWidth, the rule the lab's histograms share.
func BucketWidth(span int64, buckets int) int64 { return model.BucketWidth(span, buckets) }

// FloorTo is model.FloorTo.
func FloorTo(v, w int64) int64 { return model.FloorTo(v, w) }

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
