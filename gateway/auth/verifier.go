package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ucx-export/ucx/gateway"
)

// Verifier checks tokens against a keyring: the public keys of every signing key whose
// tokens are still accepted, by kid. While a key rotates, both the old and the new public
// key are listed; the old one is removed once its last token has expired (MaxTTL at most).
type Verifier struct {
	keys   map[string]ed25519.PublicKey
	cfg    config
	parser *jwt.Parser
}

// NewVerifier returns a verifier of the tokens signed by any of keys (a key given twice
// counts once). Options: WithIssuer, WithAudience, WithLeeway, WithClock.
func NewVerifier(keys []ed25519.PublicKey, opts ...Option) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, errors.New("token verifier: no keys")
	}
	v := &Verifier{keys: map[string]ed25519.PublicKey{}, cfg: newConfig(opts)}
	for _, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("token verifier: not an Ed25519 public key")
		}
		v.keys[KeyID(k)] = k
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithStrictDecoding(),
		jwt.WithIssuer(v.cfg.issuer),
		jwt.WithAudience(v.cfg.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.cfg.leeway),
		jwt.WithTimeFunc(v.cfg.now),
	)
	return v, nil
}

// KeyIDs returns the kids of the verifier's keys, sorted.
func (v *Verifier) KeyIDs() []string {
	out := make([]string, 0, len(v.keys))
	for kid := range v.keys {
		out = append(out, kid)
	}
	sort.Strings(out)
	return out
}

// header is the only JOSE header the gateway accepts: alg EdDSA, typ JWT (optional), kid.
type header struct {
	Alg *string `json:"alg"`
	Typ *string `json:"typ"`
	Kid *string `json:"kid"`
}

// Verify checks token and returns the caller it names. Errors: EUNAUTHENTICATED with one
// detail whose code is the reason (TOKEN_MALFORMED, TOKEN_ALGORITHM, TOKEN_UNKNOWN_KEY,
// TOKEN_SIGNATURE_INVALID, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID, TOKEN_CLAIM_INVALID).
func (v *Verifier) Verify(token string) (*gateway.Principal, error) {
	if len(token) == 0 || len(token) > maxTokenLen || strings.Count(token, ".") != 2 {
		return nil, malformed()
	}
	h, err := parseHeader(token[:strings.IndexByte(token, '.')])
	if err != nil {
		return nil, err
	}
	key, ok := v.keys[*h.Kid]
	if !ok {
		return nil, Error(ReasonUnknownKey, "", "the token is signed with a key the gateway does not know (revoked, or from another gateway)", "令牌的签名密钥不被本网关认可（已撤销，或来自其他网关）")
	}
	var c Claims
	_, err = v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil })
	if err != nil {
		return nil, translate(err)
	}
	if err := v.checkClaims(&c); err != nil {
		return nil, err
	}
	return &gateway.Principal{Subject: c.Subject, Role: c.Role, Org: c.Org, TokenID: c.ID, KeyID: *h.Kid, ExpiresAt: c.ExpiresAt.UTC()}, nil
}

// malformed is the error of a token that is not three base64url segments of JSON.
func malformed() error {
	return Error(ReasonMalformed, "", "the bearer token is malformed", "持有者令牌格式不正确")
}

// parseHeader decodes the JOSE header strictly: alg must be EdDSA, typ (if any) JWT, kid a
// non-empty string, and nothing else may be there (no jwk, jku, x5u, crit …).
func parseHeader(seg string) (*header, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, malformed()
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil || generic == nil {
		return nil, malformed()
	}
	if alg, _ := generic["alg"].(string); alg != Algorithm {
		return nil, Error(ReasonAlgorithm, "", "the token must be signed with EdDSA (Ed25519); other algorithms, none and HMAC included, are refused",
			"令牌必须以 EdDSA（Ed25519）签名；其他算法（包括 none 和 HMAC）一律拒绝")
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil || h.Kid == nil || *h.Kid == "" || (h.Typ != nil && *h.Typ != "JWT") {
		return nil, Error(ReasonMalformed, "", "the token header must be exactly alg EdDSA, typ JWT and a kid", "令牌头只能包含 alg（EdDSA）、typ（JWT）和 kid")
	}
	return &h, nil
}

// translate turns a jwt parse error into the reason, the most telling first.
func translate(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return malformed()
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Error(ReasonSignature, "", "the token's signature is invalid (altered after signing, or signed with another key)", "令牌签名无效（签名后被修改，或由其他密钥签名）")
	case errors.Is(err, jwt.ErrTokenExpired):
		return Error(ReasonExpired, "/exp", "the token has expired: get a new one", "令牌已过期，请重新获取")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return Error(ReasonNotYetValid, "/nbf", "the token is not valid yet", "令牌尚未生效")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return claimError("exp", "is missing", "缺失")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return claimError("iss", "does not name this gateway's issuer", "不是本网关的签发方")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return claimError("aud", "does not name this gateway", "不是本网关")
	default:
		return Error(ReasonClaim, "", "the token's claims are invalid", "令牌声明无效")
	}
}

// checkClaims checks what the jwt package does not: the gateway's own claims, a token ID, an
// issue time and a lifetime of at most MaxTTL.
func (v *Verifier) checkClaims(c *Claims) error {
	if err := checkSubject(c.Subject); err != nil {
		return err
	}
	if err := CheckOrg(c.Role, c.Org); err != nil {
		return err
	}
	if !gateway.PrintableID(c.ID, 64) {
		return claimError("jti", "must be 1 to 64 printable ASCII characters", "应为1至64个可打印ASCII字符")
	}
	if c.IssuedAt == nil {
		return claimError("iat", "is missing", "缺失")
	}
	if c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxTTL+v.cfg.leeway {
		return claimError("exp", "makes the token live longer than "+MaxTTL.String(), "使令牌有效期超过 "+MaxTTL.String())
	}
	return nil
}
