package identity

import (
	"strconv"
	"unicode/utf8"
)

// USCCLength is the length of a unified social credit code.
const USCCLength = 18

// USCC is the result of parsing a unified social credit code (统一社会信用代码, GB 32100-2015).
type USCC struct {
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
	// RegistrationAuthority decodes position 1, e.g. 9 = market regulation (市场监督管理（工商）).
	RegistrationAuthority *Code `json:"registrationAuthority,omitempty"`
	// Category decodes position 2, whose meaning depends on position 1 (9+1 = enterprise 企业).
	Category *Code `json:"category,omitempty"`
	// DivisionCode is the administrative-division code of positions 3-8 (GB/T 2260).
	DivisionCode string `json:"divisionCode,omitempty"`
	// Province decodes the first two digits of DivisionCode; "10" stands for a national-level
	// (central) registration. It is nil when DivisionCode is not six digits.
	Province *Code `json:"province,omitempty"`
	// OrganizationCode is the GB 11714 organisation code of positions 9-17. Its own embedded
	// check digit is deliberately not verified.
	OrganizationCode string `json:"organizationCode,omitempty"`
	// CheckChar holds the computed and the actual check character (position 18); nil when the
	// code failed the length or charset check.
	CheckChar *CheckChar `json:"checkChar,omitempty"`
	// Enterprise is true when the code starts with "91" (market-regulation authority, enterprise).
	Enterprise bool `json:"enterprise"`
}

// usccCharset lists the 31 USCC characters; a character's index is its value.
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccValues maps a USCC character to its value, -1 for characters not allowed.
var usccValues = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(usccCharset); i++ {
		t[usccCharset[i]] = int8(i)
	}
	return t
}()

// usccWeights are the check weights of positions 1-17 (3^(i-1) mod 31).
var usccWeights = [USCCLength - 1]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

func isUSCCChar(c byte) bool { return usccValues[c] >= 0 }

// usccCheckIndex computes the value of the check character of an 18-character code made of
// valid characters: (31 - Σ value×weight mod 31) mod 31.
func usccCheckIndex(s string) int {
	sum := 0
	for i := 0; i < USCCLength-1; i++ {
		sum += int(usccValues[s[i]]) * usccWeights[i]
	}
	return (31 - sum%31) % 31
}

// name is an English and Chinese name pair in a code table.
type name struct{ en, zh string }

// authority is a registration authority (position 1) with its organisation categories (position 2).
type authority struct {
	name
	categories map[byte]name
}

