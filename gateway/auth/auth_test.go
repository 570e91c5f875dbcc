package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

// now is the fixed clock of these tests.
var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// Demo organisations, one per role.
const (
	exporterOrg  = "91440300MA5GK7R3DQ"
	inspectorOrg = "91120116MA05MR7W1W"
)

func newKey(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(tb, err)
	return k
}

func verifier(tb testing.TB, keys ...ed25519.PrivateKey) *auth.Verifier {
	tb.Helper()
	var pubs []ed25519.PublicKey
	for _, k := range keys {
		pubs = append(pubs, k.Public().(ed25519.PublicKey))
	}
	v, err := auth.NewVerifier(pubs, auth.WithClock(clock))
	require.NoError(tb, err)
	return v
}

// issue returns a token of key issued at the given time.
func issue(tb testing.TB, key ed25519.PrivateKey, at time.Time, role gateway.Role, org string, ttl time.Duration) string {
	tb.Helper()
	tok, err := auth.NewIssuer(key, auth.WithClock(func() time.Time { return at })).Issue("officer-7", role, org, ttl)
	require.NoError(tb, err)
	return tok
}

// validClaims are the claims the issuer would sign for an exporter, as a map to edit.
func validClaims(kid string) (map[string]any, map[string]any) {
	h := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid}
	c := map[string]any{
		"iss": auth.DefaultIssuer, "aud": []string{auth.DefaultAudience}, "sub": "officer-7",
		"role": "exporter", "org": exporterOrg, "jti": "j1",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	return h, c
}

func b64(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	require.NoError(tb, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// signRaw signs any header and claims with an Ed25519 key, as an attacker holding a key (or
// the real key's holder making a bad token) would.
func signRaw(tb testing.TB, key ed25519.PrivateKey, h, c map[string]any) string {
	tb.Helper()
	input := b64(tb, h) + "." + b64(tb, c)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(input)))
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	key := newKey(t)
	v := verifier(t, key)
	for _, c := range []struct {
		role gateway.Role
		org  string
	}{
		{gateway.RoleExporter, exporterOrg}, {gateway.RoleInspector, inspectorOrg}, {gateway.RolePolice, "police"},
		{gateway.RoleCustoms, "customs-5300"}, {gateway.RoleCommerce, "commerce"}, {gateway.RoleAdmin, "ucx"},
	} {
		t.Run(string(c.role), func(t *testing.T) {
			tok := issue(t, key, now.Add(-time.Minute), c.role, c.org, time.Hour)
			p, err := v.Verify(tok)
			require.NoError(t, err)
			assert.Equal(t, "officer-7", p.Subject)
			assert.Equal(t, c.role, p.Role)
			assert.Equal(t, c.org, p.Org)
			assert.Equal(t, auth.KeyID(key.Public().(ed25519.PublicKey)), p.KeyID)
			assert.NotEmpty(t, p.TokenID)
			assert.Equal(t, now.Add(-time.Minute+time.Hour), p.ExpiresAt)
		})
	}
	a := issue(t, key, now, gateway.RoleExporter, exporterOrg, time.Hour)
	b := issue(t, key, now, gateway.RoleExporter, exporterOrg, time.Hour)
	pa, _ := v.Verify(a)
	pb, _ := v.Verify(b)
	assert.NotEqual(t, pa.TokenID, pb.TokenID, "every token has its own jti")
}

