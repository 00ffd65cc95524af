package lab

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pairAUC is the Mann-Whitney statistic by its definition, over every
// (converted, other) pair: the reference AUC is checked against.
func pairAUC(scores []float64, converted []bool) float64 {
	var wins float64
	var pairs int
	for i := range scores {
		if !converted[i] {
			continue
		}
		for j := range scores {
			if converted[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				wins++
			case scores[i] == scores[j]:
				wins += 0.5
			}
		}
	}
	if pairs == 0 {
		return math.NaN()
	}
	return wins / float64(pairs)
}

func TestAUC(t *testing.T) {
	const T, F = true, false
	cases := []struct {
		name      string
		scores    []float64
		converted []bool
		want      float64
	}{
		{"perfect", []float64{1, 2, 3, 10, 11}, []bool{F, F, F, T, T}, 1},
		{"inverse", []float64{10, 11, 1, 2, 3}, []bool{F, F, T, T, T}, 0},
		{"all tied", []float64{5, 5, 5, 5}, []bool{T, F, T, F}, 0.5},
		{"one tie pair", []float64{1, 2, 2, 3}, []bool{F, F, T, T}, 0.875},
		{"unsorted input", []float64{3, 1, 2, 2}, []bool{T, F, T, F}, 0.875},
		{"negative scores", []float64{-5, -1, 0, 4}, []bool{F, T, F, T}, 0.75},
		{"no converted", []float64{1, 2, 3}, []bool{F, F, F}, math.NaN()},
		{"all converted", []float64{1, 2, 3}, []bool{T, T, T}, math.NaN()},
		{"empty", nil, nil, math.NaN()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := append([]float64(nil), c.scores...)
			got := AUC(c.scores, c.converted)
			if math.IsNaN(c.want) {
				assert.True(t, math.IsNaN(got), "got %v, want NaN", got)
			} else {
				assert.InDelta(t, c.want, got, 1e-12)
				assert.InDelta(t, pairAUC(c.scores, c.converted), got, 1e-12)
			}
			assert.Equal(t, before, c.scores, "AUC must not reorder the caller's slice")
		})
	}
}

// TestAUCMatchesPairs checks random inputs with many ties against the pair
// definition, so the ties-count-half rule holds beyond hand-picked cases.
func TestAUCMatchesPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		n := 2 + r.IntN(300)
		scores := make([]float64, n)
		converted := make([]bool, n)
		for i := range scores {
			scores[i] = float64(r.IntN(12)) // few distinct values: many ties
			converted[i] = r.Float64() < 0.2+scores[i]/30
		}
		want := pairAUC(scores, converted)
		got := AUC(scores, converted)
		if math.IsNaN(want) {
			assert.True(t, math.IsNaN(got))
			continue
		}
		require.InDelta(t, want, got, 1e-9, "round %d", round)
	}
}

func TestROCCurve(t *testing.T) {
	const T, F = true, false
	t.Run("full curve", func(t *testing.T) {
		got := ROCCurve([]float64{1, 2, 2, 3}, []bool{F, F, T, T}, 101)
		assert.Equal(t, []ROCPoint{{0, 0}, {0, 0.5}, {0.5, 1}, {1, 1}}, got)
	})
	t.Run("no converted", func(t *testing.T) {
		assert.Nil(t, ROCCurve([]float64{1, 2}, []bool{F, F}, 101))
	})
	t.Run("thinned", func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		scores := make([]float64, 5000)
		converted := make([]bool, len(scores))
		for i := range scores {
			scores[i] = r.Float64()
			converted[i] = r.Float64() < scores[i]
		}
		for _, max := range []int{2, 11, 101} {
			got := ROCCurve(scores, converted, max)
			require.Len(t, got, max)
			assert.Equal(t, ROCPoint{0, 0}, got[0])
			assert.Equal(t, ROCPoint{1, 1}, got[len(got)-1])
			for i := 1; i < len(got); i++ {
				assert.GreaterOrEqual(t, got[i].FPR, got[i-1].FPR)
				assert.GreaterOrEqual(t, got[i].TPR, got[i-1].TPR)
			}
		}
		assert.Len(t, ROCCurve(scores, converted, 0), 2, "fewer than two points cannot span the curve")
	})
}

func BenchmarkAUC(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	scores := make([]float64, 100_000)
	converted := make([]bool, len(scores))
	for i := range scores {
		scores[i] = float64(r.IntN(200))
		converted[i] = r.Float64() < scores[i]/400
	}
	for b.Loop() {
		AUC(scores, converted)
	}
}
