package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

func TestLoadCountsAndFailsOnErrors(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	defer ok.Close()
	var out bytes.Buffer
	require.NoError(t, run([]string{"--url", ok.URL, "--concurrency", "4", "--duration", "200ms"}, &out, io.Discard))
	assert.Contains(t, out.String(), "filings/s")

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer bad.Close()
	err := run([]string{"--url", bad.URL, "--concurrency", "2", "--duration", "100ms"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed requests")

	err = run([]string{"--url", "http://10.0.0.1:8080"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "loopback"))
}

// TestLoadSendsTokens: --token sends the one token with every request; --data-dir mints a
// token per exporter with the gateway's key, each filing sent as its own exporter; without a
// token a 401 says how to get one.
func TestLoadSendsTokens(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // exporter USCC → authorization
	check := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var f struct {
			Exporter struct {
				USCC string `json:"uscc"`
			} `json:"exporter"`
		}
		_ = json.Unmarshal(b, &f)
		mu.Lock()
		seen[f.Exporter.USCC] = r.Header.Get("Authorization")
		mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}
	srv := httptest.NewServer(http.HandlerFunc(check))
	defer srv.Close()

	require.NoError(t, run([]string{"--url", srv.URL, "--concurrency", "2", "--duration", "200ms", "--token", "tok-1"}, io.Discard, io.Discard))
	for uscc, a := range seen {
		assert.Equal(t, "Bearer tok-1", a, uscc)
	}

	dir := t.TempDir()
	key, err := auth.LoadOrCreateKey(filepath.Join(dir, auth.KeyFile))
	require.NoError(t, err)
	v, err := auth.NewVerifier([]ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
	require.NoError(t, err)
	seen = map[string]string{}
	require.NoError(t, run([]string{"--url", srv.URL, "--concurrency", "2", "--duration", "300ms", "--data-dir", dir}, io.Discard, io.Discard))
	require.NotEmpty(t, seen)
	for uscc, a := range seen {
		p, err := v.Verify(strings.TrimPrefix(a, "Bearer "))
		require.NoError(t, err, uscc)
		assert.Equal(t, gateway.RoleExporter, p.Role)
		assert.Equal(t, uscc, p.Org, "each filing is sent by its own exporter")
	}

	err = run([]string{"--url", srv.URL, "--concurrency", "1", "--duration", "100ms"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--token")
	err = run([]string{"--url", srv.URL, "--data-dir", t.TempDir()}, io.Discard, io.Discard)
	assert.Error(t, err, "a data directory without a key: the gateway has not started there")
	err = run([]string{"--url", srv.URL, "--token", "x", "--data-dir", dir}, io.Discard, io.Discard)
	assert.Error(t, err, "one way at a time")
}
