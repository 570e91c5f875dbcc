package gateway

import (
	"errors"
	"fmt"
)

// Application error codes that are not rule codes. Handlers map them to HTTP statuses in one
// table (httpapi); the codes themselves are stable and documented in the OpenAPI spec.
const (
	EINTERNAL           = "EINTERNAL"              // unexpected failure; details are logged, never shown
	EINVALID            = "EINVALID"               // a request parameter is malformed
	ENOTFOUND           = "ENOTFOUND"              // the resource does not exist
	ECONFLICT           = "ECONFLICT"              // the request conflicts with stored state
	EUNAVAILABLE        = "EUNAVAILABLE"           // a dependency is down or timed out
	EINVALIDJSON        = "INVALID_JSON"           // the body is not well-formed JSON (message carries the byte offset)
	EUNKNOWNFIELD       = "UNKNOWN_FIELD"          // the body has a member the document type does not define
	ETYPEMISMATCH       = "TYPE_MISMATCH"          // a member has the wrong JSON type
	ETRAILINGDATA       = "TRAILING_DATA"          // bytes follow the JSON document
	EBODYTOOLARGE       = "BODY_TOO_LARGE"         // the body exceeds the route's limit
	EUNSUPPORTEDMEDIA   = "UNSUPPORTED_MEDIA"      // the content type is not application/json
	ESCHEMA             = "SCHEMA_INVALID"         // the document violates its JSON Schema
	ERULESET            = "RULESET_UNAVAILABLE"    // no ruleset is in force on the application date
	EIDEMPOTENCYREUSED  = "IDEMPOTENCY_KEY_REUSED" // an Idempotency-Key was reused with another body
	EIDEMPOTENCYINVALID = "IDEMPOTENCY_KEY_INVALID"
	EBATCHTOOLARGE      = "BATCH_TOO_LARGE"    // a batch holds more rows than allowed
	EDOCTAMPERED        = "DOC_TAMPERED"       // a stored document no longer matches its ledger hash
	EREPORTNOTFOUND     = "REPORT_NOT_FOUND"   // a filing references a signed report that is not stored
	EILLEGALTRANSITION  = "ILLEGAL_TRANSITION" // the vehicle's lifecycle does not allow the event now
)

// Detail locates one problem inside a request document.
type Detail struct {
	Pointer   string `json:"pointer"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZh string `json:"messageZh"`
}

// Error is the one coded error type of the gateway. Message and MessageZh are safe to show to
// the caller; the wrapped error is for logs only.
type Error struct {
	Code      string
	Message   string
	MessageZh string
	Details   []Detail
	err       error
}

// Errorf returns an *Error with the given code and English/Chinese messages.
func Errorf(code, messageEn, messageZh string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(messageEn, args...), MessageZh: fmt.Sprintf(messageZh, args...)}
}

// Wrap returns an *Error with the given code that wraps cause for logging.
func Wrap(cause error, code, messageEn, messageZh string) *Error {
	return &Error{Code: code, Message: messageEn, MessageZh: messageZh, err: cause}
}

// WithDetails returns e with details appended.
func (e *Error) WithDetails(d ...Detail) *Error {
	e.Details = append(e.Details, d...)
	return e
}

// Error implements error.
func (e *Error) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the wrapped cause.
func (e *Error) Unwrap() error { return e.err }

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessages returns the caller-safe English and Chinese messages of err.
func ErrorMessages(err error) (en, zh string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Message, e.MessageZh
	}
	return "internal error", "内部错误"
}

// ErrorDetails returns the details of the first *Error in err's chain.
func ErrorDetails(err error) []Detail {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
