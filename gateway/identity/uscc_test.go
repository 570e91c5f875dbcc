package identity

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseUSCCValid(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		check      string
		authority  string
		category   string
		categoryEn string
		division   string
		province   string
		provinceZh string
		orgCode    string
		enterprise bool
	}{
		{"BYD worked example", "91440300192317458F", "F", "9", "1", "enterprise", "440300", "44", "广东", "192317458", true},
		{"ICBC national level", "91100000100003962T", "T", "9", "1", "enterprise", "100000", "10", "中央（国家级）", "100003962", true},
		{"AVIC Heavy Machinery", "91520000214434146R", "R", "9", "1", "enterprise", "520000", "52", "贵州", "214434146", true},
		{"Huawei numeric check", "914403001922038216", "6", "9", "1", "enterprise", "440300", "44", "广东", "192203821", true},
		{"Tencent X in org code", "9144030071526726XG", "G", "9", "1", "enterprise", "440300", "44", "广东", "71526726X", true},
		{"GB 32100 example", "91350100M000100Y43", "3", "9", "1", "enterprise", "350100", "35", "福建", "M000100Y4", true},
		{"SPDB embedded org-code check not verified", "91310000631295002H", "H", "9", "1", "enterprise", "310000", "31", "上海", "631295002", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := ParseUSCC(tc.in)
			assert.Equal(t, tc.in, u.Input)
			assert.Equal(t, tc.in, u.Normalized)
			assert.True(t, u.Valid)
			assert.Equal(t, OK, u.Severity, u.Findings)
			assert.NotNil(t, u.Findings)
			assert.Empty(t, u.Findings)
			assert.Nil(t, u.Corrections)
			require.NotNil(t, u.CheckChar)
			assert.Equal(t, CheckChar{Expected: tc.check, Actual: tc.check}, *u.CheckChar)
			require.NotNil(t, u.RegistrationAuthority)
			assert.Equal(t, tc.authority, u.RegistrationAuthority.Code)
			assert.Equal(t, "市场监督管理（工商）", u.RegistrationAuthority.NameZh)
			require.NotNil(t, u.Category)
			assert.Equal(t, tc.category, u.Category.Code)
			assert.Equal(t, tc.categoryEn, u.Category.NameEn)
			assert.Equal(t, tc.division, u.DivisionCode)
			require.NotNil(t, u.Province)
			assert.Equal(t, tc.province, u.Province.Code)
			assert.Equal(t, tc.provinceZh, u.Province.NameZh)
			assert.Equal(t, tc.orgCode, u.OrganizationCode)
			assert.Equal(t, tc.enterprise, u.Enterprise)
		})
	}
}

func TestUSCCWorkedExampleSum(t *testing.T) {
	// The brief's worked example: sum = 1194, 1194 mod 31 = 16, 31 - 16 = 15 -> 'F'.
	s := "91440300192317458F"
	sum := 0
	for i := 0; i < USCCLength-1; i++ {
		sum += int(usccValues[s[i]]) * usccWeights[i]
	}
	assert.Equal(t, 1194, sum)
	assert.Equal(t, 15, usccCheckIndex(s))
	assert.Equal(t, byte('F'), usccCharset[usccCheckIndex(s)])
}

func TestUSCCWeights(t *testing.T) {
	w := 1
	for i := range usccWeights {
		assert.Equal(t, w, usccWeights[i], "weight %d", i+1)
		w = w * 3 % 31
	}
}

