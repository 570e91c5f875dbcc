package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/webhooks"
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
	for _, bad := range []string{"A=2", "E=0.1", "A", "A=x", ""} {
		_, err = parseConfig([]string{"--customs-grade-rates", bad}, io.Discard)
		assert.Error(t, err, bad)
	}
	rates, err := parseGradeRates("A=0.05, D=1")
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"A": 0.05, "D": 1}, rates)
	var help bytes.Buffer
	_, err = parseConfig([]string{"-h"}, &help)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, help.String(), "UCX_DATA_DIR")
	assert.Contains(t, help.String(), "UCX_WEBHOOK_MAX_ATTEMPTS")
	assert.Contains(t, help.String(), "UCX_CREDIT_REPORT_KEY")
	assert.Contains(t, help.String(), "-credit-seed")
	assert.Contains(t, help.String(), "UCX_CREDIT_SEED")

	t.Setenv("UCX_CREDIT_SEED", "env.json")
	c, err = parseConfig(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "env.json", c.CreditSeed)
	c, err = parseConfig([]string{"--credit-seed", "flag.json"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "flag.json", c.CreditSeed)
}

// runInProcess runs realMain until stop is called; it returns the base URL and the log lines
// up to "listening", keyed by their msg.
func runInProcess(t *testing.T, args ...string) (base string, logs map[string]map[string]any, stop func()) {
	t.Helper()
	base, logs, _, stop = runLogged(t, args...)
	return base, logs, stop
}

// logBuffer collects a process's log output, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// runLogged is runInProcess that also returns every log line written until stop (https
// when the gateway serves TLS).
func runLogged(t *testing.T, args ...string) (base string, logs map[string]map[string]any, all *logBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- realMain(ctx, append([]string{"--addr", "127.0.0.1:0", "--log-level", "info"}, args...), w, io.Discard)
		w.Close()
	}()
	logs = map[string]map[string]any{}
	all = &logBuffer{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		all.Write(append(sc.Bytes(), '\n'))
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		msg, _ := line["msg"].(string)
		logs[msg] = line
		if msg == "listening" {
			base = "http://" + line["addr"].(string)
			if line["tls"] == true {
				base = "https://" + line["addr"].(string)
			}
			break
		}
	}
	go func() { _, _ = io.Copy(all, r) }()
	if base == "" {
		cancel()
		t.Fatalf("exportgw did not start: %v", <-done)
	}
	return base, logs, all, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// TestCreditSeedAtStart: --credit-seed records the fixture histories, so the list shows every
