package identity

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withVINCheck returns s (17 valid VIN characters) with position 9 set to its computed check digit.
func withVINCheck(tb testing.TB, s string) string {
	tb.Helper()
	require.Len(tb, s, VINLength)
	b := []byte(s)
	b[8] = vinCheckChars[vinCheckIndex(s)]
	return string(b)
}

// findingCodes returns the codes of fs in order.
func findingCodes(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

// requireBilingual checks that every finding carries both messages.
func requireBilingual(tb testing.TB, fs []Finding) {
	tb.Helper()
	for _, f := range fs {
		require.NotEmpty(tb, f.MessageEn, f.Code)
		require.NotEmpty(tb, f.MessageZh, f.Code)
	}
}

func TestParseVINValid(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		check       string
		wmi, vds    string
		vis         string
		china       bool
		modelYears  []int
		modelYearCd string
	}{
		{"hutool worked example", "LSJA24U62JG269225", "2", "LSJ", "A24U62", "JG269225", true, []int{1988, 2018}, "J"},
		{"hutool LDC", "LDC613P23A1305189", "3", "LDC", "613P23", "A1305189", true, []int{1980, 2010}, "A"},
		{"hutool LBV", "LBV5S3102ESJ25655", "2", "LBV", "5S3102", "ESJ25655", true, []int{1984, 2014}, "E"},
		{"wikipedia 5GZ", "5GZCZ43D13S812715", "1", "5GZ", "CZ43D1", "3S812715", false, []int{2003, 2033}, "3"},
		{"check digit X", "1M8GDM9AXKP042788", "X", "1M8", "GDM9AX", "KP042788", false, []int{1989, 2019}, "K"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := ParseVIN(tc.in)
			assert.Equal(t, tc.in, v.Input)
			assert.Equal(t, tc.in, v.Normalized)
			assert.True(t, v.Valid)
			assert.Equal(t, OK, v.Severity)
			assert.NotNil(t, v.Findings)
			assert.Empty(t, v.Findings)
			assert.Nil(t, v.Corrections)
			require.NotNil(t, v.CheckDigit)
			assert.Equal(t, CheckChar{Expected: tc.check, Actual: tc.check}, *v.CheckDigit)
			assert.Equal(t, tc.wmi, v.WMI)
			assert.Equal(t, tc.vds, v.VDS)
			assert.Equal(t, tc.vis, v.VIS)
			assert.False(t, v.SmallMaker)
			assert.Equal(t, tc.china, v.ChinaMarket)
			assert.Equal(t, tc.modelYearCd, v.ModelYearCode)
			assert.Equal(t, tc.modelYears, v.ModelYears)
			assert.Zero(t, v.ModelYear)
		})
	}
}

func TestVINWorkedExampleSum(t *testing.T) {
	// The brief's worked example: sum = 321, 321 mod 11 = 2.
	s := "LSJA24U62JG269225"
	sum := 0
	for i := 0; i < VINLength; i++ {
		sum += int(vinValues[s[i]]) * vinWeights[i]
	}
	assert.Equal(t, 321, sum)
	assert.Equal(t, 2, vinCheckIndex(s))
}