func TestParseUSCCInvalid(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		severity Severity
		codes    []string
		check    *CheckChar // nil when not asserted
		msgEn    string     // substring of the first finding's English message
		msgZh    string     // substring of the first finding's Chinese message
	}{
		{"wrong check letter", "91440300192317458G", WARN, []string{CodeUSCCCheckChar},
			&CheckChar{Expected: "F", Actual: "G"}, "should be 'F', got 'G'", "应为'F'，实际为'G'"},
		{"wrong check digit", "914403001922038217", WARN, []string{CodeUSCCCheckChar},
			&CheckChar{Expected: "6", Actual: "7"}, "should be '6', got '7'", "应为'6'，实际为'7'"},
		{"mock dataset code 1", "91110000800088421P", WARN, []string{CodeUSCCCheckChar}, nil, "should be", "应为"},
		{"mock dataset code 2", "91110108717809965C", WARN, []string{CodeUSCCCheckChar}, nil, "should be", "应为"},
		{"letter O", "9144030019231745OF", FAIL, []string{CodeUSCCCharset},
			nil, "position 17: 'O'", "第17位'O'"},
		{"letters I S V Z", "9I4S0300192317V5ZF", FAIL, []string{CodeUSCCCharset},
			nil, "position 2: 'I', position 4: 'S', position 15: 'V', position 17: 'Z'", "第2位'I'，第4位'S'"},
		{"17 characters", "91440300192317458", FAIL, []string{CodeUSCCLength},
			nil, "must be 18 characters, got 17", "统一社会信用代码应为18位，实际为17位"},
		{"empty", "", FAIL, []string{CodeUSCCLength}, nil, "got 0", "实际为0位"},
		{"letters in division", "9144A300192317458F", FAIL, []string{CodeUSCCDivision, CodeUSCCCheckChar},
			nil, "got '44A300'", "实际为'44A300'"},
		{"unknown authority", "B1440300192317458F", WARN, []string{CodeUSCCRegistrationAuthority, CodeUSCCCheckChar},
			nil, "position 1 'B'", "第1位'B'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := ParseUSCC(tc.in)
			assert.Equal(t, tc.severity, u.Severity)
			assert.Equal(t, tc.severity != FAIL, u.Valid)
			assert.Equal(t, tc.codes, findingCodes(u.Findings))
			requireBilingual(t, u.Findings)
			require.NotEmpty(t, u.Findings)
			assert.Contains(t, u.Findings[0].MessageEn, tc.msgEn)
			assert.Contains(t, u.Findings[0].MessageZh, tc.msgZh)
			if tc.check != nil {
				require.NotNil(t, u.CheckChar)
				assert.Equal(t, *tc.check, *u.CheckChar)
			}
			if c := u.Findings[0].Code; c == CodeUSCCLength || c == CodeUSCCCharset {
				assert.Nil(t, u.CheckChar)
				assert.Nil(t, u.RegistrationAuthority)
				assert.Nil(t, u.Category)
				assert.Nil(t, u.Province)
				assert.Empty(t, u.DivisionCode)
				assert.Empty(t, u.OrganizationCode)
				assert.False(t, u.Enterprise)
			}
		})
	}
}

func TestParseUSCCNoSilentCorrection(t *testing.T) {
	u := ParseUSCC("9144030019231745of")
	assert.Equal(t, "9144030019231745OF", u.Normalized, "O must stay O")
	assert.Equal(t, []string{correctionLowerCase}, u.Corrections)
	assert.Equal(t, []string{CodeUSCCCharset}, findingCodes(u.Findings))
}

func TestParseUSCCNormalization(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		corrections []string
	}{
		{"already clean", "91440300192317458F", nil},
		{"lower case", "91440300192317458f", []string{correctionLowerCase}},
		{"full-width", "９１４４０３００１９２３１７４５８Ｆ", []string{correctionFullWidth}},
		{"full-width lower case", "９１４４０３００１９２３１７４５８ｆ", []string{correctionFullWidth, correctionLowerCase}},
		{"surrounding white space", " \t91440300192317458F\r\n", []string{correctionSeparators}},
		{"spaces and dashes", "9144 0300-1923 1745-8F", []string{correctionSeparators}},
		{"ideographic space", "91440300\u3000192317458F", []string{correctionFullWidth, correctionSeparators}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := ParseUSCC(tc.in)
			assert.Equal(t, "91440300192317458F", u.Normalized)
			assert.Equal(t, tc.corrections, u.Corrections)
			assert.Equal(t, OK, u.Severity)
		})
	}
}

