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
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigFlagsAndEnv(t *testing.T) {
	t.Setenv("UCX_AGENCYSIM_ADDR", "127.0.0.1:9999")
	c, err := parseConfig(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9999", c.Addr)

	c, err = parseConfig([]string{"--addr", "127.0.0.1:7000", "--fixtures-dir", "fx"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7000", c.Addr, "a flag wins over the environment")
	assert.Equal(t, "fx", c.FixturesDir)

	os.Unsetenv("UCX_AGENCYSIM_ADDR")
	c, err = parseConfig(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8090", c.Addr, "the default")

	_, err = parseConfig([]string{"extra"}, io.Discard)
	assert.Error(t, err)
	var help bytes.Buffer
	_, err = parseConfig([]string{"-h"}, &help)
	assert.ErrorIs(t, err, flag.ErrHelp)
	for _, s := range []string{"UCX_AGENCYSIM_ADDR", "/police/v1/vehicles/{vin}", "/admin/v1/faults", "/admin/v1/stats", "errorRate", "UCX_AGENCY_URL"} {
		assert.Contains(t, help.String(), s)
	}
}

// TestBinaryServesAndShutsDown builds agencysim, starts it on a free port, checks /healthz
// and a fixture record, then sends SIGTERM while a timeout fault holds a request: the process
// releases it and exits cleanly.
func TestBinaryServesAndShutsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "agencysim")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))

	cmd := exec.Command(bin, "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	msgs := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue // every log line is JSON: caught below by the missing messages
			}
			if line.Msg == "listening" {
				addr <- line.Addr
			}
			select {
			case msgs <- line.Msg:
			default:
			}
		}
		close(msgs)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("agencysim did not start")
	}

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, string(data))

	resp, err = http.Get(base + "/police/v1/vehicles/LGXCE4CB8N4107254")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	req, _ := http.NewRequest(http.MethodPut, base+"/admin/v1/faults", bytes.NewReader([]byte(`{"service":"police","timeout":true}`)))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	held := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "/police/v1/vehicles/LGXCE4CB8N4107254")
		if err != nil {
			held <- -1
			return
		}
		resp.Body.Close()
		held <- resp.StatusCode
	}()
	require.Eventually(t, func() bool { // the request arrived and is held
		resp, err := http.Get(base + "/admin/v1/stats")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st struct {
			Services map[string]struct{ Requests int } `json:"services"`
		}
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Services["police"].Requests == 2
	}, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case status := <-held:
		assert.Equal(t, http.StatusServiceUnavailable, status, "the held request is answered on shutdown")
	case <-time.After(10 * time.Second):
		t.Fatal("the held request was not released")
	}
	var seen []string
	for m := range msgs { // until the process closes stdout; Wait closes the pipe, so read first
		seen = append(seen, m)
	}
	require.NoError(t, cmd.Wait(), "SIGTERM exits cleanly")
	assert.Contains(t, seen, "starting agencysim")
	assert.Contains(t, seen, "request")
	assert.Contains(t, seen, "stopped")
}
