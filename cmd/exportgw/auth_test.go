package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

// testIssuer signs the tokens of the tests' requests: TestMain makes every gateway the tests
// start trust its key (UCX_TOKEN_KEY, inherited by the binaries they run), and turns the rate
// limits off (UCX_RATE_*) so that load and journey tests are not slowed; the tests below set
// their own.
var testIssuer *auth.Issuer

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exportgw-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	keyFile := filepath.Join(dir, "token-signing.pem")
	key, err := auth.LoadOrCreateKey(keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testIssuer = auth.NewIssuer(key)
	os.Setenv("UCX_TOKEN_KEY", keyFile)
	os.Setenv("UCX_TOKEN_KEYS", "")
	for _, v := range []string{"UCX_RATE_PUBLIC", "UCX_RATE_READ", "UCX_RATE_WRITE"} {
		os.Setenv(v, "off")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// api is the tests' HTTP client: it adds a bearer token of testIssuer to every request that
// has no Authorization header, for the caller testPrincipal picks.
var api = &http.Client{Transport: &bearer{next: http.DefaultTransport}}

// testPrincipal is who makes a test request, as the access policy (httpapi/policy.go) wants
// it: an exporter files for the exporter its filing names and objects for the exporter in the
// path; an inspection agency submits as the report's agency; an agency posts events and credit
// events as the body's org; the operators manage webhook subscriptions; commerce, which may
// read every exporter's filings, vehicles and credit, makes the other calls. The subject is the
// body's actor (or reviewer) when it names one, since agencies write as their token's subject.
func testPrincipal(req *http.Request) (role gateway.Role, org, subject string) {
	var body struct {
		Org      string `json:"org"`
		Actor    string `json:"actor"`
		Reviewer string `json:"reviewer"`
		Exporter struct {
			USCC string `json:"uscc"`
		} `json:"exporter"`
		Report struct {
			Agency struct {
				USCC string `json:"uscc"`
			} `json:"agency"`
		} `json:"report"`
	}
	if req.GetBody != nil {
		if r, err := req.GetBody(); err == nil {
			_ = json.NewDecoder(r).Decode(&body)
			r.Close()
		}
	}
	subject = "exportgw-test"
	for _, s := range []string{body.Actor, body.Reviewer} {
		if s != "" {
			subject = s
			break
		}
	}
	path, post := req.URL.Path, req.Method == http.MethodPost
	switch {
	case post && (path == "/v1/filings" || path == "/v1/filing-batches"):
		return gateway.RoleExporter, body.Exporter.USCC, subject
	case post && path == "/v1/inspection-reports":
		return gateway.RoleInspector, body.Report.Agency.USCC, subject
	case post && strings.HasSuffix(path, "/credit-cases"):
		return gateway.RoleExporter, strings.Split(path, "/")[3], subject // /v1/exporters/{uscc}/credit-cases
	case post && (strings.HasSuffix(path, "/events") || strings.HasSuffix(path, "/credit-events")) && body.Org != "":
		return gateway.Role(body.Org), body.Org, subject
	case post && path == "/v1/customs/clearances":
		return gateway.RoleCustoms, "customs", subject
	case strings.HasPrefix(path, "/v1/webhooks/"):
		return gateway.RoleAdmin, "ucx", subject
	default:
		return gateway.RoleCommerce, "commerce", subject
	}
}

type bearer struct {
	next   http.RoundTripper
	mu     sync.Mutex
	tokens map[string]string
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return b.next.RoundTrip(req)
	}
	role, org, subject := testPrincipal(req)
	key := string(role) + "|" + org + "|" + subject
	b.mu.Lock()
	if b.tokens == nil {
		b.tokens = map[string]string{}
	}
	tok, ok := b.tokens[key]
	if !ok {
		var err error
		if tok, err = testIssuer.Issue(subject, role, org, 24*time.Hour); err != nil {
			b.mu.Unlock()
			return nil, fmt.Errorf("test token for %s: %w", key, err)
		}
		b.tokens[key] = tok
	}
	b.mu.Unlock()
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return b.next.RoundTrip(req)
}

// call sends a GET with the given Authorization header value ("" for none) through a client
// c and returns the status, the error envelope's first detail code and the response.
func call(t *testing.T, c *http.Client, url, authorization string) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		Error struct {
			Details []gateway.Detail `json:"details"`
		} `json:"error"`
	}
	reason := ""
	if json.Unmarshal(b, &env) == nil && len(env.Error.Details) > 0 {
		reason = env.Error.Details[0].Code
	}
	return resp.StatusCode, reason, resp
}

