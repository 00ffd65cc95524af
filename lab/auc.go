// Package lab tests scoring models on history: it evaluates the scores a
// model gave against what contacts went on to do, and learns point weights
// from conversions.
package lab

import (
	"math"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// ROCPoint is one point of a ROC curve.
type ROCPoint struct {
	FPR float64 `json:"fpr"`
	TPR float64 `json:"tpr"`
}

// AUC is the ROC area: the probability that a random converted contact
// outscores a random other one, ties counting half. NaN when either class is
// empty. It is the trapezoidal area under the full ROC curve, which equals
// the Mann-Whitney statistic: a tie group is one diagonal step of the curve,
// and the triangle under it is the half credit.
func AUC(scores []float64, converted []bool) float64 {
	tpr, fpr, ok := roc(scores, converted)
	if !ok {
		return math.NaN()
	}
	return integrate.Trapezoidal(fpr, tpr)
}

// ROCCurve returns at most maxPoints (fpr, tpr) points from (0,0) to (1,1),
// for charts (nil when either class is empty). The full curve has one point
// per distinct score; when that is more than maxPoints, points are taken at
// evenly spaced thresholds along it, the two ends always kept.
func ROCCurve(scores []float64, converted []bool, maxPoints int) []ROCPoint {
	tpr, fpr, ok := roc(scores, converted)
	if !ok {
		return nil
	}
	if maxPoints < 2 {
		maxPoints = 2
	}
	n := len(tpr)
	if n <= maxPoints {
		out := make([]ROCPoint, n)
		for i := range tpr {
			out[i] = ROCPoint{FPR: fpr[i], TPR: tpr[i]}
		}
		return out
	}
	out := make([]ROCPoint, maxPoints)
	for k := range out {
		i := int(math.Round(float64(k) * float64(n-1) / float64(maxPoints-1)))
		out[k] = ROCPoint{FPR: fpr[i], TPR: tpr[i]}
	}
	return out
}

// roc is gonum's full ROC curve, from the highest threshold (0,0) to the
// lowest (1,1); ok is false when a class is empty. The inputs are copied,
// since gonum sorts in place.
func roc(scores []float64, converted []bool) (tpr, fpr []float64, ok bool) {
	if len(scores) != len(converted) {
		panic("lab: scores and converted differ in length")
	}
	var pos int
	for _, c := range converted {
		if c {
			pos++
		}
	}
	if pos == 0 || pos == len(converted) {
		return nil, nil, false
	}
	y := append([]float64(nil), scores...)
	classes := append([]bool(nil), converted...)
	stat.SortWeightedLabeled(y, classes, nil)
	tpr, fpr, _ = stat.ROC(nil, y, classes, nil)
	return tpr, fpr, true
}