// registrationAuthorities is the GB 32100-2015 Annex A table of registration-authority codes and
// the organisation-category codes under each.
var registrationAuthorities = map[byte]authority{
	'1': {name{"institutional establishment (organisation staffing)", "机构编制"}, map[byte]name{
		'1': {"government organ", "机关"},
		'2': {"public institution", "事业单位"},
		'3': {"mass organisation whose staffing is managed directly by the Central Organisation Staffing Office", "中央编办直接管理机构编制的群众团体"},
		'9': {"other", "其他"},
	}},
	'2': {name{"foreign affairs", "外交"}, map[byte]name{ // [MEMORY] categories
		'1': {"resident office of a foreign news agency", "外国常驻新闻机构"},
		'9': {"other", "其他"},
	}},
	'3': {name{"judicial administration", "司法行政"}, map[byte]name{ // [MEMORY] categories
		'1': {"law firm", "律师执业机构"},
		'2': {"notary office", "公证处"},
		'3': {"grassroots legal service office", "基层法律服务所"},
		'4': {"judicial expertise institution", "司法鉴定机构"},
		'5': {"arbitration commission", "仲裁委员会"},
		'9': {"other", "其他"},
	}},
	'4': {name{"culture", "文化"}, map[byte]name{ // [MEMORY] categories
		'1': {"foreign cultural centre in China", "外国在华文化中心"},
		'9': {"other", "其他"},
	}},
	'5': {name{"civil affairs", "民政"}, map[byte]name{
		'1': {"social organisation", "社会团体"},
		'2': {"private non-enterprise unit", "民办非企业单位"},
		'3': {"foundation", "基金会"},
		'9': {"other", "其他"},
	}},
	'6': {name{"tourism", "旅游"}, map[byte]name{ // [MEMORY] categories
		'1': {"resident representative office of a foreign tourism authority", "外国旅游部门常驻代表机构"},
		'2': {"resident mainland representative office of a Hong Kong, Macao or Taiwan tourism authority", "港澳台地区旅游部门常驻内地（大陆）代表机构"},
		'9': {"other", "其他"},
	}},
	'7': {name{"religious affairs", "宗教"}, map[byte]name{ // [MEMORY] categories
		'1': {"venue for religious activities", "宗教活动场所"},
		'2': {"religious school", "宗教院校"},
		'9': {"other", "其他"},
	}},
	'8': {name{"trade union", "工会"}, map[byte]name{ // [MEMORY] categories
		'1': {"grassroots trade union", "基层工会"},
		'9': {"other", "其他"},
	}},
	'9': {name{"market regulation (industry and commerce)", "市场监督管理（工商）"}, map[byte]name{
		'1': {"enterprise", "企业"},
		'2': {"individual industrial and commercial household", "个体工商户"},
		'3': {"farmers' specialised cooperative", "农民专业合作社"},
	}},
	'A': {name{"Central Military Commission Reform and Organisation Office", "中央军委改革和编制办公室"}, map[byte]name{ // [MEMORY] categories
		'1': {"military public institution", "军队事业单位"},
		'9': {"other", "其他"},
	}},
	'N': {name{"agriculture", "农业"}, map[byte]name{ // [MEMORY] categories
		'1': {"group-level collective economic organisation", "组级集体经济组织"},
		'2': {"village-level collective economic organisation", "村级集体经济组织"},
		'3': {"township-level collective economic organisation", "乡镇级集体经济组织"},
		'9': {"other", "其他"},
	}},
	'Y': {name{"other", "其他"}, map[byte]name{
		'1': {"other", "其他"},
	}},
}

// provinces maps the first two digits of a GB/T 2260 division code to a province-level
// division; "10" is used by codes registered at national (central) level.
var provinces = [100]name{
	10: {"national level (central registration)", "中央（国家级）"},
	11: {"Beijing", "北京"},
	12: {"Tianjin", "天津"},
	13: {"Hebei", "河北"},
	14: {"Shanxi", "山西"},
	15: {"Inner Mongolia", "内蒙古"},
	21: {"Liaoning", "辽宁"},
	22: {"Jilin", "吉林"},
	23: {"Heilongjiang", "黑龙江"},
	31: {"Shanghai", "上海"},
	32: {"Jiangsu", "江苏"},
	33: {"Zhejiang", "浙江"},
	34: {"Anhui", "安徽"},
	35: {"Fujian", "福建"},
	36: {"Jiangxi", "江西"},
	37: {"Shandong", "山东"},
	41: {"Henan", "河南"},
	42: {"Hubei", "湖北"},
	43: {"Hunan", "湖南"},
	44: {"Guangdong", "广东"},
	45: {"Guangxi", "广西"},
	46: {"Hainan", "海南"},
	50: {"Chongqing", "重庆"},
	51: {"Sichuan", "四川"},
	52: {"Guizhou", "贵州"},
	53: {"Yunnan", "云南"},
	54: {"Tibet", "西藏"},
	61: {"Shaanxi", "陕西"},
	62: {"Gansu", "甘肃"},
	63: {"Qinghai", "青海"},
	64: {"Ningxia", "宁夏"},
	65: {"Xinjiang", "新疆"},
	71: {"Taiwan", "台湾"},
	81: {"Hong Kong", "香港"},
	82: {"Macao", "澳门"},
}

// unknownName is used for codes that are not in a table.
var unknownName = name{"unknown", "未知"}

// usccAlloc groups the parts of a parse result that must live on the heap, so that a clean USCC
// costs a single allocation for them.
type usccAlloc struct {
	authority, category, province Code
	check                         CheckChar
}

