// Package identity provides VIN (GB 16735), USCC (GB 32100) and resident ID number (GB 11643)
// parsing and check characters; pure functions, no I/O.
//
// ParseVIN, ParseUSCC and ParseResidentID never fail: they normalise the input, run every structural check and
// return the decoded parts together with a list of findings, each with a stable code, a severity
// and an English and a Chinese message. Normalisation converts full-width ASCII, upper-cases and
// strips separators, but it never "repairs" a look-alike character (O→0, I→1, Q→0): those are
// reported as charset failures so that a human confirms the identifier.
package identity

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Severity grades a finding or a whole parse result; FAIL is worse than WARN, which is worse than OK.
type Severity string

// Severity values, from best to worst.
const (
	// OK means no problem was found.
	OK Severity = "OK"
	// WARN means the identifier is usable but something deserves a human look.
	WARN Severity = "WARN"
	// FAIL means the identifier is not acceptable.
	FAIL Severity = "FAIL"
)

// rank orders severities so that the worst one can be picked; unknown values rank as OK.
func (s Severity) rank() int {
	switch s {
	case FAIL:
		return 2
	case WARN:
		return 1
	}
	return 0
}

// Finding is one problem found in an identifier.
type Finding struct {
	// Code is a stable machine-readable code such as VIN_CHECK_DIGIT or USCC_LENGTH.
	Code string `json:"code"`
	// Severity is WARN or FAIL.
	Severity Severity `json:"severity"`
	// MessageEn is a full English sentence describing the problem.
	MessageEn string `json:"messageEn"`
	// MessageZh is the same message in Chinese.
	MessageZh string `json:"messageZh"`
}

// CheckChar compares the check character computed from an identifier with the one it carries.
type CheckChar struct {
	// Expected is the check character computed from the other positions.
	Expected string `json:"expected"`
	// Actual is the check character found in the identifier.
	Actual string `json:"actual"`
}

// Code is an entry of a code table with its English and Chinese names.
type Code struct {
	// Code is the code as it appears in the identifier.
	Code string `json:"code"`
	// NameEn is the English name, or "unknown" when the code is not in the table.
	NameEn string `json:"nameEn"`
	// NameZh is the Chinese name, or "未知" when the code is not in the table.
	NameZh string `json:"nameZh"`
}

// Finding codes. They are stable: callers and rule sets match on them.
const (
	// CodeVINLength is reported (FAIL) when a normalised VIN is not 17 characters long.
	CodeVINLength = "VIN_LENGTH"
	// CodeVINCharset is reported (FAIL) when a VIN holds characters outside 0-9 A-Z minus I, O, Q.
	CodeVINCharset = "VIN_CHARSET"
	// CodeVINCheckDigit is reported when position 9 differs from the computed check digit:
	// FAIL for China-market VINs (WMI starting with 'L'), WARN otherwise.
	CodeVINCheckDigit = "VIN_CHECK_DIGIT"
	// CodeVINModelYearCode is reported (WARN) when position 10 is not a model-year code (0, U or Z).
	CodeVINModelYearCode = "VIN_MODEL_YEAR_CODE"
	// CodeVINModelYear is reported (WARN) by VIN.CheckModelYear when no candidate model year fits the
	// registration date.
	CodeVINModelYear = "VIN_MODEL_YEAR"

	// CodeUSCCLength is reported (FAIL) when a normalised USCC is not 18 characters long.
	CodeUSCCLength = "USCC_LENGTH"
	// CodeUSCCCharset is reported (FAIL) when a USCC holds characters outside
	// 0123456789ABCDEFGHJKLMNPQRTUWXY.
	CodeUSCCCharset = "USCC_CHARSET"
	// CodeUSCCDivision is reported (FAIL) when positions 3-8 are not six digits.
	CodeUSCCDivision = "USCC_DIVISION"
	// CodeUSCCRegistrationAuthority is reported (WARN) when position 1 is not a known
	// registration-authority code.
	CodeUSCCRegistrationAuthority = "USCC_REGISTRATION_AUTHORITY"
	// CodeUSCCCheckChar is reported (WARN) when position 18 differs from the computed check character.
	CodeUSCCCheckChar = "USCC_CHECK_CHAR"
)

// worst returns the worst severity among findings, OK when there are none.
func worst(fs []Finding) Severity {
	s := OK
	for _, f := range fs {
		if f.Severity.rank() > s.rank() {
			s = f.Severity
		}
	}
	return s
}

