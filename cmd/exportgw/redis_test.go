package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway/creditreport"
)

// redisURL returns the test Redis (UCX_REDIS_URL), skipping without one unless
// UCX_INTEGRATION=1 (then it fails).
func redisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("UCX_REDIS_URL")
	if u == "" {
		if os.Getenv("UCX_INTEGRATION") == "1" {
			t.Fatal("UCX_INTEGRATION=1 but UCX_REDIS_URL is not set")
		}
		t.Skip("no Redis: UCX_REDIS_URL")
	}
	return u
}

// TestIdempotencyAcrossReplicas runs two exportgw processes on one Redis and sends the same
// request with the same Idempotency-Key to both, concurrently: one filing is created, and
// both answer with it.
func TestIdempotencyAcrossReplicas(t *testing.T) {
	url := redisURL(t)
	bin := buildBinary(t)
	var gws []*gatewayProc
	for range 2 {
		cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--redis-url", url)
		gws = append(gws, startCmd(t, cmd))
	}
	body, err := fixtures.FS.ReadFile("filings/clean-m1-kz.json")
	require.NoError(t, err)
	key := "replicas-" + t.Name() + "-" + randomSuffix()

	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, gws[i%2].base+"/v1/filings", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", key)
			resp, err := api.Do(req)
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if assert.Equal(t, http.StatusCreated, resp.StatusCode, string(b)) {
				var rec map[string]any
				require.NoError(t, json.Unmarshal(b, &rec))
				ids[i] = rec["filingId"].(string)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "one filing for one key, whichever replica answered")
	}
	// Either replica serves the filing from the shared store.
	for _, gw := range gws {
		var got map[string]any
		getJSON(t, gw.base+"/v1/filings/"+ids[0], &got)
		assert.Equal(t, ids[0], got["filingId"])
	}
	// The same key with another body is refused on both.
	other, err := fixtures.FS.ReadFile("filings/stolen-vehicle.json")
	require.NoError(t, err)
	for _, gw := range gws {
		req, _ := http.NewRequest(http.MethodPost, gw.base+"/v1/filings", bytes.NewReader(other))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := api.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusConflict, resp.StatusCode)
	}
}

// TestCreditReportsAcrossReplicas runs two exportgw processes on one Redis with one
// --credit-report-key: a report issued by one is confirmed by the other.
func TestCreditReportsAcrossReplicas(t *testing.T) {
	url := redisURL(t)
	// Each replica here has its own embedded ledger (a real deployment shares Fabric): no
	// credit worker, so both hold the same (empty) credit history.
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0")
	bin := buildBinary(t)
	keyFile := filepath.Join(t.TempDir(), "credit-report.pem")
	key, err := creditreport.LoadOrCreateKey(keyFile)
	require.NoError(t, err)
	var gws []*gatewayProc
	for range 2 {
		cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--redis-url", url, "--credit-report-key", keyFile)
		gws = append(gws, startCmd(t, cmd))
	}
	var report struct {
		VerificationCode string `json:"verificationCode"`
		KeyID            string `json:"keyId"`
	}
	getJSON(t, gws[0].base+"/v1/exporters/91440300MA5GK7R3DQ/credit-report", &report)
	assert.Equal(t, key.ID(), report.KeyID, "signed with the configured key")
	var v struct {
		SignatureValid bool `json:"signatureValid"`
		Current        bool `json:"current"`
	}
	getJSON(t, gws[1].base+"/v1/verify/credit/"+report.VerificationCode, &v)
	assert.True(t, v.SignatureValid, "the other replica confirms it")
	assert.True(t, v.Current)

	// Both replicas append to one audit chain in Redis.
	id := "replicas-" + randomSuffix()
	require.Equal(t, http.StatusOK, getWithRequestID(t, gws[0].base+"/v1/exporters/91440300MA5GK7R3DQ/credit", id+"-0"))
	require.Equal(t, http.StatusOK, getWithRequestID(t, gws[1].base+"/v1/verify/credit/"+report.VerificationCode, id+"-1"))
	routes, verified := auditedRequests(t, gws[1].base)
	assert.True(t, verified)
	assert.Equal(t, "GET /v1/exporters/:uscc/credit", routes[id+"-0"], "seen from the other replica")
	assert.Equal(t, "GET /v1/verify/credit/:code", routes[id+"-1"])
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
