package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
)

func TestConfigFlagsAndEnv(t *testing.T) {
	t.Setenv("UCX_ADDR", "127.0.0.1:9999")
	t.Setenv("UCX_DATA_DIR", "/tmp/ucx-env")
	c, err := parseConfig(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9999", c.Addr)
	assert.Equal(t, "/tmp/ucx-env", c.DataDir)

	c, err = parseConfig([]string{"--addr", "127.0.0.1:7000", "--data-dir", "d"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7000", c.Addr, "a flag wins over the environment")
	assert.Equal(t, "d", c.DataDir)

	_, err = parseConfig([]string{"--report-max-age-days", "0"}, io.Discard)
	assert.Error(t, err)
	var help bytes.Buffer
	_, err = parseConfig([]string{"-h"}, &help)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, help.String(), "UCX_DATA_DIR")
}

// gateway is an exportgw process under test.
type gatewayProc struct {
	cmd  *exec.Cmd
	base string
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "exportgw")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// start runs the binary on a free port and waits for its "listening" log line.
func start(t *testing.T, bin, dataDir string) *gatewayProc {
	t.Helper()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return &gatewayProc{cmd: cmd, base: "http://" + a}
	case <-time.After(30 * time.Second):
		t.Fatal("exportgw did not start")
	}
	return nil
}

// TestAcknowledgedFilingsSurviveSIGKILL streams filings at a real exportgw process, kills it
// with SIGKILL mid-stream, restarts it on the same data directory and reads every filing
// that was acknowledged with a 201: each is there, unchanged.
func TestAcknowledgedFilingsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, dir := buildBinary(t), t.TempDir()
	body, err := fixtures.FS.ReadFile("filings/clean-m1-kz.json")
	require.NoError(t, err)

	gw := start(t, bin, dir)
	acked := map[string]string{} // filingId → response body
	stop := time.After(300 * time.Millisecond)
	killed := false
	for i := 0; !killed; i++ {
		select {
		case <-stop:
			require.NoError(t, gw.cmd.Process.Signal(syscall.SIGKILL))
			killed = true
			continue
		default:
		}
		resp, err := http.Post(gw.base+"/v1/filings", "application/json", bytes.NewReader(body))
		if err != nil {
			break
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated {
			var rec struct {
				FilingID string `json:"filingId"`
			}
			require.NoError(t, json.Unmarshal(b, &rec))
			acked[rec.FilingID] = string(b)
		}
	}
	_ = gw.cmd.Wait()
	require.NotEmpty(t, acked)

	gw = start(t, bin, dir)
	for id, want := range acked {
		resp, err := http.Get(gw.base + "/v1/filings/" + id)
		require.NoError(t, err)
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "acknowledged filing %s lost", id)
		var w, g map[string]any
		require.NoError(t, json.Unmarshal([]byte(want), &w))
		require.NoError(t, json.Unmarshal(got, &g))
		delete(w, "supersededBy") // a later filing of the same VIN may supersede it
		delete(g, "supersededBy")
		assert.Equal(t, w, g)
	}
	t.Logf("%d filings acknowledged before SIGKILL, all present after restart", len(acked))

	// SIGTERM drains and exits cleanly.
	require.NoError(t, gw.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, gw.cmd.Wait())
	assert.True(t, strings.HasPrefix(gw.base, "http://127.0.0.1:"))
}
