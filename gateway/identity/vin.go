package identity

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// VINLength is the length of a vehicle identification number.
const VINLength = 17

// VIN is the result of parsing a vehicle identification number (GB 16735 / ISO 3779).
type VIN struct {
	// Input is the string as given.
	Input string `json:"input"`
	// Normalized is Input after normalisation (full-width to ASCII, upper case, separators removed).
	Normalized string `json:"normalized"`
	// Valid is false only when Severity is FAIL.
	Valid bool `json:"valid"`
	// Severity is the worst severity among Findings, OK when there are none.
	Severity Severity `json:"severity"`
	// Findings lists every problem found; it is never nil so that JSON shows [].
	Findings []Finding `json:"findings"`
	// Corrections describes, once per kind, what normalisation changed.
	Corrections []string `json:"corrections,omitempty"`
	// WMI is the world manufacturer identifier: positions 1-3, or positions 1-3 followed by
	// 12-14 for small manufacturers (SmallMaker).
	WMI string `json:"wmi,omitempty"`
	// VDS is the vehicle descriptor section, positions 4-9 (position 9 is the check digit).
	VDS string `json:"vds,omitempty"`
	// VIS is the vehicle indicator section, positions 10-17.
	VIS string `json:"vis,omitempty"`
	// SmallMaker is true when position 3 is '9': a manufacturer building fewer than 1,000 vehicles
	// a year, whose WMI continues in positions 12-14.
	SmallMaker bool `json:"smallMaker"`
	// ChinaMarket is true when the WMI starts with 'L' (vehicles made in China), for which
	// GB 16735 makes the check digit mandatory.
	ChinaMarket bool `json:"chinaMarket"`
	// CheckDigit holds the computed and the actual check digit (position 9); nil when the VIN
	// failed the length or charset check.
	CheckDigit *CheckChar `json:"checkDigit,omitempty"`
	// ModelYearCode is position 10.
	ModelYearCode string `json:"modelYearCode,omitempty"`
	// ModelYears lists, in ascending order, the years in 1980-2039 that ModelYearCode stands for
	// in the 30-year cycle; empty when position 10 is not a model-year code.
	ModelYears []int `json:"modelYears,omitempty"`
	// ModelYear is the model year chosen by CheckModelYear; zero until then.
	ModelYear int `json:"modelYear,omitempty"`
}

// vinValues maps a VIN character to its transliterated value, -1 for characters not allowed.
var vinValues = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for i, c := range "ABCDEFGH" {
		t[c] = int8(i + 1)
	}
	for i, c := range "JKLMN" {
		t[c] = int8(i + 1)
	}
	t['P'] = 7
	t['R'] = 9
	for i, c := range "STUVWXYZ" {
		t[c] = int8(i + 2)
	}
	return t
}()

// vinWeights are the check-digit weights of positions 1-17.
var vinWeights = [VINLength]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinCheckChars maps the remainder mod 11 to the check character.
const vinCheckChars = "0123456789X"

// modelYearCodes lists the position-10 codes of one 30-year cycle starting in 1980 (and 2010).
const modelYearCodes = "ABCDEFGHJKLMNPRSTVWXY123456789"

// First years of the two 30-year cycles inside 1980-2039.
const (
	modelYearCycle1 = 1980
	modelYearCycle2 = 2010
)

func isVINChar(c byte) bool { return vinValues[c] >= 0 }

// vinCheckIndex computes the check value (0-10, 10 standing for 'X') of a 17-character VIN made
// of valid characters; its check character is vinCheckChars[vinCheckIndex(s)]. Position 9 does
// not contribute (its weight is 0).
func vinCheckIndex(s string) int {
	sum := 0
	for i := 0; i < VINLength; i++ {
		sum += int(vinValues[s[i]]) * vinWeights[i]
	}
	return sum % 11
}

// vinAlloc groups the parts of a parse result that must live on the heap, so that a clean VIN
// costs a single allocation for them.
type vinAlloc struct {
	check CheckChar
	years [2]int
}

