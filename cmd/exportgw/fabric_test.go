package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
)

// fabricConnection returns deploy/fabric's connection file, skipping (or failing under
// UCX_INTEGRATION=1) when no network is deployed.
func fabricConnection(t *testing.T) string {
	t.Helper()
	path := os.Getenv("UCX_FABRIC_CONNECTION")
	if path == "" {
		path = "../../deploy/fabric/run/connection.env"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("UCX_INTEGRATION") == "1" {
			t.Fatalf("UCX_INTEGRATION=1 but no Fabric network is deployed (%v)", err)
		}
		t.Skip("no Fabric network: make fabric-up")
	}
	return path
}

// TestFabricMode runs exportgw with --ledger fabric against the real network: a filing is
// acknowledged once durably queued (receipt pending) and anchored by the worker within
// seconds; ?wait=anchored answers with the committed receipt; the trace shows it.
func TestFabricMode(t *testing.T) {
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0") // the awards are tested on the embedded ledger; keep the network for the journey
	conn := fabricConnection(t)
	bin, dir := buildBinary(t), t.TempDir()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--ledger", "fabric", "--licence-source", "ledger", "--seed-licences")
	cmd.Env = append(os.Environ(), "UCX_FABRIC_CONNECTION="+conn)
	gw := startCmd(t, cmd)

	// A vehicle the journey test does not walk, so this test's assertions on its trace do not
	// depend on the journey's events on the shared network.
	body, err := fixtures.FS.ReadFile("filings/clean-n3-tractor-uz-2025.json")
	require.NoError(t, err)

	post := func(url string) map[string]any {
		resp, err := api.Post(url, "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
		var rec map[string]any
		require.NoError(t, json.Unmarshal(b, &rec))
		return rec
	}

	waited := post(gw.base + "/v1/filings?wait=anchored")
	assert.Equal(t, "ACCEPTED", waited["decision"], "licences read from the ledger give the fixture decision")
	r := waited["receipt"].(map[string]any)
	assert.Equal(t, "fabric", r["ledger"])
	assert.Equal(t, "committed", r["status"])
	assert.NotEmpty(t, r["txId"])

	queued := post(gw.base + "/v1/filings")
	assert.Equal(t, "fabric", queued["receipt"].(map[string]any)["ledger"])
	id := queued["filingId"].(string)
	deadline := time.Now().Add(20 * time.Second)
	var got map[string]any
	for {
		getJSON(t, gw.base+"/v1/filings/"+id, &got)
		if got["receipt"].(map[string]any)["status"] == "committed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	assert.Equal(t, "committed", got["receipt"].(map[string]any)["status"], "the worker anchors a queued filing within seconds")

	var page map[string]any
	getJSON(t, gw.base+"/v1/vehicles/"+got["vin"].(string)+"/trace?pageSize=200", &page)
	ids := map[any]bool{}
	for _, e := range page["events"].([]any) {
		ids[e.(map[string]any)["filingId"]] = true
	}
	assert.True(t, ids[waited["filingId"]] && ids[id], "both filings are on the vehicle's trace")
}
