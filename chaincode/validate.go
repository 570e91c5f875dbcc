package chaincode

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const dateLayout = "2006-01-02"

// eventPoster is the one table of who may post which event type through RecordEvent and
// RecordBatch. FILED, LICENCE_ISSUED and LICENCE_REVOKED are absent: only RecordFiling,
// IssueLicence and RevokeLicence write them. The map is only looked up, never ranged over.
var eventPoster = map[string]string{
	// Police (公安交管).
	"TRANSFERRED_PENDING_EXPORT": MSPPolice,
	"POLICE_STATUS_CHANGED":      MSPPolice,
	"VEHICLE_HELD":               MSPPolice, // stolen (盗抢) or seized (查封) hit
	"HOLD_RELEASED":              MSPPolice,
	"DEREGISTERED":               MSPPolice,
	// Customs (海关).
	"DECLARED":              MSPCustoms,
	"RELEASED":              MSPCustoms,
	"EXITED":                MSPCustoms,
	"RETURNED":              MSPCustoms,
	"DECLARATION_WITHDRAWN": MSPCustoms,
	"CLEARANCE_CHECKED":     MSPCustoms,
	// Commerce (商务主管部门).
	"INSPECTED":             MSPCommerce,
	"AFTER_SALES_CONFIRMED": MSPCommerce,
	"LICENCE_APPLIED":       MSPCommerce,
	"LICENCE_EXPIRED":       MSPCommerce,
	"DEADLINE_PASSED":       MSPCommerce,
	"CLOSED":                MSPCommerce,
}

// EventPoster returns the MSP ID allowed to post eventType through RecordEvent or RecordBatch;
// ok is false for a type those functions refuse.
func EventPoster(eventType string) (mspID string, ok bool) {
	mspID, ok = eventPoster[eventType]
	return mspID, ok
}

func checkVIN(field, s string) error {
	if len(s) != 17 {
		return fail(CodeInvalidArgument, "%s: must be 17 characters of [A-HJ-NPR-Z0-9]", field)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q') {
			return fail(CodeInvalidArgument, "%s: must be 17 characters of [A-HJ-NPR-Z0-9]", field)
		}
	}
	return nil
}

func checkUSCC(field, s string) error {
	if len(s) != 18 {
		return fail(CodeInvalidArgument, "%s: must be 18 characters of [0-9A-HJ-NPQRTUWXY]", field)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= '0' && c <= '9' || c >= 'A' && c <= 'Y' &&
			c != 'I' && c != 'O' && c != 'S' && c != 'V' && c != 'Z'
		if !ok {
			return fail(CodeInvalidArgument, "%s: must be 18 characters of [0-9A-HJ-NPQRTUWXY]", field)
		}
	}
	return nil
}

func checkHash(field, s string, required bool) error {
	if s == "" && !required {
		return nil
	}
	const pfx = "sha256:"
	if len(s) != len(pfx)+64 || s[:len(pfx)] != pfx {
		return fail(CodeInvalidArgument, "%s: must be sha256:<64 lowercase hex>", field)
	}
	for i := len(pfx); i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fail(CodeInvalidArgument, "%s: must be sha256:<64 lowercase hex>", field)
		}
	}
	return nil
}

// checkLicenceNo checks the form YY-CC-NNNNNN.
func checkLicenceNo(field, s string) error {
	bad := len(s) != 12 || s[2] != '-' || s[5] != '-'
	for i := 0; !bad && i < len(s); i++ {
		c := s[i]
		switch {
		case i == 2 || i == 5:
		case i == 3 || i == 4:
			bad = !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z')
		default:
			bad = !(c >= '0' && c <= '9')
		}
	}
	if bad {
		return fail(CodeInvalidArgument, "%s: must match YY-CC-NNNNNN (^\\d{2}-[A-Z0-9]{2}-\\d{6}$)", field)
	}
	return nil
}

// checkActor checks an opaque user ID: 1..128 printable ASCII characters, no spaces.
func checkActor(field, s string) error {
	if len(s) == 0 || len(s) > 128 {
		return fail(CodeInvalidArgument, "%s: must be 1 to 128 printable ASCII characters without spaces", field)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fail(CodeInvalidArgument, "%s: must be 1 to 128 printable ASCII characters without spaces", field)
		}
	}
	return nil
}

