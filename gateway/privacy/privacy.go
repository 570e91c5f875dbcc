// Package privacy redacts the personal data of filing documents by the caller's role: the
// previous owner (原机动车所有人) a filing may name. Pure functions, no I/O.
//
// Who sees what (issue 7 §3): police see everything; customs see the owner's name, the other
// fields masked; every other role, and any caller without a principal (public routes, a
// gateway built without authentication), sees masked values only. The masks:
//
//	name      first character + "*"                     古丽娜尔·艾合买提 → 古*
//	idNumber  12+ characters: first 6 and last 4 shown   650102198507123428 → 650102********3428
//	          shorter (passports): last 2 shown          E12345678 → *******78
//	phone     11+ characters: first 3 and last 4 shown   13899512046 → 138****2046
//	          shorter: last 2 shown                      2345678 → *****78
//	address   the divisions down to the district or      新疆维吾尔自治区乌鲁木齐市天山区解放北路188号
//	          county (AdminPrefix) + "***"               → 新疆维吾尔自治区乌鲁木齐市天山区***
//
// A masked character stands for one character (the length of an ID number or a phone number
// is no secret); a masked name is always one "*", whatever its length.
package privacy

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ucx-export/ucx/gateway"
)

// Level is how much of the owner's data a caller sees.
type Level int

// Levels, from least to most.
const (
	Masked   Level = iota // every field masked
	NameOnly              // the name in clear, the other fields masked (customs)
	Full                  // everything in clear (police)
)

// LevelFor returns the level of a caller: Full for police, NameOnly for customs, Masked for
// every other role and for no principal at all.
func LevelFor(p *gateway.Principal) Level {
	if p == nil {
		return Masked
	}
	switch p.Role {
	case gateway.RolePolice:
		return Full
	case gateway.RoleCustoms:
		return NameOnly
	}
	return Masked
}

// String names the level as the audit log and tests show it.
func (l Level) String() string {
	switch l {
	case Full:
		return "full"
	case NameOnly:
		return "name-only"
	}
	return "masked"
}

// MaskOwner returns o as a caller of level l sees it. IDType is never masked.
func MaskOwner(o gateway.Owner, l Level) gateway.Owner {
	if l == Full {
		return o
	}
	if l != NameOnly {
		o.Name = MaskName(o.Name)
	}
	o.IDNumber = MaskIDNumber(o.IDNumber)
	o.Phone = MaskPhone(o.Phone)
	o.Address = MaskAddress(o.Address)
	return o
}

// MaskName keeps the first character of a name and replaces the rest by one "*"; "" stays "".
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "*"
}

// MaskIDNumber keeps the first 6 and the last 4 characters of a number of 12 or more, the last
// 2 of a shorter one (a passport number), and masks every other character; "" stays "".
func MaskIDNumber(s string) string { return keep(s, 12, 6, 4) }

// MaskPhone keeps the first 3 and the last 4 characters of a number of 11 or more, the last 2
// of a shorter one, and masks every other character; "" stays "".
func MaskPhone(s string) string { return keep(s, 11, 3, 4) }

// keep shows head and tail characters of s when it has at least long characters, else only
// the last 2 (nothing of a string of 2 or fewer).
func keep(s string, long, head, tail int) string {
	r := []rune(s)
	n := len(r)
	if n < long {
		head, tail = 0, min(2, max(0, n-2))
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, c := range r {
		if i < head || i >= n-tail {
			b.WriteRune(c)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// MaskAddress keeps the administrative divisions of an address down to the district or
// county (AdminPrefix) and replaces the rest by "***"; "" stays "".
func MaskAddress(s string) string {
	if s == "" {
		return ""
	}
	return AdminPrefix(s) + "***"
}

// Suffixes of the three levels of divisions an address starts with, longest first where one
// ends another (自治区 before 区).
var (
	provinceSuffixes   = []string{"特别行政区", "自治区", "省"}
	prefectureSuffixes = []string{"自治州", "地区", "盟", "市"}
	countySuffixes     = []string{"自治县", "自治旗", "区", "县", "市", "旗"}
)

// maxDivisionRunes bounds one division's name with its suffix (积石山保安族东乡族撒拉族自治县
// has 15).
const maxDivisionRunes = 16

// AdminPrefix returns the leading administrative divisions of a Chinese address: an optional
// province-level one (…省, …自治区, …特别行政区), an optional prefecture-level one (…市, …自治州,
// …地区, …盟; also the municipalities 北京市 …) and an optional county-level one (…区, …县, …市,
// …旗, …自治县, …自治旗), in that order; "" when the address starts with none (a foreign
// address). A division's name is a run of at most 16 characters of Han script without
// street-level words (路, 街, 巷, 号, …): the prefix stops before the street, the township
// (镇, 乡, 街道) and the house. It never returns more than a prefix of addr.
func AdminPrefix(addr string) string {
	pos := 0
	for _, suffixes := range [][]string{provinceSuffixes, prefectureSuffixes, countySuffixes} {
		pos += division(addr[pos:], suffixes)
	}
	return addr[:pos]
}

// division returns the byte length of the division s starts with (a name of Han characters
// ending in one of suffixes, the earliest such end), or 0.
func division(s string, suffixes []string) int {
	runes := 0
	for i, r := range s {
		if runes >= maxDivisionRunes || !unicode.Is(unicode.Han, r) || streetLevel(s[:i], r) {
			return 0
		}
		runes++
		end := i + utf8.RuneLen(r)
		if runes < 2 {
			continue // a division has a name before its suffix
		}
		for _, suf := range suffixes {
			if strings.HasSuffix(s[:end], suf) && utf8.RuneCountInString(s[:end]) > utf8.RuneCountInString(suf) {
				return end
			}
		}
	}
	return 0
}

// streetLevel reports whether r, following before inside one division's name, marks a street,
// a house or a township: no division name holds them. A few may begin one (镇江市, 道里区,
// 单县, 乡宁县, 村: none today) but never stand inside (街道, 大道, 单元, 玉山镇…).
func streetLevel(before string, r rune) bool {
	switch r {
	case '路', '街', '巷', '弄', '号', '楼', '栋', '幢', '室':
		return true
	case '镇', '乡', '村', '道', '单':
		return before != ""
	}
	return false
}
