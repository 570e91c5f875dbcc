package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