// checkFilingID checks a filing ID: 1..128 characters of [A-Za-z0-9._:-].
func checkFilingID(field, s string) error {
	if len(s) == 0 || len(s) > 128 {
		return fail(CodeInvalidArgument, "%s: must be 1 to 128 characters of [A-Za-z0-9._:-]", field)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' ||
			c == '.' || c == '_' || c == ':' || c == '-') {
			return fail(CodeInvalidArgument, "%s: must be 1 to 128 characters of [A-Za-z0-9._:-]", field)
		}
	}
	return nil
}

// checkReasonCode checks a revocation reason: an uppercase code of at most 40 characters,
// [A-Z][A-Z0-9_]*, so no free text (and no personal data) reaches the ledger.
func checkReasonCode(field, s string) error {
	ok := len(s) >= 1 && len(s) <= 40 && s[0] >= 'A' && s[0] <= 'Z'
	for i := 1; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	if !ok {
		return fail(CodeInvalidArgument, "%s: must be an uppercase code of at most 40 characters ([A-Z][A-Z0-9_]*)", field)
	}
	return nil
}

func checkDecision(field, s string) error {
	switch s {
	case DecisionAccepted, DecisionRejected, DecisionHeld:
		return nil
	}
	return fail(CodeInvalidArgument, "%s: must be ACCEPTED, REJECTED or HELD", field)
}

// parseDate parses a calendar date YYYY-MM-DD.
func parseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Format(dateLayout) != s {
		return time.Time{}, fail(CodeInvalidArgument, "%s: must be a date YYYY-MM-DD", field)
	}
	return t, nil
}

// checkCountry checks an ISO 3166-1 alpha-2 code's form.
func checkCountry(field, s string) error {
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return fail(CodeInvalidArgument, "%s: must be an ISO 3166-1 alpha-2 code", field)
	}
	return nil
}

func checkHSCode(field, s string) error {
	ok := len(s) == 10
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return fail(CodeInvalidArgument, "%s: must be a 10-digit commodity code", field)
	}
	return nil
}

// checkLabel checks a short free label (brand, model): 1..64 characters of valid UTF-8 with
// no control characters.
func checkLabel(field, s string) error { return checkFreeText(field, s, 64) }

// checkFreeText checks free text of 1..max characters of valid UTF-8 without control
// characters.
func checkFreeText(field, s string, max int) error {
	n := utf8.RuneCountInString(s)
	if n == 0 || n > max || !utf8.ValidString(s) {
		return fail(CodeInvalidArgument, "%s: must be 1 to %d characters", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fail(CodeInvalidArgument, "%s: must not contain control characters", field)
		}
	}
	return nil
}

// addMonths adds n months to a date, clamping to the last day of the target month
// (31 March + 6 months = 30 September).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}

// decodeStrict decodes one JSON value into v: size-limited, unknown fields and trailing data
// refused. Errors are INVALID_ARGUMENT naming field.
func decodeStrict(field, s string, v any) error {
	if len(s) > maxJSONBytes {
		return fail(CodeInvalidArgument, "%s: larger than %d bytes", field, maxJSONBytes)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fail(CodeInvalidArgument, "%s: invalid JSON: %s", field, jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(CodeInvalidArgument, "%s: invalid JSON: trailing data after the value", field)
	}
	return nil
}

// jsonProblem describes a decoding error briefly, without echoing more than a field name.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		if te.Field != "" {
			return "wrong type for field " + quote(te.Field)
		}
		return "wrong type at offset " + strconv.FormatInt(te.Offset, 10)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	msg := err.Error()
	const unknown = "json: unknown field "
	if name, ok := strings.CutPrefix(msg, unknown); ok {
		return "unknown field " + quote(strings.Trim(name, `"`))
	}
	return "malformed value"
}

// ValidVIN reports whether s is a VIN the contract keys a trace by (17 characters of the VIN
// alphabet; the check digit is the gateway's business, not the ledger's).
func ValidVIN(s string) bool { return checkVIN("vin", s) == nil }

// ValidUSCC reports whether s is a USCC the contract records (18 characters of the GB 32100
// alphabet).
func ValidUSCC(s string) bool { return checkUSCC("uscc", s) == nil }