// ParseUSCC normalises and checks a unified social credit code and decodes its parts.
// It never panics and always returns a result; problems are reported in Findings
// (USCC_LENGTH, USCC_CHARSET, USCC_DIVISION, USCC_REGISTRATION_AUTHORITY, USCC_CHECK_CHAR).
// The decoded parts are left empty when the length or the charset check fails. The GB 11714
// check digit embedded in the organisation code is not verified, because valid codes exist
// that fail it.
func ParseUSCC(s string) USCC {
	norm, flags := normalize(s)
	u := USCC{
		Input:       s,
		Normalized:  norm,
		Findings:    []Finding{},
		Corrections: corrections(flags),
	}

	if n := utf8.RuneCountInString(norm); n != USCCLength {
		u.Findings = append(u.Findings, Finding{
			Code:      CodeUSCCLength,
			Severity:  FAIL,
			MessageEn: "Unified social credit code must be 18 characters, got " + strconv.Itoa(n) + ".",
			MessageZh: "统一社会信用代码应为18位，实际为" + strconv.Itoa(n) + "位。",
		})
	}
	if en, zh := badChars(norm, isUSCCChar); en != "" {
		u.Findings = append(u.Findings, Finding{
			Code:     CodeUSCCCharset,
			Severity: FAIL,
			MessageEn: "Unified social credit code contains characters that are not allowed " +
				"(only 0-9 and A-Z except I, O, S, V and Z): " + en + ".",
			MessageZh: "统一社会信用代码含有不允许的字符（只允许0-9和除I、O、S、V、Z以外的A-Z）：" + zh + "。",
		})
	}
	if len(u.Findings) > 0 {
		u.Severity = worst(u.Findings)
		u.Valid = u.Severity != FAIL
		return u
	}

	a := new(usccAlloc)
	auth, known := registrationAuthorities[norm[0]]
	if known {
		a.authority = Code{Code: norm[0:1], NameEn: auth.en, NameZh: auth.zh}
	} else {
		a.authority = Code{Code: norm[0:1], NameEn: unknownName.en, NameZh: unknownName.zh}
		u.Findings = append(u.Findings, Finding{
			Code:      CodeUSCCRegistrationAuthority,
			Severity:  WARN,
			MessageEn: "Unified social credit code position 1 '" + norm[0:1] + "' is not a known registration-authority code.",
			MessageZh: "统一社会信用代码第1位'" + norm[0:1] + "'不是已知的登记管理部门代码。",
		})
	}
	u.RegistrationAuthority = &a.authority

	cat, ok := auth.categories[norm[1]] // a nil map (unknown authority) yields !ok
	if !ok {
		cat = unknownName
	}
	a.category = Code{Code: norm[1:2], NameEn: cat.en, NameZh: cat.zh}
	u.Category = &a.category

	u.DivisionCode = norm[2:8]
	if isDigits(u.DivisionCode) {
		p := provinces[int(norm[2]-'0')*10+int(norm[3]-'0')]
		if p.en == "" {
			p = unknownName
		}
		a.province = Code{Code: norm[2:4], NameEn: p.en, NameZh: p.zh}
		u.Province = &a.province
	} else {
		u.Findings = append(u.Findings, Finding{
			Code:      CodeUSCCDivision,
			Severity:  FAIL,
			MessageEn: "Unified social credit code positions 3-8 must be a six-digit administrative-division code, got '" + u.DivisionCode + "'.",
			MessageZh: "统一社会信用代码第3至8位应为6位数字的行政区划码，实际为'" + u.DivisionCode + "'。",
		})
	}

	u.OrganizationCode = norm[8:17]
	ci := usccCheckIndex(norm)
	a.check = CheckChar{Expected: usccCharset[ci : ci+1], Actual: norm[17:18]}
	u.CheckChar = &a.check
	if usccCharset[ci] != norm[17] {
		u.Findings = append(u.Findings, Finding{
			Code:     CodeUSCCCheckChar,
			Severity: WARN,
			MessageEn: "Unified social credit code check character (position 18) should be '" +
				a.check.Expected + "', got '" + a.check.Actual + "'.",
			MessageZh: "统一社会信用代码校验码（第18位）应为'" + a.check.Expected + "'，实际为'" + a.check.Actual + "'。",
		})
	}
	u.Enterprise = norm[0] == '9' && norm[1] == '1'

	u.Severity = worst(u.Findings)
	u.Valid = u.Severity != FAIL
	return u
}

// isDigits reports whether s consists only of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