// grade; a restart on the same data directory records nothing more. A bad file stops the
// start before the data directory is touched.
func TestCreditSeedAtStart(t *testing.T) {
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0") // only the seed writes credit events here
	dir := t.TempDir()
	seedFile := filepath.Join("..", "..", "fixtures", "credit", "histories.json")
	base, logs, stop := runInProcess(t, "--data-dir", dir, "--credit-seed", seedFile)
	seeded := logs["credit histories seeded"]
	require.NotNil(t, seeded, "the seeding is logged")
	assert.EqualValues(t, 10, seeded["exporters"])
	assert.EqualValues(t, 0, seeded["skipped"])
	var page struct {
		Exporters []struct {
			USCC       string `json:"uscc"`
			Grade      string `json:"grade"`
			EventCount int    `json:"eventCount"`
		} `json:"exporters"`
	}
	getJSON(t, base+"/v1/exporters?limit=500", &page)
	grades := map[string]int{}
	counts := map[string]int{}
	for _, r := range page.Exporters {
		grades[r.Grade]++
		counts[r.USCC] = r.EventCount
	}
	for _, g := range []string{"A", "B", "C", "D"} {
		assert.Positive(t, grades[g], "grade %s is shown", g)
	}
	stop()

	t.Setenv("UCX_CREDIT_SEED", seedFile)
	base, logs, stop = runInProcess(t, "--data-dir", dir)
	assert.EqualValues(t, 0, logs["credit histories seeded"]["exporters"])
	assert.EqualValues(t, 10, logs["credit histories seeded"]["skipped"])
	getJSON(t, base+"/v1/exporters?limit=500", &page)
	for _, r := range page.Exporters {
		assert.Equal(t, counts[r.USCC], r.EventCount, "%s: nothing recorded twice", r.USCC)
	}
	stop()

	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"exporters":[{"uscc":"91210213MA0YB7KC34","name":"x","events":[{"code":"E99","daysAgo":1,"org":"commerce","evidenceHash":"sha256:`+strings.Repeat("0", 64)+`","actor":"a"}]}]}`), 0o600))
	fresh := filepath.Join(t.TempDir(), "data")
	err := realMain(context.Background(), []string{"--addr", "127.0.0.1:0", "--data-dir", fresh, "--credit-seed", bad}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/exporters/0/events/0/code")
	_, statErr := os.Stat(fresh)
	assert.True(t, os.IsNotExist(statErr), "nothing opened")
}

// TestCreditReportKey: without --credit-report-key the key is created in the data directory
// on first start and reused after; a configured key must exist and is never created.
func TestCreditReportKey(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("UCX_CREDIT_REPORT_KEY", "")
	c, err := parseConfig([]string{"--data-dir", dir}, io.Discard)
	require.NoError(t, err)
	first, err := loadCreditReportKey(c)
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(dir, "keys", "credit-report.ed25519"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	again, err := loadCreditReportKey(c)
	require.NoError(t, err)
	assert.Equal(t, first.ID(), again.ID(), "reused on the next start")

	missing := filepath.Join(t.TempDir(), "prod.pem")
	t.Setenv("UCX_CREDIT_REPORT_KEY", missing)
	c, err = parseConfig([]string{"--data-dir", t.TempDir()}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, missing, c.CreditReportKey)
	_, err = loadCreditReportKey(c)
	assert.Error(t, err, "a configured key that is not there is an error")
	assert.NoFileExists(t, missing)

	c, err = parseConfig([]string{"--credit-report-key", filepath.Join(dir, "keys", "credit-report.ed25519")}, io.Discard)
	require.NoError(t, err)
	given, err := loadCreditReportKey(c)
	require.NoError(t, err)
	assert.Equal(t, first.ID(), given.ID(), "the flag wins over the environment")
}

func TestConfigWebhooks(t *testing.T) {
	c, err := parseConfig(nil, io.Discard)
	require.NoError(t, err)
	assert.True(t, c.Webhooks, "on by default")
	assert.Equal(t, 10, c.WebhookAttempts)
	assert.Equal(t, 5*time.Second, c.WebhookBackoff)
	assert.Equal(t, time.Hour, c.WebhookBackoffMx)
	assert.Equal(t, 10*time.Second, c.WebhookTimeout)

	t.Setenv("UCX_WEBHOOKS", "false")
	t.Setenv("UCX_WEBHOOK_MAX_ATTEMPTS", "3")
	t.Setenv("UCX_WEBHOOK_BACKOFF", "2s")
	c, err = parseConfig(nil, io.Discard)
	require.NoError(t, err)
	assert.False(t, c.Webhooks)
	assert.Equal(t, 3, c.WebhookAttempts)
	assert.Equal(t, 2*time.Second, c.WebhookBackoff)
	c, err = parseConfig([]string{"--webhooks", "--webhook-max-attempts", "5", "--webhook-timeout", "3s"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, c.Webhooks, "a flag wins over the environment")
	assert.Equal(t, 5, c.WebhookAttempts)
	assert.Equal(t, 3*time.Second, c.WebhookTimeout)

	for _, bad := range [][]string{
		{"--webhook-max-attempts", "0"}, {"--webhook-backoff", "0s"}, {"--webhook-backoff", "2h"}, {"--webhook-timeout", "0s"},
	} {
		_, err = parseConfig(bad, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
	t.Setenv("UCX_WEBHOOK_TIMEOUT", "soon")
	_, err = parseConfig(nil, io.Discard)
	assert.Error(t, err)
}

// TestWebhooksEndToEnd runs a real exportgw process: an agency subscribes, a credit event is
// recorded, and the change arrives at the agency signed with the subscription's secret. The
// process stops cleanly on SIGTERM with its webhook workers, the subscription survives a
// restart on the same data directory (webhooks.db), and with --webhooks=false the
// subscription routes answer 503.
func TestWebhooksEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0") // only the test's event reaches the agency
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	agency := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(agency.Close)

	bin, dir := buildBinary(t), t.TempDir()
	gw := start(t, bin, dir)
	resp, err := api.Post(gw.base+"/v1/webhooks/subscriptions", "application/json",
		strings.NewReader(`{"org":"customs","url":"`+agency.URL+`/ucx","kinds":["EVENT_RECORDED"]}`))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
	var sub struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	require.NoError(t, json.Unmarshal(b, &sub))

	yesterday := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	resp, err = api.Post(gw.base+"/v1/exporters/91440300MA5GK7R3DQ/credit-events", "application/json", strings.NewReader(
		`{"org":"commerce","code":"E12","occurredAt":"`+yesterday+`","evidenceHash":"sha256:`+strings.Repeat("0", 63)+`7","actor":"commerce-officer-3"}`))
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
	var ev struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(b, &ev))
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 }, 30*time.Second, 50*time.Millisecond, "the change reaches the agency")
	mu.Lock()
	require.NoError(t, webhooks.Verify(sub.Secret, got[0].Header, bodies[0], time.Now(), time.Minute))
	var event webhooks.Event
	require.NoError(t, json.Unmarshal(bodies[0], &event))
	mu.Unlock()
	assert.Equal(t, "EVENT_RECORDED", event.Kind)
	assert.Equal(t, ev.ID, event.Change.Ref)
	assert.Equal(t, webhooks.EventID(event.Change.Seq), event.ID)

	require.NoError(t, gw.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, gw.cmd.Wait(), "exits cleanly on SIGTERM")
	gw = start(t, bin, dir)
	var list struct {
		Subscriptions []struct {
			ID string `json:"id"`
		} `json:"subscriptions"`
	}
	getJSON(t, gw.base+"/v1/webhooks/subscriptions?org=customs", &list)
	require.Len(t, list.Subscriptions, 1)
	assert.Equal(t, sub.ID, list.Subscriptions[0].ID)
	require.NoError(t, gw.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, gw.cmd.Wait())

	off := startCmd(t, exec.Command(bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--webhooks=false"))
	resp, err = api.Get(off.base + "/v1/webhooks/subscriptions")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	mu.Lock()
	assert.Len(t, got, 1, "delivered once: the restart did not deliver it again")
	mu.Unlock()
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
	return startCmd(t, exec.Command(bin, "--addr", "127.0.0.1:0", "--data-dir", dataDir))
}

// startCmd runs an exportgw command and waits for its "listening" log line.
func startCmd(t *testing.T, cmd *exec.Cmd) *gatewayProc {
	t.Helper()
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

// TestAcknowledgedFilingsSurviveSIGKILL streams filings from 8 clients at a real exportgw
// process, kills it with SIGKILL mid-stream, and restarts it on the same data directory:
// every filing acknowledged with a 201 is there, unchanged, with its FILED event on the
// vehicle's trace and a committed receipt; the chain verifies; nothing is half-written.
func TestAcknowledgedFilingsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, dir := buildBinary(t), t.TempDir()
	names := []string{"clean-m1-kz", "stolen-vehicle", "clean-n3-tractor-uz-2025", "maint-airbag-replaced"}
	bodies := make([][]byte, len(names))
	for i, n := range names {
		var err error
		bodies[i], err = fixtures.FS.ReadFile("filings/" + n + ".json")
		require.NoError(t, err)
	}

	gw := start(t, bin, dir)
	var mu sync.Mutex
	acked := map[string]map[string]any{} // filingId → response
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := api.Post(gw.base+"/v1/filings", "application/json", bytes.NewReader(bodies[(w+i)%len(bodies)]))
				if err != nil {
					return // the server is gone
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					var rec map[string]any
					if json.Unmarshal(b, &rec) == nil {
						mu.Lock()
						acked[rec["filingId"].(string)] = rec
						mu.Unlock()
					}
				}
			}
		})
	}
	time.Sleep(700 * time.Millisecond)
	require.NoError(t, gw.cmd.Process.Signal(syscall.SIGKILL))
	_ = gw.cmd.Wait()
	close(stop)
	wg.Wait()
	require.NotEmpty(t, acked)

	// The data directory on its own: the chain verifies and the world state matches it.
	cc, err := chaincode.New()
	require.NoError(t, err)
	chain, err := embedded.OpenLedger(dir, cc)
	require.NoError(t, err)
	blocks, err := chain.Verify()
	require.NoError(t, err, "the chain must verify after SIGKILL")
	require.NoError(t, chain.Close())

	gw = start(t, bin, dir)
	traces := map[string][]any{}
	for id, want := range acked {
		var got map[string]any
		getJSON(t, gw.base+"/v1/filings/"+id, &got)
		for _, k := range []string{"filingId", "vin", "decision", "docHash", "rulesetVersion", "results", "createdAt"} {
			assert.Equal(t, want[k], got[k], "filing %s field %s", id, k)
		}
		assert.Equal(t, want["receipt"], got["receipt"], "filing %s: the receipt it was acknowledged with", id)
		vin := got["vin"].(string)
		if _, ok := traces[vin]; !ok {
			var page map[string]any
			getJSON(t, gw.base+"/v1/vehicles/"+vin+"/trace?pageSize=200", &page)
			traces[vin] = page["events"].([]any)
		}
		found := false
		for _, e := range traces[vin] {
			if e.(map[string]any)["filingId"] == id {
				found = true
			}
		}
		assert.True(t, found, "filing %s has its FILED event on the trace", id)
	}
	t.Logf("%d filings acknowledged before SIGKILL; all present with their trace events after restart; %d blocks verified", len(acked), blocks)

	// SIGTERM drains and exits cleanly.
	require.NoError(t, gw.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, gw.cmd.Wait())
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := api.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, b)
	require.NoError(t, json.Unmarshal(b, v))
}

// TestCreditBonusAtStart: the credit worker awards B01 to a clean filed exporter at start,
// once: a restart awards nothing more.
func TestCreditBonusAtStart(t *testing.T) {
	dir := t.TempDir()
	var c struct {
		Score  int `json:"score"`
		Events []struct {
			Code   string `json:"code"`
			Source string `json:"source"`
		} `json:"events"`
	}
	for range 2 {
		base, _, stop := runInProcess(t, "--data-dir", dir)
		require.Eventually(t, func() bool {
			getJSON(t, base+"/v1/exporters/91440300MA5GK7R3DQ/credit", &c)
			return len(c.Events) > 0
		}, 10*time.Second, 50*time.Millisecond, "B01 recorded at start")
		stop()
	}
	require.Len(t, c.Events, 1, "awarded once")
	assert.Equal(t, "B01", c.Events[0].Code)
	assert.Equal(t, "AUTOMATIC", c.Events[0].Source)
	assert.Equal(t, 85, c.Score)
}

// getWithRequestID GETs url as request id and returns the status.
func getWithRequestID(t *testing.T, url, id string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-Request-Id", id)
	resp, err := api.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// auditedRequests walks the whole audit log of the gateway at base and returns the routes read
// by request ID, and whether the chain verifies.
func auditedRequests(t *testing.T, base string) (map[string]string, bool) {
	t.Helper()
	routes := map[string]string{}
	verified := true
	for after := uint64(0); ; {
		var page struct {
			Entries []gateway.AuditEntry `json:"entries"`
			Next    uint64               `json:"next"`
			Chain   struct {
				Verified bool `json:"verified"`
			} `json:"chain"`
		}
		getJSON(t, fmt.Sprintf("%s/v1/audit?limit=500&after=%d", base, after), &page)
		verified = verified && page.Chain.Verified
		for _, e := range page.Entries {
			routes[e.RequestID] = e.Route
		}
		if page.Next == 0 {
			return routes, verified
		}
		after = page.Next
	}
}

// TestAuditLogEmbedded: the gateway writes credit reads to audit.db in its data directory, and
// the log survives a restart.
func TestAuditLogEmbedded(t *testing.T) {
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0")
	t.Setenv("UCX_REDIS_URL", "") // embedded mode whatever the environment
	dir := t.TempDir()
	base, _, stop := runInProcess(t, "--data-dir", dir)
	require.Equal(t, http.StatusOK, getWithRequestID(t, base+"/v1/exporters/91440300MA5GK7R3DQ/credit", "audit-embedded-1"))
	stop()
	_, err := os.Stat(filepath.Join(dir, embedded.AuditFile))
	require.NoError(t, err)
	base, _, stop = runInProcess(t, "--data-dir", dir)
	defer stop()
	routes, verified := auditedRequests(t, base)
	assert.True(t, verified)
	assert.Equal(t, map[string]string{"audit-embedded-1": "GET /v1/exporters/:uscc/credit"}, routes)
}
