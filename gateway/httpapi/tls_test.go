package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
	"github.com/ucx-export/ucx/gateway/httpapi"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a leaf certificate (PEM) and its key (PEM) for a server (with the loopback
// address) or a client of organisation org.
func (ca *testCA) issue(t testing.TB, org string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: org + " system", Organization: []string{org}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

// TestTLSAndMutualTLS serves the API with TLSConfig as exportgw does: HSTS on every answer;
// with a client CA and client-certificate roles, customs must come with a certificate of that
// CA issued to its organisation, while an exporter needs none; a certificate of another CA
// is refused at the handshake.
func TestTLSAndMutualTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, agencyCA, rogueCA := newCA(t, "server CA"), newCA(t, "agency CA"), newCA(t, "rogue CA")
	srvCert, srvKey := serverCA.issue(t, "ucx", true)
	cfg, err := httpapi.TLSConfig(writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), writeFile(t, dir, "agency-ca.pem", agencyCA.pem))
	require.NoError(t, err)

	k := newTokens(t)
	s := newSecureServer(t, k, func(c *httpapi.Config) {
		c.ClientCertRoles = []gateway.Role{gateway.RoleCustoms, gateway.RolePolice}
	})
	srv := httptest.NewUnstartedServer(s.api)
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serverCA.pem)
	client := func(ca *testCA, org string) *http.Client {
		tc := &tls.Config{RootCAs: roots}
		if ca != nil {
			c, k := ca.issue(t, org, false)
			pair, err := tls.X509KeyPair(c, k)
			require.NoError(t, err)
			// Sent whatever CAs the server asks for (Go's client would otherwise withhold a
			// certificate of a CA the server does not name).
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Second}
	}
	get := func(c *http.Client, token string) (*http.Response, string, error) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/rulesets", nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var env struct {
			Error struct {
				Details []gateway.Detail `json:"details"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &env)
		reason := ""
		if len(env.Error.Details) > 0 {
			reason = env.Error.Details[0].Code
		}
		return resp, reason, nil
	}
	customs := k.token(t, gateway.RoleCustoms, "customs")
	exporter := k.token(t, gateway.RoleExporter, demoExporter)

	resp, _, err := get(client(nil, ""), exporter)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "an exporter needs no client certificate")
	assert.Equal(t, "max-age=31536000", resp.Header.Get("Strict-Transport-Security"), "HSTS over TLS")

	resp, reason, err := get(client(nil, ""), customs)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, auth.ReasonClientCert, reason, "customs without a client certificate")

	resp, _, err = get(client(agencyCA, "customs"), customs)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "customs with its certificate")

	resp, reason, err = get(client(agencyCA, "police"), customs)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, auth.ReasonClientCertOrg, reason, "a customs token over the police's certificate")

	resp, _, err = get(client(agencyCA, "customs"), "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a certificate is no substitute for a token")

	_, _, err = get(client(rogueCA, "customs"), customs)
	assert.Error(t, err, "a certificate of another CA fails the handshake")

	_, err = httpapi.TLSConfig(filepath.Join(dir, "srv.pem"), filepath.Join(dir, "srv.key"), writeFile(t, dir, "empty.pem", []byte("no certificates")))
	assert.Error(t, err, "a client CA file without certificates")
	_, err = httpapi.TLSConfig(filepath.Join(dir, "missing.pem"), filepath.Join(dir, "srv.key"), "")
	assert.Error(t, err)
}
