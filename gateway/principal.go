package gateway

import (
	"context"
	"time"
)

// Roles of the callers the gateway serves (issue 7). Each bearer token carries one.
type Role string

const (
	RoleExporter  Role = "exporter"  // an exporter: files vehicles, sees its own filings, vehicles and credit; Org = its USCC
	RoleInspector Role = "inspector" // an inspection agency: submits signed reports, sees its own; Org = its USCC
	RolePolice    Role = "police"    // public security (公安): vehicle status events; Org = "police" or an agency code
	RoleCustoms   Role = "customs"   // customs (海关): clearance, border events; Org = "customs" or an agency code
	RoleCommerce  Role = "commerce"  // commerce (商务): licences, credit review, decisions; Org = "commerce" or an agency code
	RoleAdmin     Role = "admin"     // the gateway's operators: subscriptions, audit log
)

// Roles lists every role, in a fixed order (policy tables and tests enumerate it).
var Roles = []Role{RoleExporter, RoleInspector, RolePolice, RoleCustoms, RoleCommerce, RoleAdmin}

// Principal is the authenticated caller of a request.
type Principal struct {
	Subject string `json:"sub"`  // the user or system acting (opaque ID)
	Role    Role   `json:"role"` // what it may do
	Org     string `json:"org"`  // whose it is: a USCC (exporter, inspector) or an agency code
	// TokenID and KeyID identify the token and the key that signed it (for the audit log).
	TokenID   string    `json:"jti,omitempty"`
	KeyID     string    `json:"kid,omitempty"`
	ExpiresAt time.Time `json:"exp"`
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the request's authenticated caller.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller ctx carries; nil on a public route (or a gateway built
// without authentication: tests of business behaviour).
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Error codes of access control.
const (
	EUNAUTHENTICATED = "UNAUTHENTICATED" // no bearer token, or one that is invalid, expired or not yet valid (401)
	ERATELIMITED     = "RATE_LIMITED"    // the caller exceeded its rate for the route class (429, Retry-After)
)

// PrintableID reports whether s is an opaque identifier of 1..max printable ASCII characters
// without spaces: actors, token subjects and IDs, request IDs, idempotency keys.
func PrintableID(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