// TestVerifyRefuses is the table of abuse cases (issue 7 §6): each is refused with
// UNAUTHENTICATED and the reason.
func TestVerifyRefuses(t *testing.T) {
	key, other := newKey(t), newKey(t)
	kid := auth.KeyID(key.Public().(ed25519.PublicKey))
	v := verifier(t, key)
	good := issue(t, key, now, gateway.RoleExporter, exporterOrg, time.Hour)
	parts := strings.Split(good, ".")

	edited := func(edit func(h, c map[string]any)) string {
		h, c := validClaims(kid)
		edit(h, c)
		return signRaw(t, key, h, c)
	}
	hs256 := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": auth.DefaultIssuer, "aud": auth.DefaultAudience, "sub": "x",
			"role": "admin", "org": "ucx", "jti": "j", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(secret)
		require.NoError(t, err)
		return s
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	tamper := func(edit func(c map[string]any)) string {
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		var c map[string]any
		require.NoError(t, json.Unmarshal(raw, &c))
		edit(c)
		return parts[0] + "." + b64(t, c) + "." + parts[2]
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])

	cases := []struct {
		name, token, reason string
	}{
		{"expired", issue(t, key, now.Add(-2*time.Hour), gateway.RoleExporter, exporterOrg, time.Hour), auth.ReasonExpired},
		{"expired beyond the leeway", issue(t, key, now.Add(-time.Hour-time.Minute), gateway.RoleExporter, exporterOrg, time.Hour), auth.ReasonExpired},
		{"not yet valid", issue(t, key, now.Add(time.Hour), gateway.RoleExporter, exporterOrg, time.Hour), auth.ReasonNotYetValid},
		{"nbf in the future, iat now", edited(func(h, c map[string]any) { c["nbf"] = now.Add(10 * time.Minute).Unix() }), auth.ReasonNotYetValid},
		{"signed by another key under a known kid", signRaw(t, other, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid}, func() map[string]any { _, c := validClaims(kid); return c }()), auth.ReasonSignature},
		{"unknown kid (another gateway's key)", issue(t, other, now, gateway.RoleExporter, exporterOrg, time.Hour), auth.ReasonUnknownKey},
		{"kid missing", edited(func(h, c map[string]any) { delete(h, "kid") }), auth.ReasonMalformed},
		{"alg none, no signature", b64(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + parts[1] + ".", auth.ReasonAlgorithm},
		{"alg none with the real signature", b64(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + parts[1] + "." + parts[2], auth.ReasonAlgorithm},
		{"alg missing", b64(t, map[string]any{"typ": "JWT", "kid": kid}) + "." + parts[1] + "." + parts[2], auth.ReasonAlgorithm},
		{"alg in lower case", edited(func(h, c map[string]any) { h["alg"] = "eddsa" }), auth.ReasonAlgorithm},
		{"HS256 with the public key bytes as HMAC secret", hs256(key.Public().(ed25519.PublicKey)), auth.ReasonAlgorithm},
		{"HS256 with the public key PEM as HMAC secret", hs256(pubPEM), auth.ReasonAlgorithm},
		{"embedded jwk in the header", edited(func(h, c map[string]any) { h["jwk"] = map[string]any{"kty": "OKP"} }), auth.ReasonMalformed},
		{"crit in the header", edited(func(h, c map[string]any) { h["crit"] = []string{"exp"} }), auth.ReasonMalformed},
		{"another typ", edited(func(h, c map[string]any) { h["typ"] = "at+jwt" }), auth.ReasonMalformed},
		{"tampered: role raised to admin", tamper(func(c map[string]any) { c["role"], c["org"] = "admin", "ucx" }), auth.ReasonSignature},
		{"tampered: another exporter's org", tamper(func(c map[string]any) { c["org"] = "91310115MA1K4RWN72" }), auth.ReasonSignature},
		{"tampered: exp extended", tamper(func(c map[string]any) { c["exp"] = now.Add(24 * time.Hour).Unix() }), auth.ReasonSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(issue(t, key, now, gateway.RoleAdmin, "ucx", time.Hour), ".")[2], auth.ReasonSignature},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:40], auth.ReasonSignature},
		{"signature base64 with padding", good + "==", auth.ReasonMalformed},
		{"signature in standard base64", parts[0] + "." + parts[1] + "." + base64.RawStdEncoding.EncodeToString(append([]byte{0xfb, 0xff}, sig[2:]...)), auth.ReasonMalformed},
		{"role not in the list", edited(func(h, c map[string]any) { c["role"] = "superuser" }), auth.ReasonClaim},
		{"role missing", edited(func(h, c map[string]any) { delete(c, "role") }), auth.ReasonClaim},
		{"role in upper case", edited(func(h, c map[string]any) { c["role"] = "ADMIN" }), auth.ReasonClaim},
		{"exporter with an agency org", edited(func(h, c map[string]any) { c["org"] = "customs" }), auth.ReasonClaim},
		{"exporter with a USCC of bad check character", edited(func(h, c map[string]any) { c["org"] = "91440300MA5GK7R3DA" }), auth.ReasonClaim},
		{"exporter with a lower-case USCC", edited(func(h, c map[string]any) { c["org"] = strings.ToLower(exporterOrg) }), auth.ReasonClaim},
		{"customs claiming the police org", edited(func(h, c map[string]any) { c["role"], c["org"] = "customs", "police" }), auth.ReasonClaim},
		{"police with a USCC", edited(func(h, c map[string]any) { c["role"] = "police" }), auth.ReasonClaim},
		{"admin with an empty org", edited(func(h, c map[string]any) { c["role"], c["org"] = "admin", "" }), auth.ReasonClaim},
		{"subject missing", edited(func(h, c map[string]any) { delete(c, "sub") }), auth.ReasonClaim},
		{"subject with a space", edited(func(h, c map[string]any) { c["sub"] = "a b" }), auth.ReasonClaim},
		{"jti missing", edited(func(h, c map[string]any) { delete(c, "jti") }), auth.ReasonClaim},
		{"iat missing", edited(func(h, c map[string]any) { delete(c, "iat") }), auth.ReasonClaim},
		{"iat in the future", edited(func(h, c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), auth.ReasonNotYetValid},
		{"exp missing", edited(func(h, c map[string]any) { delete(c, "exp") }), auth.ReasonClaim},
		{"exp as a string", edited(func(h, c map[string]any) { c["exp"] = "tomorrow" }), auth.ReasonMalformed},
		{"lifetime over the maximum", edited(func(h, c map[string]any) { c["exp"] = now.Add(auth.MaxTTL + time.Hour).Unix() }), auth.ReasonClaim},
		{"another issuer", edited(func(h, c map[string]any) { c["iss"] = "evil" }), auth.ReasonClaim},
		{"issuer missing", edited(func(h, c map[string]any) { delete(c, "iss") }), auth.ReasonClaim},
		{"another audience", edited(func(h, c map[string]any) { c["aud"] = "other-api" }), auth.ReasonClaim},
		{"audience missing", edited(func(h, c map[string]any) { delete(c, "aud") }), auth.ReasonClaim},
		{"empty", "", auth.ReasonMalformed},
		{"two segments", parts[0] + "." + parts[1], auth.ReasonMalformed},
		{"four segments", good + ".x", auth.ReasonMalformed},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("not json")) + "." + parts[1] + "." + parts[2], auth.ReasonMalformed},
		{"header a JSON array", base64.RawURLEncoding.EncodeToString([]byte(`["EdDSA"]`)) + "." + parts[1] + "." + parts[2], auth.ReasonMalformed},
		{"claims not JSON", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + parts[2], auth.ReasonMalformed},
		{"too long", parts[0] + "." + strings.Repeat("A", 5000) + "." + parts[2], auth.ReasonMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := v.Verify(c.token)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Equal(t, gateway.EUNAUTHENTICATED, gateway.ErrorCode(err))
			assert.Equal(t, c.reason, auth.Reason(err), "%v", err)
			en, zh := gateway.ErrorMessages(err)
			assert.NotEmpty(t, en)
			assert.NotEmpty(t, zh)
			if len(c.token) > 20 {
				for _, seg := range strings.Split(c.token, ".") {
					if len(seg) > 8 {
						assert.NotContains(t, err.Error(), seg, "the error never repeats the token")
					}
				}
			}
		})
	}
}

