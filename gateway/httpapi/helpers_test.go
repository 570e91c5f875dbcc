package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/creditreport"
	"github.com/ucx-export/ucx/gateway/customs"
	"github.com/ucx-export/ucx/gateway/deadlines"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/exporters"
	"github.com/ucx-export/ucx/gateway/filings"
	"github.com/ucx-export/ucx/gateway/httpapi"
	"github.com/ucx-export/ucx/gateway/inspection"
	"github.com/ucx-export/ucx/gateway/webhooks"
	"github.com/ucx-export/ucx/schemas"
)

// testNow is the fixed clock of the API tests: after every fixture's application date.
var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// testServer is a gateway on embedded defaults over a temporary data directory.
type testServer struct {
	watch    *deadlines.Ledger
	t        testing.TB
	api      *httpapi.Server
	store    *embedded.Store
	ledger   *embedded.Ledger
	dir      string
	webhooks *embedded.WebhookQueue
	// credits is the exporter credit service behind the credit routes (to seed histories).
	credits *exporters.Service
	// audit is the audit log, in auditDir (not in dir: tests reopen dir while it is open).
	audit    *auditSwitch
	auditDir string
}

// auditSwitch is the test servers' audit log: the embedded one, which a test can take down
// (every append then fails EUNAVAILABLE) or reopen after editing its file.
type auditSwitch struct {
	mu   sync.Mutex
	log  *embedded.AuditLog
	down bool
}

func (a *auditSwitch) current() (*embedded.AuditLog, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log, a.down
}

// setDown makes every append fail (true) or work again.
func (a *auditSwitch) setDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

// swap replaces the log (closed, its file edited, reopened).
func (a *auditSwitch) swap(log *embedded.AuditLog) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = log
}

func (a *auditSwitch) Append(ctx context.Context, entries ...*gateway.AuditEntry) error {
	log, down := a.current()
	if down {
		return gateway.Errorf(gateway.EUNAVAILABLE, "audit log down (test)", "审计日志不可用（测试）")
	}
	return log.Append(ctx, entries...)
}

func (a *auditSwitch) Entries(ctx context.Context, q gateway.AuditQuery) (*gateway.AuditPage, error) {
	log, _ := a.current()
	return log.Entries(ctx, q)
}

func (a *auditSwitch) Verify(ctx context.Context) (*gateway.AuditVerification, error) {
	log, _ := a.current()
	return log.Verify(ctx)
}

// auditEntries returns every entry of the server's audit log.
func (s *testServer) auditEntries() []*gateway.AuditEntry {
	s.t.Helper()
	page, err := s.audit.Entries(context.Background(), gateway.AuditQuery{Limit: gateway.MaxAuditLimit})
	require.NoError(s.t, err)
	return page.Entries
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	return openTestServer(t, t.TempDir())
}

func openTestServer(t testing.TB, dir string) *testServer {
	t.Helper()
	return openTestServerWith(t, dir, false)
}

// openTestServerWith opens a test server; with ledgerLicences the filing check reads licences
// from the ledger, seeded from the fixtures.
func openTestServerWith(t testing.TB, dir string, ledgerLicences bool) *testServer {
	t.Helper()
	return openTestServerLogging(t, dir, ledgerLicences, testLogOutput())
}

// openTestServerLogging opens a test server whose every log (access log, filing service,
// deadlines) goes to logs.
func openTestServerLogging(t testing.TB, dir string, ledgerLicences bool, logs io.Writer) *testServer {
	t.Helper()
	return openTestServerConfig(t, dir, ledgerLicences, logs, nil)
}