func TestParseVINInvalid(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		severity Severity
		codes    []string
		check    *CheckChar // nil when no check digit is computed
		msgEn    string     // substring of the first finding's English message
		msgZh    string     // substring of the first finding's Chinese message
	}{
		{"wrong check digit China", "LSJA24U62JG269226", FAIL, []string{CodeVINCheckDigit},
			&CheckChar{Expected: "4", Actual: "2"}, "should be '4', got '2'", "应为'4'，实际为'2'"},
		{"wrong check digit China LDC", "LDC613P29A1305189", FAIL, []string{CodeVINCheckDigit},
			&CheckChar{Expected: "3", Actual: "9"}, "should be '3', got '9'", "应为'3'，实际为'9'"},
		{"letter O not corrected", "LSJA24U6OJG269225", FAIL, []string{CodeVINCharset},
			nil, "position 9: 'O'", "第9位'O'"},
		{"letters I and Q", "LSJA24U62JG2692IQ", FAIL, []string{CodeVINCharset},
			nil, "position 16: 'I', position 17: 'Q'", "第16位'I'，第17位'Q'"},
		{"16 characters", "LBV5S3102ESJ2565", FAIL, []string{CodeVINLength},
			nil, "VIN must be 17 characters, got 16", "车辆识别代号应为17位，实际为16位"},
		{"18 characters", "LBV5S3102ESJ256555", FAIL, []string{CodeVINLength},
			nil, "got 18", "实际为18位"},
		{"empty", "", FAIL, []string{CodeVINLength}, nil, "got 0", "实际为0位"},
		{"only separators", " - ", FAIL, []string{CodeVINLength}, nil, "got 0", "实际为0位"},
		{"length and charset", "LSJA24U6OJG26922", FAIL, []string{CodeVINLength, CodeVINCharset},
			nil, "got 16", "实际为16位"},
		{"chinese characters", "京A12345LSJA24U62J", FAIL, []string{CodeVINCharset},
			nil, "position 1: '京'", "第1位'京'"},
		{"EU VIN failing check digit", "WP0ZZZ99ZTS392124", WARN, []string{CodeVINCheckDigit},
			&CheckChar{Expected: "8", Actual: "Z"}, "tolerated because the VIN is not a China-market VIN", "不强制"},
		{"model year code 0", withVINCheck(t, "LSJA24U6X0G269225"), WARN, []string{CodeVINModelYearCode},
			nil, "position 10 '0'", "第10位'0'"},
		{"model year code U", withVINCheck(t, "LSJA24U6XUG269225"), WARN, []string{CodeVINModelYearCode},
			nil, "position 10 'U'", "第10位'U'"},
		{"model year code Z", withVINCheck(t, "LSJA24U6XZG269225"), WARN, []string{CodeVINModelYearCode},
			nil, "position 10 'Z'", "第10位'Z'"},
		{"wrong check digit and bad year code", "LSJA24U62ZG269225", FAIL, []string{CodeVINCheckDigit, CodeVINModelYearCode},
			nil, "should be", "应为"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := ParseVIN(tc.in)
			assert.Equal(t, tc.severity, v.Severity)
			assert.Equal(t, tc.severity != FAIL, v.Valid)
			assert.Equal(t, tc.codes, findingCodes(v.Findings))
			requireBilingual(t, v.Findings)
			require.NotEmpty(t, v.Findings)
			assert.Contains(t, v.Findings[0].MessageEn, tc.msgEn)
			assert.Contains(t, v.Findings[0].MessageZh, tc.msgZh)
			if tc.check != nil {
				require.NotNil(t, v.CheckDigit)
				assert.Equal(t, *tc.check, *v.CheckDigit)
			}
			if v.Findings[0].Code == CodeVINLength || v.Findings[0].Code == CodeVINCharset {
				assert.Nil(t, v.CheckDigit)
				assert.Empty(t, v.WMI)
				assert.Empty(t, v.VDS)
				assert.Empty(t, v.VIS)
				assert.Empty(t, v.ModelYearCode)
				assert.Empty(t, v.ModelYears)
				assert.False(t, v.ChinaMarket)
			}
		})
	}
}

func TestParseVINNoSilentCorrection(t *testing.T) {
	v := ParseVIN("lsja24u6ojg269225")
	assert.Equal(t, "LSJA24U6OJG269225", v.Normalized, "O must stay O")
	assert.Equal(t, []string{correctionLowerCase}, v.Corrections)
	assert.Equal(t, []string{CodeVINCharset}, findingCodes(v.Findings))
	assert.False(t, v.Valid)
}

func TestParseVINCharsetMessageIsCapped(t *testing.T) {
	v := ParseVIN("OOOOOOOOOOOOOOOOO")
	require.Len(t, v.Findings, 1)
	assert.Contains(t, v.Findings[0].MessageEn, "position 5: 'O' and 12 more")
	assert.NotContains(t, v.Findings[0].MessageEn, "position 6")
	assert.Contains(t, v.Findings[0].MessageZh, "等共17处")
}

