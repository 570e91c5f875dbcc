package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
	"github.com/ucx-export/ucx/gateway/httpapi"
	"github.com/ucx-export/ucx/gateway/ratelimit"
)

// Demo organisations of the tests.
const (
	demoExporter = "91440300MA5GK7R3DQ"
	otherOrg     = "91310115MA1K4RWN72"
	// kzExporter is the exporter of the fixture filing clean-m1-kz: only it may file it.
	kzExporter = "91654004MA78HK2T5H"
)

// tokens mints the test server's tokens.
type tokens struct {
	key ed25519.PrivateKey
	iss *auth.Issuer
}

func newTokens(t testing.TB) *tokens {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return &tokens{key: key, iss: auth.NewIssuer(key)}
}

func (k *tokens) verifier(t testing.TB) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier([]ed25519.PublicKey{k.key.Public().(ed25519.PublicKey)})
	require.NoError(t, err)
	return v
}

// token returns a valid token of the role and organisation, for subject "clerk-1".
func (k *tokens) token(t testing.TB, role gateway.Role, org string) string {
	t.Helper()
	return k.tokenOf(t, "clerk-1", role, org)
}

func (k *tokens) tokenOf(t testing.TB, sub string, role gateway.Role, org string) string {
	t.Helper()
	tok, err := k.iss.Issue(sub, role, org, time.Hour)
	require.NoError(t, err)
	return tok
}

