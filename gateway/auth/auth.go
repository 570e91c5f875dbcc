// Package auth issues and verifies the gateway's bearer tokens (issue 7 §1): JWTs signed with
// Ed25519 (JWS alg EdDSA) carrying the caller's subject, role and organisation.
//
// A token's header is exactly {"alg":"EdDSA","typ":"JWT","kid":…}, where kid names the signing
// key (KeyID: a short hash of its public key), so that a Verifier can hold several public keys
// while keys rotate. Its claims are sub, role, org, iat, nbf, exp, jti, iss ("ucx") and aud
// ("ucx-gateway"). An Issuer signs; a Verifier checks strictly: the header above and nothing
// else (no alg none, no HMAC, no embedded or fetched keys), a known kid, the Ed25519
// signature, exp and nbf (with a small leeway), iss and aud, a subject, a known role and an
// organisation of the right form for the role (CheckOrg). Every refusal is a coded
// gateway.EUNAUTHENTICATED error whose detail says why (TOKEN_EXPIRED, TOKEN_UNKNOWN_KEY …)
// and never repeats the token.
package auth

import (
	"crypto/rand"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/identity"
)

// Defaults of issuers and verifiers; each can be changed with an Option.
const (
	// DefaultIssuer is the iss claim of the gateway's tokens.
	DefaultIssuer = "ucx"
	// DefaultAudience is their aud claim.
	DefaultAudience = "ucx-gateway"
	// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
	DefaultLeeway = 30 * time.Second
	// MaxTTL is the longest lifetime a token may have: a leaked token dies within it.
	MaxTTL = 31 * 24 * time.Hour
	// maxTokenLen bounds what is parsed at all (an issued token is about 500 bytes).
	maxTokenLen = 4096
)

// Algorithm is the only JWS algorithm the gateway signs with and accepts.
const Algorithm = "EdDSA"

// Reasons a token or a request's credentials are refused: the code of the one detail of an
// EUNAUTHENTICATED error.
const (
	ReasonMissing       = "TOKEN_MISSING"            // no Authorization header
	ReasonHeader        = "TOKEN_HEADER_INVALID"     // not exactly one "Authorization: Bearer <token>"
	ReasonInQuery       = "TOKEN_IN_QUERY"           // a token in the URL (access_token): never accepted
	ReasonMalformed     = "TOKEN_MALFORMED"          // not three base64url segments of JSON, or too long
	ReasonAlgorithm     = "TOKEN_ALGORITHM"          // alg is not EdDSA, or the header has other members
	ReasonUnknownKey    = "TOKEN_UNKNOWN_KEY"        // kid names no key of the verifier
	ReasonSignature     = "TOKEN_SIGNATURE_INVALID"  // the signature does not match (tampered, or another key)
	ReasonExpired       = "TOKEN_EXPIRED"            // exp has passed
	ReasonNotYetValid   = "TOKEN_NOT_YET_VALID"      // nbf or iat is in the future
	ReasonClaim         = "TOKEN_CLAIM_INVALID"      // iss, aud, sub, role, org, jti or the lifetime is wrong
	ReasonClientCert    = "CLIENT_CERT_REQUIRED"     // the role must present a verified TLS client certificate (mTLS)
	ReasonClientCertOrg = "CLIENT_CERT_ORG_MISMATCH" // the certificate's Subject Organization is not the token's org
)

// Claims are the claims of a gateway token.
type Claims struct {
	jwt.RegisteredClaims
	Role gateway.Role `json:"role"`
	Org  string       `json:"org"`
}

// Error returns the EUNAUTHENTICATED error of a reason, with its messages; pointer names the
// claim concerned ("/exp", "/role" …; "" for the token as a whole). Middleware outside this
// package uses it for the reasons of the request (ReasonMissing, ReasonHeader …).
func Error(reason, pointer, en, zh string) *gateway.Error {
	return &gateway.Error{Code: gateway.EUNAUTHENTICATED, Message: en, MessageZh: zh,
		Details: []gateway.Detail{{Pointer: pointer, Code: reason, Message: en, MessageZh: zh}}}
}

