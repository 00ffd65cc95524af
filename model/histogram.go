package model

// Score histograms (the dashboard's and the model lab's) share one bucket
// rule, so the two charts of the same contacts read alike.

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

// FloorTo rounds v down to a multiple of w, negative numbers included: the
// first bucket starts at a multiple of the width.
func FloorTo(v, w int64) int64 {
	r := v % w
	if r < 0 {
		r += w
	}
	return v - r
}