// ParseVIN normalises and checks a vehicle identification number and decodes its parts.
// It never panics and always returns a result; problems are reported in Findings
// (VIN_LENGTH, VIN_CHARSET, VIN_CHECK_DIGIT, VIN_MODEL_YEAR_CODE). The decoded parts are left
// empty when the length or the charset check fails.
func ParseVIN(s string) VIN {
	norm, flags := normalize(s)
	v := VIN{
		Input:       s,
		Normalized:  norm,
		Findings:    []Finding{},
		Corrections: corrections(flags),
	}

	if n := utf8.RuneCountInString(norm); n != VINLength {
		v.Findings = append(v.Findings, Finding{
			Code:      CodeVINLength,
			Severity:  FAIL,
			MessageEn: "VIN must be 17 characters, got " + strconv.Itoa(n) + ".",
			MessageZh: "车辆识别代号应为17位，实际为" + strconv.Itoa(n) + "位。",
		})
	}
	if en, zh := badChars(norm, isVINChar); en != "" {
		v.Findings = append(v.Findings, Finding{
			Code:     CodeVINCharset,
			Severity: FAIL,
			MessageEn: "VIN contains characters that are not allowed (only 0-9 and A-Z except I, O and Q): " +
				en + ".",
			MessageZh: "车辆识别代号含有不允许的字符（只允许0-9和除I、O、Q以外的A-Z）：" + zh + "。",
		})
	}
	if len(v.Findings) > 0 {
		v.Severity = worst(v.Findings)
		v.Valid = v.Severity != FAIL
		return v
	}

	v.ChinaMarket = norm[0] == 'L'
	v.SmallMaker = norm[2] == '9'
	if v.SmallMaker {
		v.WMI = norm[0:3] + norm[11:14]
	} else {
		v.WMI = norm[0:3]
	}
	v.VDS = norm[3:9]
	v.VIS = norm[9:17]

	a := new(vinAlloc)
	ci := vinCheckIndex(norm)
	expected := vinCheckChars[ci]
	a.check = CheckChar{Expected: vinCheckChars[ci : ci+1], Actual: norm[8:9]}
	v.CheckDigit = &a.check
	if expected != norm[8] {
		f := Finding{Code: CodeVINCheckDigit}
		if v.ChinaMarket {
			f.Severity = FAIL
			f.MessageEn = fmt.Sprintf("VIN check digit (position 9) should be '%c', got '%c'; "+
				"GB 16735 makes the check digit mandatory for China-market VINs.", expected, norm[8])
			f.MessageZh = fmt.Sprintf("车辆识别代号校验位（第9位）应为'%c'，实际为'%c'；"+
				"GB 16735要求国内车辆识别代号校验位必须正确。", expected, norm[8])
		} else {
			f.Severity = WARN
			f.MessageEn = fmt.Sprintf("VIN check digit (position 9) should be '%c', got '%c'; "+
				"tolerated because the VIN is not a China-market VIN (WMI not starting with 'L').", expected, norm[8])
			f.MessageZh = fmt.Sprintf("车辆识别代号校验位（第9位）应为'%c'，实际为'%c'；"+
				"非国内车辆识别代号（WMI不以L开头）校验位不强制，仅作提示。", expected, norm[8])
		}
		v.Findings = append(v.Findings, f)
	}

	v.ModelYearCode = norm[9:10]
	if i := strings.IndexByte(modelYearCodes, norm[9]); i >= 0 {
		a.years = [2]int{modelYearCycle1 + i, modelYearCycle2 + i}
		v.ModelYears = a.years[:2:2]
	} else {
		v.Findings = append(v.Findings, Finding{
			Code:      CodeVINModelYearCode,
			Severity:  WARN,
			MessageEn: "VIN position 10 '" + v.ModelYearCode + "' is not a valid model-year code.",
			MessageZh: "车辆识别代号第10位'" + v.ModelYearCode + "'不是有效的车型年份代码。",
		})
	}

	v.Severity = worst(v.Findings)
	v.Valid = v.Severity != FAIL
	return v
}

// CheckModelYear resolves the model year against a registration date and appends a WARN finding
// VIN_MODEL_YEAR when no candidate year y satisfies y <= registrationYear+1 and
// y >= registrationYear-3.
//
// ASSUMPTION: a car registers no earlier than one year before its model year and normally within
// 3 years after. ModelYear becomes the largest candidate <= registrationYear+1 (zero if there is
// none). It is a no-op on a FAIL VIN, on a VIN without candidate years and for a zero
// registration time. Calling it again replaces the result of the previous call.
func (v *VIN) CheckModelYear(registration time.Time) {
	if v == nil || v.Severity == FAIL || len(v.ModelYears) == 0 || registration.IsZero() {
		return
	}
	// Drop the finding of an earlier call so that repeated calls do not pile up.
	kept := v.Findings[:0]
	for _, f := range v.Findings {
		if f.Code != CodeVINModelYear {
			kept = append(kept, f)
		}
	}
	v.Findings = kept

	ry := registration.Year()
	v.ModelYear = 0
	for _, y := range v.ModelYears {
		if y <= ry+1 {
			v.ModelYear = y
		}
	}
	if v.ModelYear == 0 || v.ModelYear < ry-3 {
		years := make([]string, len(v.ModelYears))
		for i, y := range v.ModelYears {
			years[i] = strconv.Itoa(y)
		}
		v.Findings = append(v.Findings, Finding{
			Code:     CodeVINModelYear,
			Severity: WARN,
			MessageEn: fmt.Sprintf("VIN model-year code '%s' (model year %s) does not fit registration year %d; "+
				"expected a model year from %d to %d.", v.ModelYearCode, strings.Join(years, " or "), ry, ry-3, ry+1),
			MessageZh: fmt.Sprintf("车辆识别代号车型年份代码'%s'（车型年份%s）与注册年份%d不符，"+
				"车型年份应在%d至%d之间。", v.ModelYearCode, strings.Join(years, "或"), ry, ry-3, ry+1),
		})
	}
	v.Severity = worst(v.Findings)
	v.Valid = v.Severity != FAIL
}