// Reason returns the reason code of an EUNAUTHENTICATED error made by Error ("" for others).
func Reason(err error) string {
	if gateway.ErrorCode(err) != gateway.EUNAUTHENTICATED {
		return ""
	}
	if d := gateway.ErrorDetails(err); len(d) > 0 {
		return d[0].Code
	}
	return ""
}

func claimError(claim, en, zh string) *gateway.Error {
	return Error(ReasonClaim, "/"+claim, fmt.Sprintf("the token's %s claim %s", claim, en), fmt.Sprintf("令牌的 %s 声明%s", claim, zh))
}

// agencyOrg is the form of a government agency's organisation: the role name, optionally
// followed by "-" and the agency's own code (e.g. customs-5300 for a customs district).
var agencyOrg = regexp.MustCompile(`^(police|customs|commerce)(-[a-z0-9]{1,24})?$`)

// adminOrg is the form of the operators' organisation: a short lower-case code.
var adminOrg = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// CheckOrg checks that org has the form of the organisation of role:
//
//   - exporter, inspector: a valid 18-character USCC (GB 32100) as written, upper case, with a
//     correct check character (identity.ParseUSCC finds nothing);
//   - police, customs, commerce: the role name, optionally followed by "-" and a code of 1–24
//     lower-case letters and digits ("customs", "customs-5300", "police-440300"), so that a
//     token of one agency can never name another agency's organisation;
//   - admin: a short code, 1–32 lower-case letters, digits and hyphens starting with a letter
//     ("ucx").
//
// It returns an EUNAUTHENTICATED error (TOKEN_CLAIM_INVALID) otherwise, or for an unknown role.
func CheckOrg(role gateway.Role, org string) error {
	switch role {
	case gateway.RoleExporter, gateway.RoleInspector:
		u := identity.ParseUSCC(org)
		if u.Normalized != org || len(u.Findings) > 0 {
			return claimError("org", "is not a valid USCC, as the role "+string(role)+" needs", "不是有效的统一社会信用代码（角色 "+string(role)+" 要求）")
		}
	case gateway.RolePolice, gateway.RoleCustoms, gateway.RoleCommerce:
		m := agencyOrg.FindStringSubmatch(org)
		if m == nil || m[1] != string(role) {
			return claimError("org", "is not an agency code of the role "+string(role)+" ("+string(role)+" or "+string(role)+"-<code>)",
				"不是角色 "+string(role)+" 的机构代码（"+string(role)+" 或 "+string(role)+"-<代码>）")
		}
	case gateway.RoleAdmin:
		if !adminOrg.MatchString(org) {
			return claimError("org", "is not a short operator code", "不是有效的运营方代码")
		}
	default:
		return claimError("role", "is not a known role", "不是已知角色")
	}
	return nil
}

// checkSubject checks the sub claim: 1–128 printable ASCII characters without spaces.
func checkSubject(sub string) error {
	if !gateway.PrintableID(sub, 128) {
		return claimError("sub", "must be 1 to 128 printable ASCII characters without spaces", "应为1至128个不含空格的可打印ASCII字符")
	}
	return nil
}

// config is the shared configuration of issuers and verifiers.
type config struct {
	issuer, audience string
	leeway           time.Duration
	now              func() time.Time
	random           io.Reader // of token IDs
}

func newConfig(opts []Option) config {
	c := config{issuer: DefaultIssuer, audience: DefaultAudience, leeway: DefaultLeeway, now: time.Now, random: rand.Reader}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Option configures NewIssuer and NewVerifier.
type Option func(*config)

// WithIssuer sets the iss claim signed and required (default "ucx").
func WithIssuer(iss string) Option { return func(c *config) { c.issuer = iss } }

// WithAudience sets the aud claim signed and required (default "ucx-gateway").
func WithAudience(aud string) Option { return func(c *config) { c.audience = aud } }

// WithLeeway sets the clock skew tolerated on exp, nbf and iat (Verifier; default 30 s).
func WithLeeway(d time.Duration) Option { return func(c *config) { c.leeway = d } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// withRandom sets the source of token IDs (tests that need the same tokens in every process).
func withRandom(r io.Reader) Option { return func(c *config) { c.random = r } }
