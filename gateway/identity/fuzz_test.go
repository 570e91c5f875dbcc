package identity

import (
	"testing"
	"unicode/utf8"
)

// identitySeeds are inputs of both kinds, so that each fuzzer also sees the other's shapes.
var identitySeeds = []string{
	"LSJA24U62JG269225", "LDC613P23A1305189", "LBV5S3102ESJ25655", "5GZCZ43D13S812715",
	"1M8GDM9AXKP042788", "LSJA24U62JG269226", "LDC613P29A1305189", "LSJA24U6OJG269225",
	"LBV5S3102ESJ2565", "WP0ZZZ99ZTS392124", "ＬＳＪＡ２４Ｕ６２ＪＧ２６９２２５", "lsja24u62jg269225",
	" LSJ-A24U62 JG·269225\u3000", "LA9A24U6XJGABC225",
	"91440300192317458F", "91100000100003962T", "91520000214434146R", "914403001922038216",
	"9144030071526726XG", "91350100M000100Y43", "91310000631295002H", "91440300192317458G",
	"914403001922038217", "9144030019231745OF", "91440300192317458", "９１４４０３００１９２３１７４５８ｆ",
	"9144A300192317458F", "B1440300192317458F", "", "\xff\xfe", "京A12345",
}

func FuzzParseVIN(f *testing.F) {
	for _, s := range identitySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := ParseVIN(s)
		if v.Input != s {
			t.Fatalf("Input = %q, want %q", v.Input, s)
		}
		if v.Findings == nil {
			t.Fatal("Findings is nil")
		}
		if v.Valid != (v.Severity != FAIL) {
			t.Fatalf("Valid = %v with Severity %s", v.Valid, v.Severity)
		}
		if v.Severity != worst(v.Findings) {
			t.Fatalf("Severity = %s, worst finding %s", v.Severity, worst(v.Findings))
		}
		for _, fd := range v.Findings {
			if fd.Code == "" || fd.MessageEn == "" || fd.MessageZh == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
		if v.Valid {
			if len(v.Normalized) != VINLength {
				t.Fatalf("valid VIN %q has length %d", v.Normalized, len(v.Normalized))
			}
			for i := 0; i < len(v.Normalized); i++ {
				if !isVINChar(v.Normalized[i]) {
					t.Fatalf("valid VIN %q has bad character at %d", v.Normalized, i+1)
				}
			}
			if v.CheckDigit == nil || len(v.WMI) < 3 || v.VDS == "" || v.VIS == "" || v.ModelYearCode == "" {
				t.Fatalf("valid VIN %q lacks decoded parts: %+v", v.Normalized, v)
			}
		}
		again := ParseVIN(v.Normalized)
		if again.Normalized != v.Normalized {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, v.Normalized, again.Normalized)
		}
		if again.Corrections != nil {
			t.Fatalf("normalised %q still needs corrections %v", v.Normalized, again.Corrections)
		}
		if again.Severity != v.Severity {
			t.Fatalf("severity changed on re-parse: %s -> %s", v.Severity, again.Severity)
		}
		if !utf8.ValidString(v.Normalized) {
			t.Fatalf("normalised form is not valid UTF-8: %q -> %q", s, v.Normalized)
		}
	})
}

func FuzzParseUSCC(f *testing.F) {
	for _, s := range identitySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := ParseUSCC(s)
		if u.Input != s {
			t.Fatalf("Input = %q, want %q", u.Input, s)
		}
		if u.Findings == nil {
			t.Fatal("Findings is nil")
		}
		if u.Valid != (u.Severity != FAIL) {
			t.Fatalf("Valid = %v with Severity %s", u.Valid, u.Severity)
		}
		if u.Severity != worst(u.Findings) {
			t.Fatalf("Severity = %s, worst finding %s", u.Severity, worst(u.Findings))
		}
		for _, fd := range u.Findings {
			if fd.Code == "" || fd.MessageEn == "" || fd.MessageZh == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
		if u.Valid {
			if len(u.Normalized) != USCCLength {
				t.Fatalf("valid USCC %q has length %d", u.Normalized, len(u.Normalized))
			}
			for i := 0; i < len(u.Normalized); i++ {
				if !isUSCCChar(u.Normalized[i]) {
					t.Fatalf("valid USCC %q has bad character at %d", u.Normalized, i+1)
				}
			}
			if !isDigits(u.DivisionCode) || u.Province == nil || u.CheckChar == nil ||
				u.RegistrationAuthority == nil || u.Category == nil || len(u.OrganizationCode) != 9 {
				t.Fatalf("valid USCC %q lacks decoded parts: %+v", u.Normalized, u)
			}
		}
		again := ParseUSCC(u.Normalized)
		if again.Normalized != u.Normalized {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, u.Normalized, again.Normalized)
		}
		if again.Corrections != nil {
			t.Fatalf("normalised %q still needs corrections %v", u.Normalized, again.Corrections)
		}
		if again.Severity != u.Severity {
			t.Fatalf("severity changed on re-parse: %s -> %s", u.Severity, again.Severity)
		}
		if !utf8.ValidString(u.Normalized) {
			t.Fatalf("normalised form is not valid UTF-8: %q -> %q", s, u.Normalized)
		}
	})
}