func TestParseVINNormalization(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		corrections []string
	}{
		{"already clean", "LSJA24U62JG269225", nil},
		{"lower case", "lsja24u62jg269225", []string{correctionLowerCase}},
		{"mixed case", "LSJa24U62jG269225", []string{correctionLowerCase}},
		{"full-width", "ＬＳＪＡ２４Ｕ６２ＪＧ２６９２２５", []string{correctionFullWidth}},
		{"full-width lower case", "ｌｓｊａ２４ｕ６２ｊｇ２６９２２５", []string{correctionFullWidth, correctionLowerCase}},
		{"surrounding white space", "  LSJA24U62JG269225\t\n", []string{correctionSeparators}},
		{"spaces and dashes", "LSJ-A24U6-2-JG 269 225", []string{correctionSeparators}},
		{"tabs and middle dot", "LSJ\tA24U62·JG269225", []string{correctionSeparators}},
		{"ideographic space", "\u3000LSJA24U62JG269225\u3000", []string{correctionFullWidth, correctionSeparators}},
		{"full-width dash", "LSJ－A24U62JG269225", []string{correctionFullWidth, correctionSeparators}},
		{"everything", " ｌsj-A24U62 JG２６９２２５ ", []string{correctionFullWidth, correctionLowerCase, correctionSeparators}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := ParseVIN(tc.in)
			assert.Equal(t, tc.in, v.Input)
			assert.Equal(t, "LSJA24U62JG269225", v.Normalized)
			assert.Equal(t, tc.corrections, v.Corrections)
			assert.Equal(t, OK, v.Severity)
			assert.True(t, v.Valid)
		})
	}
}

func TestParseVINSmallMaker(t *testing.T) {
	in := withVINCheck(t, "LA9A24U6XJGABC225")
	v := ParseVIN(in)
	require.Equal(t, OK, v.Severity, v.Findings)
	assert.True(t, v.SmallMaker)
	assert.Equal(t, "LA9ABC", v.WMI)
	assert.Equal(t, "A24U6"+in[8:9], v.VDS)
	assert.Equal(t, "JGABC225", v.VIS)
}

func TestParseVINJSON(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		b, err := json.Marshal(ParseVIN("LSJA24U62JG269225"))
		require.NoError(t, err)
		assert.JSONEq(t, `{
			"input": "LSJA24U62JG269225", "normalized": "LSJA24U62JG269225", "valid": true, "severity": "OK",
			"findings": [], "wmi": "LSJ", "vds": "A24U62", "vis": "JG269225", "smallMaker": false,
			"chinaMarket": true, "checkDigit": {"expected": "2", "actual": "2"},
			"modelYearCode": "J", "modelYears": [1988, 2018]
		}`, string(b))
	})
	t.Run("length failure", func(t *testing.T) {
		b, err := json.Marshal(ParseVIN("lbv5s3102esj2565"))
		require.NoError(t, err)
		assert.JSONEq(t, `{
			"input": "lbv5s3102esj2565", "normalized": "LBV5S3102ESJ2565", "valid": false, "severity": "FAIL",
			"findings": [{"code": "VIN_LENGTH", "severity": "FAIL",
				"messageEn": "VIN must be 17 characters, got 16.", "messageZh": "车辆识别代号应为17位，实际为16位。"}],
			"corrections": ["lower case converted"], "smallMaker": false, "chinaMarket": false
		}`, string(b))
	})
}