// TestTokensWithTheDataDirectoryKey: without a configured key the gateway creates its own
// in the data directory on first start, logs its kid (never a token), and accepts the tokens
// exportctl signs with that file, only those; a restart keeps the key. Public routes need
// no token.
func TestTokensWithTheDataDirectoryKey(t *testing.T) {
	t.Setenv("UCX_TOKEN_KEY", "")
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0")
	dir := t.TempDir()
	base, logs, all, stop := runLogged(t, "--data-dir", dir)
	key, err := auth.LoadKey(filepath.Join(dir, auth.KeyFile))
	require.NoError(t, err, "created in the data directory")
	kid := auth.KeyID(key.Public().(ed25519.PublicKey))
	assert.Equal(t, []any{kid}, logs["token keys"]["kids"])
	tok, err := auth.NewIssuer(key).Issue("clerk-1", gateway.RoleExporter, "91440300MA5GK7R3DQ", time.Hour)
	require.NoError(t, err)

	status, _, _ := call(t, http.DefaultClient, base+"/healthz", "")
	assert.Equal(t, http.StatusOK, status)
	status, reason, resp := call(t, http.DefaultClient, base+"/v1/rulesets", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, auth.ReasonMissing, reason)
	assert.Equal(t, `Bearer realm="ucx"`, resp.Header.Get("WWW-Authenticate"))
	status, reason, _ = call(t, api, base+"/v1/rulesets", "")
	assert.Equal(t, http.StatusUnauthorized, status, "a token of another key")
	assert.Equal(t, auth.ReasonUnknownKey, reason)
	status, _, _ = call(t, http.DefaultClient, base+"/v1/rulesets", "Bearer "+tok)
	assert.Equal(t, http.StatusOK, status)
	stop()
	assert.NotContains(t, all.String(), strings.Split(tok, ".")[2], "the logs never hold a token")

	_, logs, stop = runInProcess(t, "--data-dir", dir)
	assert.Equal(t, []any{kid}, logs["token keys"]["kids"], "the same key after a restart")
	stop()
}

// TestTokenKeysFile: with --token-keys the gateway accepts the tokens of every listed key
// (old and new while a key rotates) and creates no key of its own.
func TestTokenKeysFile(t *testing.T) {
	t.Setenv("UCX_TOKEN_KEY", "")
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0")
	dir, keys := t.TempDir(), t.TempDir()
	var entries []auth.PublicKey
	var toks []string
	for _, name := range []string{"old.pem", "new.pem"} {
		k, err := auth.LoadOrCreateKey(filepath.Join(keys, name))
		require.NoError(t, err)
		entries = append(entries, auth.PublicKeyOf(k))
		tok, err := auth.NewIssuer(k).Issue("officer-2", gateway.RoleCustoms, "customs", time.Hour)
		require.NoError(t, err)
		toks = append(toks, tok)
	}
	ring, err := json.Marshal(entries)
	require.NoError(t, err)
	ringFile := filepath.Join(keys, "token-keys.json")
	require.NoError(t, os.WriteFile(ringFile, ring, 0o600))

	base, logs, stop := runInProcess(t, "--data-dir", dir, "--token-keys", ringFile)
	defer stop()
	assert.Len(t, logs["token keys"]["kids"], 2)
	for i, tok := range toks {
		status, _, _ := call(t, http.DefaultClient, base+"/v1/rulesets", "Bearer "+tok)
		assert.Equal(t, http.StatusOK, status, "key %d", i)
	}
	assert.NoFileExists(t, filepath.Join(dir, auth.KeyFile), "no key of its own")

	require.NoError(t, os.WriteFile(ringFile, []byte(`[{"kid":"wrong","publicKey":"`+entries[0].PublicKey+`"}]`), 0o600))
	err = realMain(t.Context(), []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--token-keys", ringFile}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "--token-keys", "a bad keyring stops the start")
}

// TestRateLimitedEndToEnd: past the read burst a caller gets 429 RATE_LIMITED with
// Retry-After in seconds.
func TestRateLimitedEndToEnd(t *testing.T) {
	t.Setenv("UCX_RATE_READ", "1/h:2")
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0")
	base, _, stop := runInProcess(t, "--data-dir", t.TempDir())
	defer stop()
	// A caller of its own: with UCX_REDIS_URL set the buckets live on in Redis.
	tok, err := testIssuer.Issue("reader-"+randomSuffix(), gateway.RoleCommerce, "commerce", time.Hour)
	require.NoError(t, err)
	for range 2 {
		status, _, _ := call(t, api, base+"/v1/rulesets", "Bearer "+tok)
		require.Equal(t, http.StatusOK, status)
	}
	status, _, resp := call(t, api, base+"/v1/rulesets", "Bearer "+tok)
	assert.Equal(t, http.StatusTooManyRequests, status)
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err, "whole seconds")
	assert.Greater(t, secs, 3500)
}

