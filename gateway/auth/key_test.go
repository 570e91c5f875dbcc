package auth_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway/auth"
)

// TestLoadOrCreateKey: the embedded mode's key is created once (PKCS#8 PEM, 0600, in a 0700
// directory) and the same key is read on every later call; LoadKey never creates one.
func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), auth.KeyFile)
	_, err := auth.LoadKey(path)
	require.Error(t, err)
	assert.NoFileExists(t, path, "LoadKey does not create")

	first, err := auth.LoadOrCreateKey(path)
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dir, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dir.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	assert.Equal(t, "PRIVATE KEY", block.Type)
	_, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err, "PKCS#8, as openssl reads it")

	again, err := auth.LoadOrCreateKey(path)
	require.NoError(t, err)
	assert.True(t, first.Equal(again), "reused, not replaced")
	loaded, err := auth.LoadKey(path)
	require.NoError(t, err)
	assert.True(t, first.Equal(loaded))

	bad := filepath.Join(t.TempDir(), "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not a key"), 0o600))
	_, err = auth.LoadOrCreateKey(bad)
	assert.Error(t, err, "a damaged key is an error, never silently replaced")
	got, _ := os.ReadFile(bad)
	assert.Equal(t, "not a key", string(got))
}

func TestParseKeyring(t *testing.T) {
	a, b := newKey(t), newKey(t)
	ea, eb := auth.PublicKeyOf(a), auth.PublicKeyOf(b)
	der, err := x509.MarshalPKIXPublicKey(b.Public())
	require.NoError(t, err)
	ebPEM := auth.PublicKey{KeyID: eb.KeyID, PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }

	keys, err := auth.ParseKeyring(js([]auth.PublicKey{ea, ebPEM}))
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.True(t, keys[0].Equal(a.Public()))
	assert.True(t, keys[1].Equal(b.Public()), "a PEM public key is read too")
	assert.Equal(t, auth.KeyID(a.Public().(ed25519.PublicKey)), ea.KeyID)
	assert.Len(t, ea.KeyID, 11)

	for name, data := range map[string][]byte{
		"empty list":         []byte(`[]`),
		"not a list":         js(ea),
		"kid of another key": js([]auth.PublicKey{{KeyID: eb.KeyID, PublicKey: ea.PublicKey}}),
		"listed twice":       js([]auth.PublicKey{ea, ea}),
		"short key":          js([]auth.PublicKey{{KeyID: "x", PublicKey: base64.StdEncoding.EncodeToString(make([]byte, 31))}}),
		"unknown member":     []byte(`[{"kid":"` + ea.KeyID + `","publicKey":"` + ea.PublicKey + `","alg":"HS256"}]`),
		"trailing data":      append(js([]auth.PublicKey{ea}), []byte(" []")...),
		"private key PEM":    js([]auth.PublicKey{{KeyID: ea.KeyID, PublicKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}}),
		"not JSON":           []byte("kid=abc"),
		"missing public key": js([]auth.PublicKey{{KeyID: ea.KeyID}}),
	} {
		_, err := auth.ParseKeyring(data)
		assert.Error(t, err, name)
	}
}