// TestVerifyLeeway: a token expired or starting within the leeway (30 s) is still accepted,
// for clocks that differ slightly; beyond it, it is not.
func TestVerifyLeeway(t *testing.T) {
	key := newKey(t)
	v := verifier(t, key)
	_, err := v.Verify(issue(t, key, now.Add(-time.Hour-20*time.Second), gateway.RoleAdmin, "ucx", time.Hour))
	assert.NoError(t, err, "expired 20 s ago")
	_, err = v.Verify(issue(t, key, now.Add(20*time.Second), gateway.RoleAdmin, "ucx", time.Hour))
	assert.NoError(t, err, "valid in 20 s")
	_, err = v.Verify(issue(t, key, now.Add(-time.Hour-40*time.Second), gateway.RoleAdmin, "ucx", time.Hour))
	assert.Equal(t, auth.ReasonExpired, auth.Reason(err), "expired 40 s ago")
}

// TestRotation: while a key rotates the verifier lists both public keys and accepts tokens of
// either; once the old key is dropped, its tokens are refused as TOKEN_UNKNOWN_KEY.
func TestRotation(t *testing.T) {
	old, next := newKey(t), newKey(t)
	oldTok := issue(t, old, now, gateway.RoleCustoms, "customs", time.Hour)
	newTok := issue(t, next, now, gateway.RoleCustoms, "customs", time.Hour)
	both := verifier(t, old, next)
	for _, tok := range []string{oldTok, newTok} {
		_, err := both.Verify(tok)
		assert.NoError(t, err)
	}
	assert.Len(t, both.KeyIDs(), 2)
	after := verifier(t, next)
	_, err := after.Verify(oldTok)
	assert.Equal(t, auth.ReasonUnknownKey, auth.Reason(err))
	_, err = after.Verify(newTok)
	assert.NoError(t, err)

	_, err = auth.NewVerifier(nil)
	assert.Error(t, err, "a verifier without keys is refused")
}