// signed signs any claims with key under the kid of kidKey, as the holder of key would.
func signed(t testing.TB, key ed25519.PrivateKey, kidKey ed25519.PrivateKey, edit func(c jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{"iss": auth.DefaultIssuer, "aud": []string{auth.DefaultAudience}, "sub": "clerk-1", "role": "exporter", "org": kzExporter,
		"jti": "j-1", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	edit(c)
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = auth.KeyID(kidKey.Public().(ed25519.PublicKey))
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// newSecureServer is a test server with authentication by k's key, configured further by
// configure.
func newSecureServer(t testing.TB, k *tokens, configure func(*httpapi.Config)) *testServer {
	t.Helper()
	return openTestServerConfig(t, t.TempDir(), false, testLogOutput(), func(c *httpapi.Config) {
		c.Auth = k.verifier(t)
		if configure != nil {
			configure(c)
		}
	})
}

// send sends a request with header lines given as name, value pairs (a name may repeat).
func (s *testServer) send(method, target string, body []byte, headers ...string) *httptest.ResponseRecorder {
	s.t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.api.ServeHTTP(w, req)
	return w
}

// envelopeOf decodes an error envelope: its code and the code of its first detail.
func envelopeOf(t testing.TB, w *httptest.ResponseRecorder) (code, reason string) {
	t.Helper()
	var env struct {
		Error struct {
			Code      string           `json:"code"`
			Message   string           `json:"message"`
			MessageZh string           `json:"messageZh"`
			Details   []gateway.Detail `json:"details"`
			RequestID string           `json:"requestId"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), w.Body.String())
	assert.NotEmpty(t, env.Error.Message)
	assert.NotEmpty(t, env.Error.MessageZh)
	assert.NotEmpty(t, env.Error.RequestID)
	if len(env.Error.Details) > 0 {
		reason = env.Error.Details[0].Code
	}
	return env.Error.Code, reason
}

// TestPublicRoutesNeedNoToken: health, the API description, the verification routes and
// the published keys answer without a token; an unknown path is 404, not 401; every other
// route answers 401 UNAUTHENTICATED with a Bearer challenge, and 200 with a token.
func TestPublicRoutesNeedNoToken(t *testing.T) {
	k := newTokens(t)
	s := newSecureServer(t, k, nil)
	for _, path := range []string{"/healthz", "/openapi.json", "/v1/keys/credit-report"} {
		assert.Equal(t, http.StatusOK, s.send(http.MethodGet, path, nil).Code, path)
	}
	for _, path := range []string{"/v1/verify/vehicles/AAAA-BBBB-CCCC-DDDD", "/verify/vehicles/AAAA-BBBB-CCCC-DDDD", "/v1/verify/credit/AAAA-BBBB-CCCC-DDDD", "/no/such/route"} {
		w := s.send(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusNotFound, w.Code, path)
		assert.Empty(t, w.Header().Get("WWW-Authenticate"), path)
	}

	w := s.send(http.MethodGet, "/v1/rulesets", nil)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, `Bearer realm="ucx"`, w.Header().Get("WWW-Authenticate"), "no error attribute when no token was sent (RFC 6750 §3.1)")
	code, reason := envelopeOf(t, w)
	assert.Equal(t, gateway.EUNAUTHENTICATED, code)
	assert.Equal(t, auth.ReasonMissing, reason)

	tok := k.token(t, gateway.RoleCommerce, "commerce")
	assert.Equal(t, http.StatusOK, s.send(http.MethodGet, "/v1/rulesets", nil, "Authorization", "Bearer "+tok).Code)
	assert.Equal(t, http.StatusOK, s.send(http.MethodGet, "/v1/rulesets", nil, "Authorization", "bearer "+tok).Code, "the scheme is case-insensitive")
}

// TestTokenAbuseChangesNothing sends a filing with each kind of bad credentials (issue 7 §6):
// each answers 401 UNAUTHENTICATED with its reason, never repeats the token, and nothing is
// filed; the same filing with a valid token is filed.
func TestTokenAbuseChangesNothing(t *testing.T) {
	k := newTokens(t)
	s := newSecureServer(t, k, nil)
	_, stranger, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	good := k.token(t, gateway.RoleExporter, kzExporter)
	parts := strings.Split(good, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	escalated := parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(claims, []byte(`"role":"exporter"`), []byte(`"role":"admin"`), 1)) + "." + parts[2]
	require.NotEqual(t, good, escalated)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": auth.DefaultIssuer, "aud": auth.DefaultAudience, "sub": "x", "role": "admin", "org": "ucx",
		"jti": "j", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	hs.Header["kid"] = auth.KeyID(k.key.Public().(ed25519.PublicKey))
	hsToken, err := hs.SignedString([]byte(k.key.Public().(ed25519.PublicKey)))
	require.NoError(t, err)
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"`+auth.KeyID(k.key.Public().(ed25519.PublicKey))+`"}`)) + "." + parts[1] + "."
	past, future := time.Now().Add(-3*time.Hour), time.Now().Add(3*time.Hour)

	cases := []struct {
		name      string
		target    string
		headers   []string
		reason    string
		challenge string
	}{
		{"no Authorization header", "/v1/filings", nil, auth.ReasonMissing, ""},
		{"two Authorization headers", "/v1/filings", []string{"Authorization", "Bearer " + good, "Authorization", "Bearer " + good}, auth.ReasonHeader, "invalid_request"},
		{"Basic instead of Bearer", "/v1/filings", []string{"Authorization", "Basic dXNlcjpwYXNz"}, auth.ReasonHeader, "invalid_request"},
		{"Bearer without a token", "/v1/filings", []string{"Authorization", "Bearer "}, auth.ReasonHeader, "invalid_request"},
		{"two tokens in one header", "/v1/filings", []string{"Authorization", "Bearer " + good + ", Bearer " + good}, auth.ReasonHeader, "invalid_request"},
		{"token in the query string", "/v1/filings?access_token=" + good, nil, auth.ReasonInQuery, "invalid_request"},
		{"token in the query string besides a valid header", "/v1/filings?access_token=" + good, []string{"Authorization", "Bearer " + good}, auth.ReasonInQuery, "invalid_request"},
		{"expired", "/v1/filings", []string{"Authorization", "Bearer " + signed(t, k.key, k.key, func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = past.Unix(), past.Unix(), past.Add(time.Hour).Unix()
		})}, auth.ReasonExpired, "invalid_token"},
		{"not yet valid", "/v1/filings", []string{"Authorization", "Bearer " + signed(t, k.key, k.key, func(c jwt.MapClaims) { c["nbf"], c["exp"] = future.Unix(), future.Add(time.Hour).Unix() })}, auth.ReasonNotYetValid, "invalid_token"},
		{"signed by another key under the gateway's kid", "/v1/filings", []string{"Authorization", "Bearer " + signed(t, stranger, k.key, func(jwt.MapClaims) {})}, auth.ReasonSignature, "invalid_token"},
		{"unknown kid", "/v1/filings", []string{"Authorization", "Bearer " + signed(t, stranger, stranger, func(jwt.MapClaims) {})}, auth.ReasonUnknownKey, "invalid_token"},
		{"alg none", "/v1/filings", []string{"Authorization", "Bearer " + none}, auth.ReasonAlgorithm, "invalid_token"},
		{"HS256 keyed with the public key", "/v1/filings", []string{"Authorization", "Bearer " + hsToken}, auth.ReasonAlgorithm, "invalid_token"},
		{"tampered: role edited to admin, signature kept", "/v1/filings", []string{"Authorization", "Bearer " + escalated}, auth.ReasonSignature, "invalid_token"},
		{"role not in the list", "/v1/filings", []string{"Authorization", "Bearer " + signed(t, k.key, k.key, func(c jwt.MapClaims) { c["role"] = "superuser" })}, auth.ReasonClaim, "invalid_token"},
		{"org of the wrong form for the role", "/v1/filings", []string{"Authorization", "Bearer " + signed(t, k.key, k.key, func(c jwt.MapClaims) { c["org"] = "commerce" })}, auth.ReasonClaim, "invalid_token"},
		{"garbage", "/v1/filings", []string{"Authorization", "Bearer not-a-token"}, auth.ReasonMalformed, "invalid_token"},
	}
	body := fixture(t, "clean-m1-kz")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := s.send(http.MethodPost, c.target, body, c.headers...)
			require.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
			code, reason := envelopeOf(t, w)
			assert.Equal(t, gateway.EUNAUTHENTICATED, code)
			assert.Equal(t, c.reason, reason)
			want := `Bearer realm="ucx"`
			if c.challenge != "" {
				want += `, error="` + c.challenge + `"`
			}
			assert.Equal(t, want, w.Header().Get("WWW-Authenticate"))
			for _, seg := range strings.Split(good, ".") {
				assert.NotContains(t, w.Body.String(), seg, "the answer never repeats the token")
			}
		})
	}
	var doc struct {
		Vehicle struct {
			VIN string `json:"vin"`
		} `json:"vehicle"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	page, err := s.watch.Trace(context.Background(), doc.Vehicle.VIN, 10, "")
	require.NoError(t, err)
	assert.Empty(t, page.Events, "nothing was filed")

	w := s.send(http.MethodPost, "/v1/filings", body, "Authorization", "Bearer "+good)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	page, err = s.watch.Trace(context.Background(), doc.Vehicle.VIN, 10, "")
	require.NoError(t, err)
	assert.Len(t, page.Events, 1, "the valid token's filing is on the trace")
}

// TestRateLimits: a caller's burst, then 429 RATE_LIMITED with Retry-After in whole seconds;
// other callers and other classes are not slowed; public routes are limited per client IP,
// and X-Forwarded-For counts only from a trusted proxy.
func TestRateLimits(t *testing.T) {
	k := newTokens(t)
	rates := ratelimit.Rates{ratelimit.Public: {Limit: 1.0 / 60, Burst: 1}, ratelimit.Read: {Limit: 0.5, Burst: 2}, ratelimit.Write: {Limit: 1.0 / 3600, Burst: 1}}
	s := newSecureServer(t, k, func(c *httpapi.Config) {
		c.Limiter = ratelimit.NewMemory(rates)
		c.TrustedProxies = []string{"10.0.0.1"}
	})
	clerk := "Bearer " + k.tokenOf(t, "clerk-1", gateway.RoleExporter, kzExporter)
	for range 2 {
		require.Equal(t, http.StatusOK, s.send(http.MethodGet, "/v1/rulesets", nil, "Authorization", clerk).Code)
	}
	w := s.send(http.MethodGet, "/v1/rulesets", nil, "Authorization", clerk)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	code, _ := envelopeOf(t, w)
	assert.Equal(t, gateway.ERATELIMITED, code)
	assert.Equal(t, "2", w.Header().Get("Retry-After"), "a token every 2 s")

	colleague := "Bearer " + k.tokenOf(t, "clerk-2", gateway.RoleExporter, kzExporter)
	assert.Equal(t, http.StatusOK, s.send(http.MethodGet, "/v1/rulesets", nil, "Authorization", colleague).Code, "another subject has its own bucket")
	other := "Bearer " + k.tokenOf(t, "clerk-1", gateway.RoleExporter, otherOrg)
	assert.Equal(t, http.StatusOK, s.send(http.MethodGet, "/v1/rulesets", nil, "Authorization", other).Code, "so has the same subject of another org")
	w = s.send(http.MethodPost, "/v1/filings?dryRun=true", fixture(t, "clean-m1-kz"), "Authorization", clerk)
	assert.Equal(t, http.StatusOK, w.Code, "writes have their own bucket: %s", w.Body.String())
	w = s.send(http.MethodPost, "/v1/filings?dryRun=true", fixture(t, "clean-m1-kz"), "Authorization", clerk)
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "3600", w.Header().Get("Retry-After"))

	from := func(remote, forwarded string) int {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.RemoteAddr = remote + ":40000"
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		rec := httptest.NewRecorder()
		s.api.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusOK, from("192.0.2.1", ""))
	assert.Equal(t, http.StatusTooManyRequests, from("192.0.2.1", ""), "public routes: per client IP")
	assert.Equal(t, http.StatusTooManyRequests, from("192.0.2.1", "198.51.100.7"), "X-Forwarded-For from an untrusted peer is ignored")
	assert.Equal(t, http.StatusOK, from("192.0.2.2", ""), "another IP has its own bucket")
	assert.Equal(t, http.StatusOK, from("10.0.0.1", "198.51.100.7"), "a trusted proxy names the client")
	assert.Equal(t, http.StatusOK, from("10.0.0.1", "198.51.100.8"))
	assert.Equal(t, http.StatusTooManyRequests, from("10.0.0.1", "198.51.100.7"))

	assert.Equal(t, http.StatusUnauthorized, s.send(http.MethodGet, "/v1/rulesets", nil).Code, "no token: refused before any bucket")
}

// brokenLimiter fails like a Redis limiter with Redis down and no fallback.
type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, ratelimit.Class) (bool, time.Duration, error) {
	return false, 0, gateway.Errorf(gateway.EUNAVAILABLE, "rate limiter unavailable", "限流服务不可用")
}

// TestRateLimiterFailsOpen: when the limiter fails the request is served, and the failure is
// logged (never the token).
func TestRateLimiterFailsOpen(t *testing.T) {
	k := newTokens(t)
	var logs syncBuffer
	s := newSecureServer(t, k, func(c *httpapi.Config) {
		c.Limiter = brokenLimiter{}
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	tok := k.token(t, gateway.RoleCustoms, "customs")
	assert.Equal(t, http.StatusOK, s.send(http.MethodGet, "/v1/rulesets", nil, "Authorization", "Bearer "+tok).Code)
	assert.Contains(t, string(logs.Bytes()), "rate limiter failed")
	assert.NotContains(t, string(logs.Bytes()), strings.Split(tok, ".")[2])
}

// TestSecurityHeaders: every answer, success, error and refusal alike, forbids sniffing,
// framing and referrers; HSTS only on TLS (TestTLSAndMutualTLS).
func TestSecurityHeaders(t *testing.T) {
	s := newSecureServer(t, newTokens(t), nil)
	for _, path := range []string{"/healthz", "/no/such/route", "/v1/rulesets"} {
		w := s.send(http.MethodGet, path, nil)
		h := w.Header()
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "DENY", h.Get("X-Frame-Options"), path)
		assert.Equal(t, "frame-ancestors 'none'", h.Get("Content-Security-Policy"), path)
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), path)
		assert.Empty(t, h.Get("Strict-Transport-Security"), "no HSTS over plain HTTP: %s", path)
		assert.Empty(t, h.Get("Access-Control-Allow-Origin"), "no CORS unless configured: %s", path)
	}
}

// TestCORS: without configured origins a browser gets no CORS headers (and a preflight is
// 405); with them, an allowed origin's preflight is answered 204 without a token and its
// responses are readable; any other origin gets nothing.
func TestCORS(t *testing.T) {
	k := newTokens(t)
	preflight := []string{"Origin", "https://portal.example.cn", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type"}

	off := newSecureServer(t, k, nil)
	w := off.send(http.MethodOptions, "/v1/filings", nil, preflight...)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))

	s := newSecureServer(t, k, func(c *httpapi.Config) { c.CORSOrigins = []string{"https://portal.example.cn"} })
	w = s.send(http.MethodOptions, "/v1/filings", nil, preflight...)
	require.Equal(t, http.StatusNoContent, w.Code, "a preflight needs no token")
	assert.Equal(t, "https://portal.example.cn", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, w.Header().Get("Access-Control-Allow-Methods"), "POST")
	assert.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "Authorization")
	assert.Contains(t, w.Header().Values("Vary"), "Origin")
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"), "bearer tokens, no cookies")

	tok := k.token(t, gateway.RoleCommerce, "commerce")
	w = s.send(http.MethodGet, "/v1/rulesets", nil, "Origin", "https://portal.example.cn", "Authorization", "Bearer "+tok)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "https://portal.example.cn", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, w.Header().Get("Access-Control-Expose-Headers"), "X-Request-Id")

	w = s.send(http.MethodOptions, "/v1/filings", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"), "an origin not listed")
	w = s.send(http.MethodGet, "/v1/rulesets", nil, "Origin", "http://portal.example.cn", "Authorization", "Bearer "+tok)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"), "the scheme is part of the origin")

	got, err := httpapi.ParseOrigins(" https://portal.example.cn, http://localhost:3000 ,")
	require.NoError(t, err)
	assert.Equal(t, []string{"https://portal.example.cn", "http://localhost:3000"}, got)
	for _, bad := range []string{"*", "portal.example.cn", "https://portal.example.cn/", "https://portal.example.cn/app", "ftp://x.cn", "HTTPS://portal.example.cn", "https://u@x.cn"} {
		_, err := httpapi.ParseOrigins(bad)
		assert.Error(t, err, bad)
	}
}