// openTestServerConfig opens a test server logging to logs whose configuration configure may
// change first (authentication, rate limits, CORS).
func openTestServerConfig(t testing.TB, dir string, ledgerLicences bool, logs io.Writer, configure func(*httpapi.Config)) *testServer {
	t.Helper()
	store, err := embedded.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	agencies, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	cc, err := chaincode.New()
	require.NoError(t, err)
	ledger, err := embedded.OpenLedger(dir, cc)
	require.NoError(t, err)
	t.Cleanup(func() { ledger.Close() })
	client := deadlines.Watch(contract.New(ledger), store, slog.New(slog.NewTextHandler(logs, nil))).WithClock(func() time.Time { return testNow })
	sources := filings.Sources{Police: agencies, Maintenance: agencies, Licences: agencies, Exporters: agencies, Destinations: agencies}
	if ledgerLicences {
		_, err := agencies.SeedLedger(context.Background(), client)
		require.NoError(t, err)
		sources.Licences = client
	}
	keys, err := inspection.LoadRegistry(fixtures.FS, "agencies/inspection-agency-keys.json")
	require.NoError(t, err)
	credits := exporters.New(client, sources.Exporters).WithClock(func() time.Time { return testNow })
	svc := filings.New(store, client, sources, schemas.MustNew(), compliance.New(compliance.DefaultConfig()), filings.WithClock(func() time.Time { return testNow }),
		filings.WithReportKeys(keys), filings.WithCredit(credits), filings.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	log := slog.New(slog.NewTextHandler(logs, nil))
	reportKey, err := creditreport.LoadOrCreateKey(filepath.Join(dir, creditreport.KeyFile))
	require.NoError(t, err)
	hooks, err := embedded.OpenWebhookQueue(t.TempDir(), time.Minute) // not in dir: tests reopen dir while this is open
	require.NoError(t, err)
	t.Cleanup(func() { hooks.Close() })
	auditDir := t.TempDir()
	auditLog, err := embedded.OpenAuditLog(auditDir)
	require.NoError(t, err)
	audit := &auditSwitch{log: auditLog}
	t.Cleanup(func() { log, _ := audit.current(); log.Close() })
	cfg := httpapi.Config{Filings: svc, Ledger: client, Deadlines: client, Ready: store.Ready, Logger: log,
		Customs:       customs.New(store, client, sources.Licences, svc, schemas.MustNew(), customs.DefaultInspectionRate).WithCredit(credits, sources.Exporters, customs.DefaultGradeRates),
		Exporters:     credits,
		CreditReports: creditreport.New(store, credits, reportKey, creditreport.WithClock(func() time.Time { return testNow })),
		CreditFeed:    client, Webhooks: webhooks.NewService(hooks), Audit: audit, AuditChainID: "test-audit"}
	if configure != nil {
		configure(&cfg)
	}
	return &testServer{t: t, audit: audit, auditDir: auditDir, api: httpapi.New(cfg), store: store, ledger: ledger, dir: dir, watch: client, webhooks: hooks, credits: credits}
}

// do sends a request and returns the recorded response.
func (s *testServer) do(method, path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	s.t.Helper()
	return s.doAs(nil, method, path, body, headers...)
}

// doAs sends a request as an authenticated caller: the principal rides in the request's
// context, as the authentication middleware would put it there (nil: unauthenticated).
func (s *testServer) doAs(p *gateway.Principal, method, path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if p != nil {
		req = req.WithContext(gateway.WithPrincipal(req.Context(), p))
	}
	w := httptest.NewRecorder()
	s.api.ServeHTTP(w, req)
	return w
}

func (s *testServer) post(path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	return s.do(http.MethodPost, path, body, headers...)
}

// decodeBody decodes a JSON response into a generic map.
func decodeBody(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), "body: %s", w.Body.String())
	return m
}

// fixture reads fixtures/filings/<name>.json.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := fixtures.FS.ReadFile("filings/" + name + ".json")
	require.NoError(t, err)
	return data
}

// testLogOutput is where the API tests' logs go: nowhere, unless UCX_TEST_LOG=1.
func testLogOutput() io.Writer {
	if os.Getenv("UCX_TEST_LOG") == "1" {
		return os.Stderr
	}
	return io.Discard
}