func TestVINCheckModelYear(t *testing.T) {
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		in        string
		reg       time.Time
		modelYear int
		warn      bool
	}{
		{"same year", "LSJA24U62JG269225", date(2018, 6, 1), 2018, false},
		{"one year before model year", "LSJA24U62JG269225", date(2017, 9, 1), 2018, false},
		{"three years after", "LSJA24U62JG269225", date(2021, 12, 31), 2018, false},
		{"four years after", "LSJA24U62JG269225", date(2022, 1, 1), 2018, true},
		{"registered long before 2018", "LSJA24U62JG269225", date(2012, 1, 1), 1988, true},
		{"first cycle", "LSJA24U62JG269225", date(1989, 3, 1), 1988, false},
		{"digit code", "5GZCZ43D13S812715", date(2003, 5, 1), 2003, false},
		{"digit code second cycle", "5GZCZ43D13S812715", date(2032, 5, 1), 2033, false},
		{"no candidate below registration", "LSJA24U62JG269225", date(1985, 1, 1), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := ParseVIN(tc.in)
			require.Equal(t, OK, v.Severity)
			v.CheckModelYear(tc.reg)
			assert.Equal(t, tc.modelYear, v.ModelYear)
			requireBilingual(t, v.Findings)
			if tc.warn {
				assert.Equal(t, []string{CodeVINModelYear}, findingCodes(v.Findings))
				assert.Equal(t, WARN, v.Severity)
				assert.True(t, v.Valid)
			} else {
				assert.Empty(t, v.Findings)
				assert.Equal(t, OK, v.Severity)
			}
		})
	}

	t.Run("repeated calls replace the finding", func(t *testing.T) {
		v := ParseVIN("LSJA24U62JG269225")
		v.CheckModelYear(date(2012, 1, 1))
		v.CheckModelYear(date(2012, 1, 1))
		assert.Equal(t, []string{CodeVINModelYear}, findingCodes(v.Findings))
		v.CheckModelYear(date(2018, 6, 1))
		assert.Empty(t, v.Findings)
		assert.Equal(t, OK, v.Severity)
		assert.Equal(t, 2018, v.ModelYear)
	})
	t.Run("keeps other findings", func(t *testing.T) {
		v := ParseVIN("WP0ZZZ99ZTS392124") // T = 1996/2026
		v.CheckModelYear(date(2020, 1, 1))
		assert.Equal(t, []string{CodeVINCheckDigit, CodeVINModelYear}, findingCodes(v.Findings))
		assert.Equal(t, WARN, v.Severity)
		assert.Equal(t, 1996, v.ModelYear)
	})
	t.Run("no-op on FAIL", func(t *testing.T) {
		v := ParseVIN("LSJA24U62JG269226")
		before := findingCodes(v.Findings)
		v.CheckModelYear(date(2012, 1, 1))
		assert.Equal(t, before, findingCodes(v.Findings))
		assert.Zero(t, v.ModelYear)
	})
	t.Run("no-op without candidates", func(t *testing.T) {
		v := ParseVIN(withVINCheck(t, "LSJA24U6XUG269225"))
		v.CheckModelYear(date(2018, 1, 1))
		assert.Equal(t, []string{CodeVINModelYearCode}, findingCodes(v.Findings))
		assert.Zero(t, v.ModelYear)
	})
	t.Run("no-op on zero time and nil", func(t *testing.T) {
		v := ParseVIN("LSJA24U62JG269225")
		v.CheckModelYear(time.Time{})
		assert.Empty(t, v.Findings)
		assert.Zero(t, v.ModelYear)
		var nilVIN *VIN
		assert.NotPanics(t, func() { nilVIN.CheckModelYear(date(2018, 1, 1)) })
	})
}

// TestVINCheckDigitProperty checks that any 17 valid characters with position 9 set to the
// computed check digit never FAIL and carry a matching check digit.
func TestVINCheckDigitProperty(t *testing.T) {
	const alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
	rng := rand.New(rand.NewPCG(20240301, 16735))
	buf := make([]byte, VINLength)
	for i := 0; i < 20000; i++ {
		for j := range buf {
			buf[j] = alphabet[rng.IntN(len(alphabet))]
		}
		if i%4 == 0 {
			buf[0] = 'L' // make sure China-market VINs are well represented
		}
		buf[8] = vinCheckChars[vinCheckIndex(string(buf))]
		s := string(buf)
		v := ParseVIN(s)
		require.NotEqual(t, FAIL, v.Severity, "%s: %v", s, v.Findings)
		require.True(t, v.Valid, s)
		require.NotNil(t, v.CheckDigit, s)
		require.Equal(t, v.CheckDigit.Expected, v.CheckDigit.Actual, s)
		require.Equal(t, strings.HasPrefix(s, "L"), v.ChinaMarket, s)
	}
}
