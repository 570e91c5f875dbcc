package customs

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHeading(t *testing.T) {
	for _, tc := range []struct{ category, vehicleType, want string }{
		{"M1", "小型普通客车", "8703"}, {"M3", "大型普通客车", "8702"}, {"N1", "轻型普通货车", "8704"},
		{"N3", "重型半挂牵引车", "8701"}, {"N3", "重型自卸货车", "8704"}, {"O4", "重型集装箱半挂车", "8716"}, {"X", "", ""},
	} {
		assert.Equal(t, tc.want, Heading(tc.category, tc.vehicleType), "%s %s", tc.category, tc.vehicleType)
	}
}

// TestSamplingRate: the deterministic sample follows the configured rate over many lines,
// and 0 and 1 mean none and all.
func TestSamplingRate(t *testing.T) {
	const n = 20000
	hits := 0
	for i := range n {
		vin := fmt.Sprintf("LSJA24U62JG%06d", i)
		if sampled("020220260000000001", vin, 0.1) {
			hits++
		}
		assert.False(t, sampled("020220260000000001", vin, 0))
		assert.True(t, sampled("020220260000000001", vin, 1))
	}
	assert.InDelta(t, 0.1, float64(hits)/n, 0.01)
	assert.Equal(t, sampled("A", "V", 0.5), sampled("A", "V", 0.5), "deterministic")
}
