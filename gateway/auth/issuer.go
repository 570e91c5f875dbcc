package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ucx-export/ucx/gateway"
)

// Issuer signs tokens with one Ed25519 key.
type Issuer struct {
	key ed25519.PrivateKey
	kid string
	cfg config
}

// NewIssuer returns an issuer signing with key. Options: WithIssuer, WithAudience, WithClock.
func NewIssuer(key ed25519.PrivateKey, opts ...Option) *Issuer {
	return &Issuer{key: key, kid: KeyID(key.Public().(ed25519.PublicKey)), cfg: newConfig(opts)}
}

// KeyID returns the kid of the issuer's key.
func (i *Issuer) KeyID() string { return i.kid }

// PublicKey returns the issuer's verification key.
func (i *Issuer) PublicKey() ed25519.PublicKey { return i.key.Public().(ed25519.PublicKey) }

// Issue returns a token for subject acting as role for org, valid from now for ttl (at most
// MaxTTL). The claims are checked as a Verifier checks them, so that an issued token is
// never one the gateway refuses for its content. Errors: EINVALID for a ttl out of range,
// EUNAUTHENTICATED (TOKEN_CLAIM_INVALID) for a bad subject, role or organisation.
func (i *Issuer) Issue(subject string, role gateway.Role, org string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxTTL {
		return "", gateway.Errorf(gateway.EINVALID, "the token lifetime must be positive and at most %s", "令牌有效期应大于0且不超过 %s", MaxTTL)
	}
	if err := checkSubject(subject); err != nil {
		return "", err
	}
	if err := CheckOrg(role, org); err != nil {
		return "", err
	}
	var id [16]byte
	if _, err := io.ReadFull(i.cfg.random, id[:]); err != nil {
		return "", fmt.Errorf("token ID: %w", err)
	}
	now := i.cfg.now().Truncate(time.Second)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.cfg.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{i.cfg.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(id[:]),
		},
		Role: role,
		Org:  org,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = i.kid
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}
