package identity

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// ResidentIDLength is the length of a citizen identification number (GB 11643-1999).
const ResidentIDLength = 18

// Resident ID finding codes. They are stable: rule sets match on them.
const (
	// CodeResidentIDLength is reported (FAIL) when a normalised number is not 18 characters.
	CodeResidentIDLength = "RESIDENT_ID_LENGTH"
	// CodeResidentIDCharset is reported (FAIL) when positions 1-17 are not all digits or
	// position 18 is neither a digit nor X.
	CodeResidentIDCharset = "RESIDENT_ID_CHARSET"
	// CodeResidentIDBirthDate is reported (FAIL) when positions 7-14 are not a calendar date
	// between 1900-01-01 and 2099-12-31.
	CodeResidentIDBirthDate = "RESIDENT_ID_BIRTH_DATE"
	// CodeResidentIDDivision is reported (WARN) when positions 1-2 name no province-level
	// division (GB/T 2260).
	CodeResidentIDDivision = "RESIDENT_ID_DIVISION"
	// CodeResidentIDCheckDigit is reported (FAIL) when position 18 differs from the check
	// character computed from positions 1-17 (ISO 7064 MOD 11-2).
	CodeResidentIDCheckDigit = "RESIDENT_ID_CHECK_DIGIT"
)

// ResidentID is the result of checking a citizen identification number (公民身份号码,
// GB 11643-1999): 6 digits of the registering division, 8 of the birth date, 3 of a sequence
// (odd for men, even for women) and a check character (0-9 or X).
//
// The number is personal data. Findings never quote it or any part of it, so that they can be
// shown to any caller and stored with a decision; and ResidentID has no JSON form on purpose.
type ResidentID struct {
	// Normalized is the input after normalisation (full-width to ASCII, upper case, spaces and
	// dashes removed).
	Normalized string
	// Valid is false only when Severity is FAIL.
	Valid bool
	// Severity is the worst severity among Findings, OK when there are none.
	Severity Severity
	// Findings lists every problem found; never nil.
	Findings []Finding
}

// residentIDWeights are the weights of positions 1-17: 2^(18-i) mod 11.
var residentIDWeights = [ResidentIDLength - 1]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentIDCheckChars maps Σ digit×weight mod 11 to the check character.
const residentIDCheckChars = "10X98765432"

// ResidentIDCheckChar returns the check character of the first 17 digits of s; ok is false
// when s does not start with 17 ASCII digits.
func ResidentIDCheckChar(s string) (c byte, ok bool) {
	if len(s) < ResidentIDLength-1 || !isDigits(s[:ResidentIDLength-1]) {
		return 0, false
	}
	sum := 0
	for i := 0; i < ResidentIDLength-1; i++ {
		sum += int(s[i]-'0') * residentIDWeights[i]
	}
	return residentIDCheckChars[sum%11], true
}

// ParseResidentID normalises and checks a citizen identification number. It never panics and
// always returns a result; problems are reported in Findings (RESIDENT_ID_LENGTH,
// RESIDENT_ID_CHARSET, RESIDENT_ID_BIRTH_DATE, RESIDENT_ID_DIVISION, RESIDENT_ID_CHECK_DIGIT).
// The 15-digit numbers of the first generation (replaced by 2013) are refused for length.
func ParseResidentID(s string) ResidentID {
	norm, _ := normalize(s)
	r := ResidentID{Normalized: norm, Findings: []Finding{}}
	if n := utf8.RuneCountInString(norm); n != ResidentIDLength {
		r.Findings = append(r.Findings, Finding{
			Code:      CodeResidentIDLength,
			Severity:  FAIL,
			MessageEn: "Resident ID number must be 18 characters, got " + strconv.Itoa(n) + ".",
			MessageZh: "公民身份号码应为18位，实际为" + strconv.Itoa(n) + "位。",
		})
	} else if !isDigits(norm[:ResidentIDLength-1]) || !(isDigits(norm[ResidentIDLength-1:]) || norm[ResidentIDLength-1] == 'X') {
		// Positions only: the characters themselves are personal data.
		r.Findings = append(r.Findings, Finding{
			Code:      CodeResidentIDCharset,
			Severity:  FAIL,
			MessageEn: "Resident ID number must be 17 digits followed by a digit or X.",
			MessageZh: "公民身份号码应为17位数字加1位数字或X。",
		})
	}
	if len(r.Findings) > 0 {
		r.Severity = FAIL
		return r
	}
	if _, err := time.Parse("20060102", norm[6:14]); err != nil || norm[6:8] < "19" || norm[6:8] > "20" {
		r.Findings = append(r.Findings, Finding{
			Code:      CodeResidentIDBirthDate,
			Severity:  FAIL,
			MessageEn: "Resident ID number positions 7-14 are not a valid birth date (YYYYMMDD).",
			MessageZh: "公民身份号码第7至14位不是有效的出生日期（YYYYMMDD）。",
		})
	}
	if !residentProvince(int(norm[0]-'0')*10 + int(norm[1]-'0')) {
		r.Findings = append(r.Findings, Finding{
			Code:      CodeResidentIDDivision,
			Severity:  WARN,
			MessageEn: "Resident ID number positions 1-2 are not a province-level division code.",
			MessageZh: "公民身份号码第1至2位不是省级行政区划代码。",
		})
	}
	if c, _ := ResidentIDCheckChar(norm); c != norm[ResidentIDLength-1] {
		r.Findings = append(r.Findings, Finding{
			Code:      CodeResidentIDCheckDigit,
			Severity:  FAIL,
			MessageEn: "Resident ID number check character (position 18) does not match positions 1-17.",
			MessageZh: "公民身份号码校验码（第18位）与前17位不符。",
		})
	}
	r.Severity = worst(r.Findings)
	r.Valid = r.Severity != FAIL
	return r
}

// residentProvince reports whether a resident ID's first two digits name a province-level
// division: those of the USCC table but the national level (10), and 83, which residence
// permits of Taiwan residents use.
func residentProvince(code int) bool {
	return code == 83 || code != 10 && provinces[code].en != ""
}