func TestIssueRefusesBadClaims(t *testing.T) {
	iss := auth.NewIssuer(newKey(t), auth.WithClock(clock))
	for _, c := range []struct {
		name, sub string
		role      gateway.Role
		org       string
		ttl       time.Duration
		code      string
	}{
		{"unknown role", "s", "root", "ucx", time.Hour, gateway.EUNAUTHENTICATED},
		{"exporter without a USCC", "s", gateway.RoleExporter, "acme", time.Hour, gateway.EUNAUTHENTICATED},
		{"commerce with customs' org", "s", gateway.RoleCommerce, "customs", time.Hour, gateway.EUNAUTHENTICATED},
		{"empty subject", "", gateway.RoleAdmin, "ucx", time.Hour, gateway.EUNAUTHENTICATED},
		{"no lifetime", "s", gateway.RoleAdmin, "ucx", 0, gateway.EINVALID},
		{"lifetime over the maximum", "s", gateway.RoleAdmin, "ucx", auth.MaxTTL + time.Second, gateway.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := iss.Issue(c.sub, c.role, c.org, c.ttl)
			assert.Equal(t, c.code, gateway.ErrorCode(err))
		})
	}
}

func TestCheckOrg(t *testing.T) {
	for _, c := range []struct {
		role gateway.Role
		org  string
		ok   bool
	}{
		{gateway.RoleExporter, exporterOrg, true},
		{gateway.RoleExporter, "91440300MA5GK7R3D", false},
		{gateway.RoleExporter, "91440300 MA5GK7R3DQ", false},
		{gateway.RoleInspector, inspectorOrg, true},
		{gateway.RoleInspector, "inspector", false},
		{gateway.RolePolice, "police", true},
		{gateway.RolePolice, "police-440300", true},
		{gateway.RolePolice, "police-", false},
		{gateway.RolePolice, "Police", false},
		{gateway.RolePolice, "customs-5300", false},
		{gateway.RoleCustoms, "customs-5300", true},
		{gateway.RoleCustoms, "customs-" + strings.Repeat("1", 25), false},
		{gateway.RoleCommerce, "commerce", true},
		{gateway.RoleCommerce, "commerce-shenzhen", true},
		{gateway.RoleAdmin, "ucx", true},
		{gateway.RoleAdmin, "ucx-ops-2", true},
		{gateway.RoleAdmin, "UCX", false},
		{gateway.RoleAdmin, strings.Repeat("u", 33), false},
		{"auditor", "ucx", false},
	} {
		err := auth.CheckOrg(c.role, c.org)
		if c.ok {
			assert.NoError(t, err, "%s %s", c.role, c.org)
		} else {
			assert.Equal(t, auth.ReasonClaim, auth.Reason(err), "%s %q", c.role, c.org)
		}
	}
}