func TestParseUSCCCodeTables(t *testing.T) {
	// withUSCCCheck sets position 18 of an 18-character code to its computed check character.
	withUSCCCheck := func(s string) string {
		return s[:17] + usccCharset[usccCheckIndex(s):usccCheckIndex(s)+1]
	}
	tests := []struct {
		name       string
		in         string
		authority  Code
		category   Code
		province   *Code
		enterprise bool
	}{
		{"individual business", withUSCCCheck("92440300MA5FXXXX10"),
			Code{"9", "market regulation (industry and commerce)", "市场监督管理（工商）"},
			Code{"2", "individual industrial and commercial household", "个体工商户"},
			&Code{"44", "Guangdong", "广东"}, false},
		{"farmers' cooperative", withUSCCCheck("93110000MA00000000"),
			Code{"9", "market regulation (industry and commerce)", "市场监督管理（工商）"},
			Code{"3", "farmers' specialised cooperative", "农民专业合作社"},
			&Code{"11", "Beijing", "北京"}, false},
		{"government organ", withUSCCCheck("11650000000000000X"),
			Code{"1", "institutional establishment (organisation staffing)", "机构编制"},
			Code{"1", "government organ", "机关"},
			&Code{"65", "Xinjiang", "新疆"}, false},
		{"foundation", withUSCCCheck("53810000000000000X"),
			Code{"5", "civil affairs", "民政"},
			Code{"3", "foundation", "基金会"},
			&Code{"81", "Hong Kong", "香港"}, false},
		{"other authority", withUSCCCheck("Y1820000000000000X"),
			Code{"Y", "other", "其他"},
			Code{"1", "other", "其他"},
			&Code{"82", "Macao", "澳门"}, false},
		{"unknown category", withUSCCCheck("9Y440300192317458X"),
			Code{"9", "market regulation (industry and commerce)", "市场监督管理（工商）"},
			Code{"Y", "unknown", "未知"},
			&Code{"44", "Guangdong", "广东"}, false},
		{"unknown province", withUSCCCheck("91990000192317458X"),
			Code{"9", "market regulation (industry and commerce)", "市场监督管理（工商）"},
			Code{"1", "enterprise", "企业"},
			&Code{"99", "unknown", "未知"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := ParseUSCC(tc.in)
			require.Equal(t, OK, u.Severity, u.Findings)
			require.NotNil(t, u.RegistrationAuthority)
			require.NotNil(t, u.Category)
			assert.Equal(t, tc.authority, *u.RegistrationAuthority)
			assert.Equal(t, tc.category, *u.Category)
			assert.Equal(t, tc.province, u.Province)
			assert.Equal(t, tc.enterprise, u.Enterprise)
		})
	}
}

func TestParseUSCCDivisionFailureKeepsParts(t *testing.T) {
	u := ParseUSCC("9144A300192317458F")
	assert.False(t, u.Valid)
	assert.Equal(t, "44A300", u.DivisionCode)
	assert.Nil(t, u.Province)
	assert.NotNil(t, u.CheckChar)
	assert.Equal(t, "192317458", u.OrganizationCode)
}

func TestParseUSCCJSON(t *testing.T) {
	b, err := json.Marshal(ParseUSCC("91440300192317458F"))
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"input": "91440300192317458F", "normalized": "91440300192317458F", "valid": true, "severity": "OK",
		"findings": [],
		"registrationAuthority": {"code": "9", "nameEn": "market regulation (industry and commerce)", "nameZh": "市场监督管理（工商）"},
		"category": {"code": "1", "nameEn": "enterprise", "nameZh": "企业"},
		"divisionCode": "440300",
		"province": {"code": "44", "nameEn": "Guangdong", "nameZh": "广东"},
		"organizationCode": "192317458",
		"checkChar": {"expected": "F", "actual": "F"},
		"enterprise": true
	}`, string(b))
}

// TestParseUSCCResultsAreIndependent makes sure that results do not share mutable state with the
// code tables or with each other.
func TestParseUSCCResultsAreIndependent(t *testing.T) {
	a := ParseUSCC("91440300192317458F")
	a.RegistrationAuthority.NameEn = "changed"
	a.Category.NameEn = "changed"
	a.Province.NameEn = "changed"
	b := ParseUSCC("91440300192317458F")
	assert.Equal(t, "market regulation (industry and commerce)", b.RegistrationAuthority.NameEn)
	assert.Equal(t, "enterprise", b.Category.NameEn)
	assert.Equal(t, "Guangdong", b.Province.NameEn)
}

func TestNormalizeInvalidUTF8(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Found by FuzzParseUSCC: with invalid bytes kept verbatim, removing the space joined
		// "\xef\xbc" and "\x96" into a full-width '６', so a second pass changed the result.
		{"fragments joined across a removed space", "ＳＪＡ＼Z\xef\xbc \x9600000000000", "SJA\\Z\uFFFD\uFFFD\uFFFD00000000000"},
		{"lone bytes", "\xff9144\xfe", "\uFFFD9144\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, flags := normalize(tc.in)
			assert.Equal(t, tc.want, got)
			assert.NotZero(t, flags&fixInvalidUTF8)
			again, flags2 := normalize(got)
			assert.Equal(t, got, again)
			assert.Zero(t, flags2)
		})
	}
	u := ParseUSCC("914403001923174\xff8F")
	assert.Equal(t, []string{CodeUSCCCharset}, findingCodes(u.Findings))
	assert.Contains(t, u.Findings[0].MessageEn, "position 16: U+FFFD (invalid UTF-8)")
	assert.Contains(t, u.Corrections, correctionInvalid)
}
