package identity

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestParseResidentID(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		valid bool
		codes []string
	}{
		{"GB 11643 example, X check", "11010519491231002X", true, nil},
		{"lower-case x is normalised", "11010519491231002x", true, nil},
		{"spaces and full-width digits", "４４０３０５ 19850712 3410", true, nil},
		{"leap day", "310104199202290523", true, nil},
		{"Taiwan residence permit (83)", "830000199001010012", true, nil},
		{"check digit wrong", "440305198507123411", false, []string{CodeResidentIDCheckDigit}},
		{"X where a digit is due", "44030519850712341X", false, []string{CodeResidentIDCheckDigit}},
		{"first-generation 15 digits", "440305850712341", false, []string{CodeResidentIDLength}},
		{"letter inside", "4403051985O7123410", false, []string{CodeResidentIDCharset}},
		{"X not last", "X40305198507123410", false, []string{CodeResidentIDCharset}},
		{"no 30 February", "440305200102301231", false, []string{CodeResidentIDBirthDate}},
		{"born before 1900", "110105189912310023", false, []string{CodeResidentIDBirthDate}},
		{"national level is no province (warn only)", "100000199001010011", true, []string{CodeResidentIDDivision}},
		{"empty", "", false, []string{CodeResidentIDLength}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ParseResidentID(tc.in)
			assert.Equal(t, tc.valid, r.Valid, "%+v", r.Findings)
			var codes []string
			for _, f := range r.Findings {
				codes = append(codes, f.Code)
			}
			assert.Equal(t, tc.codes, codes)
		})
	}
}

// TestResidentIDFindingsQuoteNothing: findings go into decisions every caller sees, so they
// never carry the number or a part of it.
func TestResidentIDFindingsQuoteNothing(t *testing.T) {
	for _, in := range []string{"440305198507123411", "4403051985O7123410", "440305200102301231", "940305198507123410", "44030519850712341"} {
		r := ParseResidentID(in)
		for _, f := range r.Findings {
			for _, part := range []string{in[:6], in[6:14], in[len(in)-4:]} {
				assert.NotContains(t, f.MessageEn, part, f.Code)
				assert.NotContains(t, f.MessageZh, part, f.Code)
			}
		}
	}
}

func FuzzParseResidentID(f *testing.F) {
	for _, s := range append(identitySeeds, "11010519491231002X", "440305198507123411", "４４０３０５ 19850712 3410", "440305200102301231", "830000199001010012") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseResidentID(s)
		if r.Findings == nil {
			t.Fatal("Findings is nil")
		}
		if r.Valid != (r.Severity != FAIL) || r.Severity != worst(r.Findings) {
			t.Fatalf("Valid = %v, Severity %s, findings %+v", r.Valid, r.Severity, r.Findings)
		}
		if !utf8.ValidString(r.Normalized) {
			t.Fatalf("normalised form is not valid UTF-8: %q", r.Normalized)
		}
		if r.Valid {
			c, ok := ResidentIDCheckChar(r.Normalized)
			if len(r.Normalized) != ResidentIDLength || !ok || c != r.Normalized[17] {
				t.Fatalf("valid number %q fails its own check", r.Normalized)
			}
		}
		for _, fd := range r.Findings {
			if fd.Code == "" || fd.MessageEn == "" || fd.MessageZh == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
		again := ParseResidentID(r.Normalized)
		if again.Normalized != r.Normalized || again.Severity != r.Severity {
			t.Fatalf("not idempotent: %q -> %q (%s) -> %q (%s)", s, r.Normalized, r.Severity, again.Normalized, again.Severity)
		}
	})
}
