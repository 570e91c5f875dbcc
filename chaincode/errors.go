package chaincode

import (
	"fmt"
	"strings"
)

// Codes of the business errors the contract returns. Every business error message starts with
// one of them followed by ": " (see the Prefix constants); anything else is an internal error
// (a stub failure, or contractapi rejecting the call before the contract ran).
const (
	CodeInvalidArgument = "INVALID_ARGUMENT"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	// CodeIllegalTransition refuses an event the vehicle's lifecycle does not allow in its
	// current state (see lifecycle.go).
	CodeIllegalTransition = "ILLEGAL_TRANSITION"
)

// Prefixes of business error messages, as they appear in peer.Response.Message.
const (
	PrefixInvalidArgument   = CodeInvalidArgument + ": "
	PrefixForbidden         = CodeForbidden + ": "
	PrefixNotFound          = CodeNotFound + ": "
	PrefixConflict          = CodeConflict + ": "
	PrefixIllegalTransition = CodeIllegalTransition + ": "
)

// prefixes lists every business error prefix, in a fixed order.
var prefixes = [...]string{PrefixInvalidArgument, PrefixForbidden, PrefixNotFound, PrefixConflict, PrefixIllegalTransition}

// ParseError finds the business error code in a chaincode error message and returns it with
// the text after the prefix. The prefix may be preceded by text a peer or client library added
// (for example "chaincode response 500, "); the earliest prefix wins. ok is false when the
// message carries no business code.
func ParseError(message string) (code, detail string, ok bool) {
	best := -1
	for _, p := range prefixes {
		i := strings.Index(message, p)
		if i < 0 {
			continue
		}
		if best < 0 || i < best {
			best = i
			code = strings.TrimSuffix(p, ": ")
			detail = message[i+len(p):]
		}
	}
	return code, detail, best >= 0
}

// codedError is a business error: a stable code and a message free of personal data.
type codedError struct {
	code string
	msg  string
}

func (e *codedError) Error() string { return e.code + ": " + e.msg }

// fail is the one helper that builds business errors.
func fail(code, format string, args ...any) error {
	return &codedError{code: code, msg: fmt.Sprintf(format, args...)}
}

// atItem prefixes a business error with the index of the batch item that caused it, keeping
// its code. Other errors are returned unchanged.
func atItem(i int, err error) error {
	if ce, ok := err.(*codedError); ok {
		return &codedError{code: ce.code, msg: fmt.Sprintf("items[%d]: %s", i, ce.msg)}
	}
	return err
}

// atLine prefixes a business error with the licence line whose VIN caused it, keeping its
// code. Other errors are returned unchanged.
func atLine(i int, err error) error {
	if ce, ok := err.(*codedError); ok {
		return &codedError{code: ce.code, msg: fmt.Sprintf("lines[%d].vin: %s", i, ce.msg)}
	}
	return err
}

// quote renders caller input for an error message: quoted, and cut to 40 bytes so a message
// never carries more than a hint of what was sent.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
