package schemas

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Guarding against costly numbers.
//
// The validator library checks "type": "integer", minimum and maximum with math/big on the
// number's decimal text, which costs time super-linear in the number's exponent and length:
// one json.Number "1e1000000" costs ~160 ms, 100 000 digits ~50 ms. A JSON body of a few bytes
// must not buy that much CPU, so before validating we look for json.Number values whose text is
// longer than maxNumberLen or whose exponent exceeds maxNumberExp, and validate a copy where
// each is replaced by a short stand-in with the same sign, the same integer-ness and the same
// integer part when that part has at most maxIntDigits digits, otherwise a stand-in of more
// than maxIntDigits digits. Comparisons with integer bounds below 10^maxIntDigits (every
// bound in these schemas) therefore give the same result as on the original number. Messages at
// those pointers are rewritten to quote the original text. Ordinary documents are only scanned.
const (
	maxNumberLen  = 40
	maxNumberExp  = 300
	maxIntDigits  = 30
	maxFracDigits = 20
)

// costlyNumber reports whether n needs a stand-in.
func costlyNumber(n json.Number) bool {
	s := string(n)
	if len(s) > maxNumberLen {
		return true
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return false
	}
	exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
	return err != nil || exp > maxNumberExp || exp < -maxNumberExp
}

// hasCostlyNumber scans v without allocating.
func hasCostlyNumber(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if hasCostlyNumber(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasCostlyNumber(e) {
				return true
			}
		}
	case json.Number:
		return costlyNumber(v)
	}
	return false
}

// replaceCostlyNumbers returns a copy of v with every costly json.Number replaced by its
// stand-in, and records the original text by JSON pointer in orig.
func replaceCostlyNumbers(v any, ptr string, orig map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = replaceCostlyNumbers(e, ptr+"/"+escapeToken(k), orig)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = replaceCostlyNumbers(e, ptr+"/"+strconv.Itoa(i), orig)
		}
		return out
	case json.Number:
		if costlyNumber(v) {
			if s, ok := standIn(string(v)); ok {
				orig[ptr] = string(v)
				return json.Number(s)
			}
		}
	}
	return v
}

// standIn computes the short stand-in of a JSON number text (see the comment at the top).
// It returns false when s is not a JSON number; the library then reports it as it would anyway.
func standIn(s string) (string, bool) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	mant, expText, hasExp := strings.Cut(strings.ToLower(body), "e")
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(strings.TrimPrefix(expText, "+"))
		if err != nil {
			// Exponent beyond int range: only its sign matters.
			if !isDigits(strings.TrimLeft(expText, "+-")) || expText == "" {
				return "", false
			}
			e = 1 << 40
			if strings.HasPrefix(expText, "-") {
				e = -e
			}
		}
		exp = e
	}
	intPart, fracPart, _ := strings.Cut(mant, ".")
	if intPart == "" || !isDigits(intPart) || !isDigits(fracPart) {
		return "", false
	}
	// value = digits × 10^(exp - len(fracPart)), digits without leading zeros.
	digits := strings.TrimLeft(intPart+fracPart, "0")
	if digits == "" {
		return "0", true
	}
	pointPos := len(digits) - len(fracPart) + exp // digits before the decimal point; may be ≤ 0 or huge
	sign := ""
	if neg {
		sign = "-"
	}
	var ip, fp string // integer and fraction digits of the value
	switch {
	case pointPos > maxIntDigits:
		// Larger than any bound: keep integer-ness only.
		ip = "1" + strings.Repeat("0", maxIntDigits)
		if len(digits) > pointPos && strings.Trim(digits[pointPos:], "0") != "" {
			fp = "5"
		}
		return sign + ip + dotFrac(fp), true
	case pointPos <= 0:
		ip = "0"
		fp = strings.Repeat("0", min(-pointPos, maxFracDigits)) + digits
	default:
		ip = digits[:min(pointPos, len(digits))] + strings.Repeat("0", max(0, pointPos-len(digits)))
		if pointPos < len(digits) {
			fp = digits[pointPos:]
		}
	}
	fp = strings.TrimRight(fp, "0")
	if len(fp) > maxFracDigits {
		// Keep it non-integer and inside the same unit interval.
		fp = strings.TrimRight(fp[:maxFracDigits], "0")
		if fp == "" {
			fp = strings.Repeat("0", maxFracDigits-1) + "1"
		}
	}
	return sign + ip + dotFrac(fp), true
}

func dotFrac(fp string) string {
	if fp == "" {
		return ""
	}
	return "." + fp
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
