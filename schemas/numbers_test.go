package schemas

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStandIn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"},
		{"-0.000", "0"},
		{"0e-1000000", "0"},
		{"5", "5"},
		{"5.0", "5"},
		{"-12.50", "-12.5"},
		{"1.5e1", "15"},
		{"15e-1", "1.5"},
		{"1e1000000", "1" + strings.Repeat("0", 30)},
		{"-1e1000000", "-1" + strings.Repeat("0", 30)},
		{"1e99999999999999999999", "1" + strings.Repeat("0", 30)},
		{"1e-1000000", "0." + strings.Repeat("0", 19) + "1"},
		{"1e-99999999999999999999", "0." + strings.Repeat("0", 19) + "1"},
		{"3" + strings.Repeat("0", 100) + ".5", "1" + strings.Repeat("0", 30) + ".5"},
		{"7." + strings.Repeat("0", 100) + "1", "7." + strings.Repeat("0", 19) + "1"},
		{"7." + strings.Repeat("9", 100), "7." + strings.Repeat("9", 20)},
		{"45210." + strings.Repeat("0", 100), "45210"},
		{"4521" + strings.Repeat("0", 100) + "e-100", "4521"},
		{"x", ""},
		{"1e", ""},
		{"1.e5", "100000"},
	}
	for _, tt := range tests {
		got, ok := standIn(tt.in)
		if tt.want == "" {
			assert.False(t, ok, tt.in)
			continue
		}
		assert.True(t, ok, tt.in)
		assert.Equal(t, tt.want, got, "%.30s", tt.in)
	}
}

// Without the stand-ins these numbers cost 20–200 ms each in math/big (see numbers.go);
// BenchmarkCostlyNumber shows the cost with them.
func TestCostlyNumbers(t *testing.T) {
	tests := []struct {
		num  string
		want []pk
	}{
		{"1e1000000", []pk{{"/vehicle/seats", "maximum"}}},
		{"-1e1000000", []pk{{"/vehicle/seats", "minimum"}}},
		{"1e-1000000", []pk{{"/vehicle/seats", "type"}}},
		{"5" + strings.Repeat("0", 100000) + "e-100000", nil},
		{"5." + strings.Repeat("0", 100000), nil},
		{"5." + strings.Repeat("0", 100000) + "1", []pk{{"/vehicle/seats", "type"}}},
		{strings.Repeat("9", 100000), []pk{{"/vehicle/seats", "maximum"}}},
	}
	for _, tt := range tests {
		doc := loadDoc(t, "valid-m1.json")
		set(t, doc, "/vehicle/seats", json.Number(tt.num))
		set(t, doc, "/inspectionReport/vehicle/seats", json.Number(tt.num))
		require.True(t, hasCostlyNumber(doc))
		require.False(t, hasCostlyNumber(replaceCostlyNumbers(doc, "", map[string]string{})))
		got := testValidator.ValidateFiling(doc)
		var want []pk
		for _, w := range tt.want {
			want = append(want, w, pk{"/inspectionReport" + w.Pointer, w.Keyword})
		}
		if want == nil {
			assert.Nil(t, got, "%.20s", tt.num)
		} else {
			assert.ElementsMatch(t, want, pointersAndKeywords(got), "%.20s", tt.num)
		}
		requireMessages(t, got)
		for _, v := range got {
			if v.Keyword != "type" {
				assert.Contains(t, v.MessageEn, truncate(tt.num))
				assert.Contains(t, v.MessageZh, "数值超出允许范围")
			}
		}
		// The caller's document is not modified.
		require.Equal(t, json.Number(tt.num), get(t, doc, "/vehicle/seats"))
	}
}

func BenchmarkCostlyNumber(b *testing.B) {
	doc := loadDoc(b, "valid-m1.json")
	set(b, doc, "/vehicle/seats", json.Number("1e1000000"))
	for b.Loop() {
		testValidator.ValidateFiling(doc)
	}
}