// Normalisation change flags, in the order they are reported.
const (
	fixFullWidth uint8 = 1 << iota
	fixLowerCase
	fixSeparators
	fixInvalidUTF8
)

// Human-readable descriptions of what normalisation changed.
const (
	correctionFullWidth  = "full-width characters converted"
	correctionLowerCase  = "lower case converted"
	correctionSeparators = "spaces/dashes removed"
	correctionInvalid    = "invalid UTF-8 bytes replaced with U+FFFD"
)

// corrections turns change flags into the Corrections list; nil when nothing changed.
func corrections(flags uint8) []string {
	if flags == 0 {
		return nil
	}
	out := make([]string, 0, 4)
	if flags&fixFullWidth != 0 {
		out = append(out, correctionFullWidth)
	}
	if flags&fixLowerCase != 0 {
		out = append(out, correctionLowerCase)
	}
	if flags&fixSeparators != 0 {
		out = append(out, correctionSeparators)
	}
	if flags&fixInvalidUTF8 != 0 {
		out = append(out, correctionInvalid)
	}
	return out
}

// isPlainUpperAlnum reports whether s consists only of ASCII digits and upper-case letters,
// in which case normalisation has nothing to do.
func isPlainUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// normalize applies the common normalisation: full-width ASCII (U+FF01–U+FF5E) to ASCII,
// ideographic space to space, ASCII upper case, and removal of white space (which also trims),
// '-' and '·'. Look-alike letters are never changed. Bytes that are not valid UTF-8 become
// U+FFFD, so the result is valid UTF-8 and always a fixed point of normalize.
func normalize(s string) (string, uint8) {
	if isPlainUpperAlnum(s) {
		return s, 0
	}
	var b strings.Builder
	b.Grow(len(s))
	var flags uint8
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				// Replace, do not keep: removing a separator between two invalid fragments could
				// otherwise join them into a new character and break idempotence.
				flags |= fixInvalidUTF8
				b.WriteRune(utf8.RuneError)
				i++
				continue
			case r >= 0xFF01 && r <= 0xFF5E:
				flags |= fixFullWidth
				c = byte(r - 0xFEE0)
				i += size
			case r == '\u3000': // ideographic space
				flags |= fixFullWidth | fixSeparators
				i += size
				continue
			case r == '·' || unicode.IsSpace(r):
				flags |= fixSeparators
				i += size
				continue
			default:
				b.WriteString(s[i : i+size])
				i += size
				continue
			}
		}
		switch {
		case c >= 'a' && c <= 'z':
			flags |= fixLowerCase
			c -= 'a' - 'A'
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '-':
			flags |= fixSeparators
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), flags
}

// maxListed caps how many offending characters a charset message names.
const maxListed = 5

// badChars lists the characters of s that valid rejects as "position N: 'c'" items (English)
// and "第N位'c'" items (Chinese). Positions count characters from 1. It returns empty strings
// when every character is valid.
func badChars(s string, valid func(byte) bool) (en, zh string) {
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		clean = valid(s[i])
	}
	if clean {
		return "", "" // the common case: no builder is allocated
	}
	var be, bz strings.Builder
	pos, n := 0, 0
	for i := 0; i < len(s); {
		pos++
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if valid(c) {
				continue
			}
			n++
			if n <= maxListed {
				writeBad(&be, &bz, pos, showByte(c))
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
		if n > maxListed {
			continue
		}
		if r == utf8.RuneError {
			writeBad(&be, &bz, pos, "U+FFFD (invalid UTF-8)")
		} else if unicode.IsPrint(r) {
			writeBad(&be, &bz, pos, "'"+string(r)+"'")
		} else {
			writeBad(&be, &bz, pos, fmt.Sprintf("U+%04X", r))
		}
	}
	if n == 0 {
		return "", ""
	}
	if n > maxListed {
		fmt.Fprintf(&be, " and %d more", n-maxListed)
		fmt.Fprintf(&bz, "等共%d处", n)
	}
	return be.String(), bz.String()
}

// showByte renders an ASCII byte for a message.
func showByte(c byte) string {
	if c >= 0x20 && c < 0x7F {
		return "'" + string(rune(c)) + "'"
	}
	return fmt.Sprintf("U+%04X", c)
}

func writeBad(en, zh *strings.Builder, pos int, shown string) {
	if en.Len() > 0 {
		en.WriteString(", ")
		zh.WriteString("，")
	}
	fmt.Fprintf(en, "position %d: %s", pos, shown)
	fmt.Fprintf(zh, "第%d位%s", pos, shown)
}
