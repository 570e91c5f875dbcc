package identity

import "testing"

var (
	benchVIN  VIN
	benchUSCC USCC
)

func BenchmarkParseVIN(b *testing.B) {
	cases := []struct{ name, in string }{
		{"clean", "LSJA24U62JG269225"},
		{"normalised", " ｌsj-A24U62 JG２６９２２５ "},
		{"bad check digit", "LSJA24U62JG269226"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchVIN = ParseVIN(c.in)
			}
		})
	}
}

func BenchmarkParseUSCC(b *testing.B) {
	cases := []struct{ name, in string }{
		{"clean", "91440300192317458F"},
		{"normalised", "９１４４ ０３００-１９２３１７４５８ｆ"},
		{"bad check char", "91440300192317458G"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchUSCC = ParseUSCC(c.in)
			}
		})
	}
}
