package main

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

// TestTokenIssue: a token issued with --data-dir is signed with the key the embedded gateway
// uses (created there on first use, the same one after), carries the role, org, subject and
// lifetime asked for, and is the only thing on stdout.
func TestTokenIssue(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := run(t, "token", "issue", "--data-dir", dir, "--role", "exporter", "--org", "91440300MA5GK7R3DQ", "--ttl", "2h", "--subject", "clerk-7")
	require.NoError(t, err, errOut)
	tok := strings.TrimSpace(out)
	assert.Equal(t, 1, strings.Count(out, "\n"), "one line: the token")

	key, err := auth.LoadKey(filepath.Join(dir, auth.KeyFile))
	require.NoError(t, err, "the key was created in the data directory")
	v, err := auth.NewVerifier([]ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
	require.NoError(t, err)
	p, err := v.Verify(tok)
	require.NoError(t, err)
	assert.Equal(t, gateway.RoleExporter, p.Role)
	assert.Equal(t, "91440300MA5GK7R3DQ", p.Org)
	assert.Equal(t, "clerk-7", p.Subject)
	assert.WithinDuration(t, time.Now().Add(2*time.Hour), p.ExpiresAt, time.Minute)
	assert.Contains(t, errOut, auth.KeyID(key.Public().(ed25519.PublicKey)), "the kid is shown")
	assert.NotContains(t, errOut, tok)

	out, _, err = run(t, "token", "issue", "--data-dir", dir, "--role", "customs", "--org", "customs")
	require.NoError(t, err)
	p, err = v.Verify(strings.TrimSpace(out))
	require.NoError(t, err, "the second token is signed with the same key")
	assert.Equal(t, "customs", p.Subject, "the subject defaults to the org")
	assert.WithinDuration(t, time.Now().Add(time.Hour), p.ExpiresAt, time.Minute, "an hour by default")
}

// TestTokenWithKeyFile: --key signs with a given PKCS#8 key, which must exist; public-key
// prints the entry the gateway's --token-keys file lists, which verifies the token.
func TestTokenWithKeyFile(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "prod-token.pem")
	_, _, err := run(t, "token", "issue", "--key", keyFile, "--role", "admin", "--org", "ucx")
	require.Error(t, err, "a missing key file is an error")
	assert.NoFileExists(t, keyFile, "and is never created")

	_, err = auth.LoadOrCreateKey(keyFile)
	require.NoError(t, err)
	out, _, err := run(t, "token", "issue", "--key", keyFile, "--role", "police", "--org", "police-440300")
	require.NoError(t, err)
	tok := strings.TrimSpace(out)
	entry, _, err := run(t, "token", "public-key", "--key", keyFile)
	require.NoError(t, err)
	ring := filepath.Join(t.TempDir(), "token-keys.json")
	require.NoError(t, os.WriteFile(ring, []byte("["+strings.TrimSpace(entry)+"]"), 0o600))
	keys, err := auth.LoadKeyring(ring)
	require.NoError(t, err)
	v, err := auth.NewVerifier(keys)
	require.NoError(t, err)
	p, err := v.Verify(tok)
	require.NoError(t, err)
	assert.Equal(t, gateway.RolePolice, p.Role)
	var e auth.PublicKey
	require.NoError(t, json.Unmarshal([]byte(entry), &e))
	assert.Equal(t, p.KeyID, e.KeyID)
}

func TestTokenIssueRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		args   []string
		status int
		code   string
	}{
		{"no key", []string{"--role", "admin", "--org", "ucx"}, 2, ""},
		{"both keys", []string{"--data-dir", dir, "--key", "k.pem", "--role", "admin", "--org", "ucx"}, 2, ""},
		{"no role", []string{"--data-dir", dir, "--org", "ucx"}, 2, ""},
		{"unknown role", []string{"--data-dir", dir, "--role", "root", "--org", "ucx"}, 1, gateway.EUNAUTHENTICATED},
		{"exporter without a USCC", []string{"--data-dir", dir, "--role", "exporter", "--org", "acme"}, 1, gateway.EUNAUTHENTICATED},
		{"customs with police's org", []string{"--data-dir", dir, "--role", "customs", "--org", "police"}, 1, gateway.EUNAUTHENTICATED},
		{"lifetime too long", []string{"--data-dir", dir, "--role", "admin", "--org", "ucx", "--ttl", "1000h"}, 1, gateway.EINVALID},
		{"an argument", []string{"--data-dir", dir, "--role", "admin", "--org", "ucx", "extra"}, 2, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := run(t, append([]string{"token", "issue"}, c.args...)...)
			require.Error(t, err)
			assert.Empty(t, out, "no token")
			var buf strings.Builder
			assert.Equal(t, c.status, report(err, &buf))
			if c.code != "" {
				assert.Equal(t, c.code, gateway.ErrorCode(err))
				assert.Contains(t, buf.String(), c.code)
			}
		})
	}
	_, errOut, err := run(t, "token", "-h")
	assert.Equal(t, 0, report(err, os.Stderr))
	assert.Contains(t, errOut, "--data-dir DIR")
}