// TestTLSEndToEnd serves HTTPS with mTLS for customs: an exporter's token works over TLS
// without a client certificate, customs needs one of the agencies' CA issued to "customs",
// and plain HTTP is not served.
func TestTLSEndToEnd(t *testing.T) {
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0")
	dir := t.TempDir()
	ca, caKey, caPEM := makeCA(t)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	srvCert, srvKey := makeLeaf(t, ca, caKey, "ucx", true)
	caFile := write("ca.pem", caPEM)
	base, logs, stop := runInProcess(t, "--data-dir", t.TempDir(), "--tls-cert", write("srv.pem", srvCert), "--tls-key", write("srv.key", srvKey),
		"--tls-client-ca", caFile, "--tls-client-roles", "customs")
	defer stop()
	require.True(t, strings.HasPrefix(base, "https://"))
	assert.Equal(t, true, logs["listening"]["mtls"])

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	plain := &http.Client{Transport: &bearer{next: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}}
	cliCert, cliKey := makeLeaf(t, ca, caKey, "customs", false)
	pair, err := tls.X509KeyPair(cliCert, cliKey)
	require.NoError(t, err)
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}

	exporter, err := testIssuer.Issue("clerk-1", gateway.RoleExporter, "91440300MA5GK7R3DQ", time.Hour)
	require.NoError(t, err)
	customs, err := testIssuer.Issue("officer-1", gateway.RoleCustoms, "customs", time.Hour)
	require.NoError(t, err)
	status, _, resp := call(t, plain, base+"/v1/rulesets", "Bearer "+exporter)
	assert.Equal(t, http.StatusOK, status)
	assert.NotEmpty(t, resp.Header.Get("Strict-Transport-Security"))
	status, reason, _ := call(t, plain, base+"/v1/rulesets", "Bearer "+customs)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, auth.ReasonClientCert, reason)
	status, _, _ = call(t, withCert, base+"/v1/rulesets", "Bearer "+customs)
	assert.Equal(t, http.StatusOK, status)

	status, _, _ = call(t, http.DefaultClient, "http://"+strings.TrimPrefix(base, "https://")+"/healthz", "")
	assert.Equal(t, http.StatusBadRequest, status, "plain HTTP to the TLS port")
}

func makeCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func makeLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, org string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: n, Subject: pkix.Name{CommonName: org, Organization: []string{org}}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

func TestConfigAccess(t *testing.T) {
	t.Setenv("UCX_RATE_WRITE", "5/s:9")
	t.Setenv("UCX_CORS_ORIGINS", "https://portal.example.cn")
	c, err := parseConfig(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "5/s:9", c.RateWrite)
	assert.Equal(t, "https://portal.example.cn", c.CORSOrigins)
	assert.Equal(t, defaultClientCertRoles, c.TLSClientRoles)
	assert.Nil(t, clientCertRoles(c), "client certificates only with --tls-client-ca")
	c, err = parseConfig([]string{"--rate-write", "off", "--trusted-proxies", "10.0.0.0/8, 192.0.2.1"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "off", c.RateWrite, "a flag wins over the environment")
	assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.1"}, splitList(c.TrustedProxies))

	for _, bad := range [][]string{
		{"--rate-read", "fast"}, {"--rate-public", "10/d"}, {"--cors-origins", "*"}, {"--trusted-proxies", "proxy.local"},
		{"--tls-cert", "c.pem"}, {"--tls-client-ca", "ca.pem"}, {"--tls-client-roles", "customs,judge"},
	} {
		_, err := parseConfig(bad, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
	var help strings.Builder
	_, _ = parseConfig([]string{"-h"}, &help)
	for _, env := range []string{"UCX_TOKEN_KEY", "UCX_TOKEN_KEYS", "UCX_RATE_PUBLIC", "UCX_RATE_READ", "UCX_RATE_WRITE", "UCX_TRUSTED_PROXIES",
		"UCX_CORS_ORIGINS", "UCX_TLS_CERT", "UCX_TLS_KEY", "UCX_TLS_CLIENT_CA", "UCX_TLS_CLIENT_ROLES"} {
		assert.Contains(t, help.String(), env)
	}
}
