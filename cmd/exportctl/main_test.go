package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/creditreport"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/exporters"
	"github.com/ucx-export/ucx/gateway/inspection"
)

const (
	xjKey = "91650104MA77YK0H8U-2026-1" // 新疆天山, the agency of clean-m1-kz
	szOld = "91440300MA5F2TQ8B5-2024-1" // 深圳鹏诚 until 2025-12-31
	szNew = "91440300MA5F2TQ8B5-2026-1" // 深圳鹏诚 from 2026-01-01
)

// writeReport writes the inspectionReport object of a fixture filing to a temp file.
func writeReport(t *testing.T, filing string) (string, []byte) {
	t.Helper()
	data, err := fs.ReadFile(fixtures.FS, "filings/"+filing)
	require.NoError(t, err)
	var f struct {
		InspectionReport json.RawMessage `json:"inspectionReport"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	p := filepath.Join(t.TempDir(), "report.json")
	require.NoError(t, os.WriteFile(p, f.InspectionReport, 0o644))
	return p, f.InspectionReport
}

func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = realMain(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestSignAndVerifyFixtureReport(t *testing.T) {
	path, report := writeReport(t, "clean-m1-kz.json")
	out, errOut, err := run(t, "sign-report", "--key-id", xjKey, "--demo-key", path)
	require.NoError(t, err)
	assert.Contains(t, errOut, "DEMO key")

	var body struct {
		Report    json.RawMessage       `json:"report"`
		Signature *inspection.Signature `json:"signature"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &body))
	assert.Equal(t, string(bytes.TrimSpace(report)), string(body.Report), "the report is printed as given")
	assert.Equal(t, xjKey, body.Signature.KeyID)
	assert.Equal(t, inspection.Algorithm, body.Signature.Algorithm)
	assert.Contains(t, out, string(bytes.TrimSpace(report)), "verbatim, not re-encoded")

	keys, err := inspection.LoadRegistry(fixtures.FS, fixtureKeys)
	require.NoError(t, err)
	require.NoError(t, keys.VerifyReport(body.Report, body.Signature))

	signed := writeTemp(t, "signed.json", out)
	out, _, err = run(t, "verify-report", signed)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "OK"), out)
	assert.Contains(t, out, xjKey)

	// The same with an explicit key file, flags after the file name.
	keyFile := writeTemp(t, "keys.json", string(mustRead(t, "agencies/inspection-agency-keys.json")))
	out, _, err = run(t, "verify-report", signed, "--keys", keyFile)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "OK"), out)

	// Tampering one field breaks the signature.
	tampered := strings.Replace(string(mustReadFile(t, signed)), `"odometerKm": 45210`, `"odometerKm": 45209`, 1)
	require.NotEqual(t, string(mustReadFile(t, signed)), tampered)
	out, _, err = run(t, "verify-report", writeTemp(t, "tampered.json", tampered))
	assert.Equal(t, inspection.ESIGNATUREINVALID, gateway.ErrorCode(err), "%v", err)
	assert.Empty(t, out)

	// Re-indenting (whitespace, member order) does not.
	var generic map[string]any
	require.NoError(t, json.Unmarshal(mustReadFile(t, signed), &generic))
	reindented, err := json.MarshalIndent(generic, "", "\t")
	require.NoError(t, err)
	_, _, err = run(t, "verify-report", writeTemp(t, "reindented.json", string(reindented)))
	assert.NoError(t, err)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.FS, name)
	require.NoError(t, err)
	return b
}

func mustReadFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

func signWith(t *testing.T, filing string, args ...string) string {
	t.Helper()
	path, _ := writeReport(t, filing)
	out, _, err := run(t, append(append([]string{"sign-report"}, args...), path)...)
	require.NoError(t, err)
	return writeTemp(t, "signed.json", out)
}

func TestVerifyReportCodes(t *testing.T) {
	for _, tc := range []struct {
		name, filing, keyID, want string
	}{
		{"agency's key", "clean-m1-kz.json", xjKey, ""},
		{"key of another agency", "clean-m1-kz.json", szNew, inspection.EAGENCYMISMATCH},
		{"unregistered key", "clean-m1-kz.json", "91650104MA77YK0H8U-2030-1", inspection.EAGENCYUNKNOWN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, "verify-report", signWith(t, tc.filing, "--key-id", tc.keyID, "--demo-key"))
			assert.Equal(t, tc.want, gateway.ErrorCode(err), "%v", err)
		})
	}

	// Key rotation on a Shenzhen report issued in 2025 and one issued in 2026.
	old25 := issuedBy(t, "91440300MA5F2TQ8B5", "2025-")
	new26 := issuedBy(t, "91440300MA5F2TQ8B5", "2026-")
	_, _, err := run(t, "verify-report", signWith(t, old25, "--key-id", szOld, "--demo-key"))
	assert.NoError(t, err)
	_, _, err = run(t, "verify-report", signWith(t, old25, "--key-id", szNew, "--demo-key"))
	assert.Equal(t, inspection.EKEYNOTVALID, gateway.ErrorCode(err))
	_, _, err = run(t, "verify-report", signWith(t, new26, "--key-id", szNew, "--demo-key"))
	assert.NoError(t, err)
	_, _, err = run(t, "verify-report", signWith(t, new26, "--key-id", szOld, "--demo-key"))
	assert.Equal(t, inspection.EKEYNOTVALID, gateway.ErrorCode(err))

	// No signature at all.
	_, report := writeReport(t, "clean-m1-kz.json")
	_, _, err = run(t, "verify-report", writeTemp(t, "u.json", `{"report": `+string(report)+`}`))
	assert.Equal(t, inspection.EUNSIGNED, gateway.ErrorCode(err))

	// Not a signed body.
	_, _, err = run(t, "verify-report", writeTemp(t, "x.json", `{"report": {}, "signature": {}, "extra": 1}`))
	assert.Equal(t, gateway.EINVALIDJSON, gateway.ErrorCode(err))
	_, _, err = run(t, "verify-report", writeTemp(t, "x.json", `{"signature": {}}`))
	assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))
}

// issuedBy returns a fixture filing whose report is by agency and issued in the year prefix.
func issuedBy(t *testing.T, agency, yearPrefix string) string {
	t.Helper()
	names, err := fs.Glob(fixtures.FS, "filings/*.json")
	require.NoError(t, err)
	for _, n := range names {
		if strings.HasSuffix(n, ".expect.json") {
			continue
		}
		var f struct {
			InspectionReport struct {
				Agency    struct{ USCC string } `json:"agency"`
				IssueDate string                `json:"issueDate"`
			} `json:"inspectionReport"`
		}
		require.NoError(t, json.Unmarshal(mustRead(t, n), &f))
		if f.InspectionReport.Agency.USCC == agency && strings.HasPrefix(f.InspectionReport.IssueDate, yearPrefix) {
			return strings.TrimPrefix(n, "filings/")
		}
	}
	t.Fatalf("no fixture report of %s issued %s…", agency, yearPrefix)
	return ""
}

func TestPrivateKeyFiles(t *testing.T) {
	priv := inspection.DemoKey(xjKey)
	path, report := writeReport(t, "clean-m1-kz.json")
	want, err := inspection.Sign(report, xjKey, priv)
	require.NoError(t, err)

	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	for name, body := range map[string]string{
		"seed base64":    base64.StdEncoding.EncodeToString(priv.Seed()) + "\n",
		"64-byte base64": base64.StdEncoding.EncodeToString(priv),
		"PKCS#8 PEM":     string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
	} {
		t.Run(name, func(t *testing.T) {
			out, errOut, err := run(t, "sign-report", "--key-id", xjKey, "--private-key", writeTemp(t, "key", body), path)
			require.NoError(t, err)
			assert.NotContains(t, errOut, "DEMO")
			var got struct {
				Signature inspection.Signature `json:"signature"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			assert.Equal(t, *want, got.Signature, "Ed25519 is deterministic: same key, same signature")
		})
	}

	bad := map[string]string{
		"not base64":          "***",
		"wrong length":        base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"inconsistent 64":     base64.StdEncoding.EncodeToString(append(priv.Seed(), make([]byte, 32)...)),
		"PEM of another type": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}})),
		"PEM garbage":         string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})),
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			_, _, err := run(t, "sign-report", "--key-id", xjKey, "--private-key", writeTemp(t, "key", body), path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "--private-key")
		})
	}
	_, _, err = run(t, "sign-report", "--key-id", xjKey, "--private-key", filepath.Join(t.TempDir(), "missing"), path)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestSignReportRejectsNonReports(t *testing.T) {
	for name, body := range map[string]string{
		"invalid JSON":   `{"reportNo": `,
		"duplicate name": `{"a": 1, "a": 2}`,
		"array":          `[1, 2]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := run(t, "sign-report", "--key-id", xjKey, "--demo-key", writeTemp(t, "r.json", body))
			require.Error(t, err)
		})
	}
}

func TestStdin(t *testing.T) {
	_, report := writeReport(t, "clean-m1-kz.json")
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = bytes.NewReader(report)
	out, _, err := run(t, "sign-report", "--key-id", xjKey, "--demo-key", "-")
	require.NoError(t, err)
	stdin = strings.NewReader(out)
	out, _, err = run(t, "verify-report", "-")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "OK"))
}

func TestUsage(t *testing.T) {
	path, _ := writeReport(t, "clean-m1-kz.json")
	for _, tc := range []struct {
		name string
		args []string
		help string // expected in stderr for -h
	}{
		{"top -h", []string{"-h"}, "sign-report"},
		{"top help", []string{"help"}, "verify-report"},
		{"sign -h", []string{"sign-report", "-h"}, "--private-key"},
		{"verify -h", []string{"verify-report", "-h"}, "--keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := run(t, tc.args...)
			assert.ErrorIs(t, err, flag.ErrHelp)
			assert.Contains(t, errOut, strings.TrimPrefix(tc.help, "--"))
			assert.Equal(t, 0, report(err, &bytes.Buffer{}))
		})
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no subcommand", nil},
		{"unknown subcommand", []string{"sign"}},
		{"no key id", []string{"sign-report", "--demo-key", path}},
		{"no key source", []string{"sign-report", "--key-id", xjKey, path}},
		{"both key sources", []string{"sign-report", "--key-id", xjKey, "--demo-key", "--private-key", "k", path}},
		{"no report", []string{"sign-report", "--key-id", xjKey, "--demo-key"}},
		{"two reports", []string{"sign-report", "--key-id", xjKey, "--demo-key", path, path}},
		{"unknown flag", []string{"sign-report", "--key", xjKey, path}},
		{"verify without file", []string{"verify-report"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.Error(t, err)
			assert.Equal(t, 2, report(err, &bytes.Buffer{}), "%v", err)
		})
	}
}

func TestFlagsAfterFileAndDoubleDash(t *testing.T) {
	path, _ := writeReport(t, "clean-m1-kz.json")
	_, _, err := run(t, "sign-report", path, "--key-id", xjKey, "--demo-key")
	require.NoError(t, err)
	_, _, err = run(t, "sign-report", "--key-id", xjKey, "--demo-key", "--", path)
	require.NoError(t, err)
}

func TestReportExitStatus(t *testing.T) {
	var w bytes.Buffer
	err := gateway.Errorf(inspection.ESIGNATUREINVALID, "bad", "坏").
		WithDetails(gateway.Detail{Pointer: "/signature/value", Code: inspection.ESIGNATUREINVALID})
	assert.Equal(t, 1, report(err, &w))
	assert.Contains(t, w.String(), "REPORT_SIGNATURE_INVALID: bad")
	assert.Contains(t, w.String(), "坏")
	assert.Contains(t, w.String(), "/signature/value")
	assert.Equal(t, 0, report(nil, &w))
}

func TestVerifyKeysFileErrors(t *testing.T) {
	signed := signWith(t, "clean-m1-kz.json", "--key-id", xjKey, "--demo-key")
	_, _, err := run(t, "verify-report", "--keys", filepath.Join(t.TempDir(), "none.json"), signed)
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, _, err = run(t, "verify-report", "--keys", writeTemp(t, "k.json", `[{"keyId":"x"}]`), signed)
	assert.Error(t, err)
	// A registry without the signing key: unknown agency key.
	_, _, err = run(t, "verify-report", "--keys", writeTemp(t, "k.json", `[]`), signed)
	assert.Equal(t, inspection.EAGENCYUNKNOWN, gateway.ErrorCode(err))
}

// fixedCredit answers one exporter's credit.
type fixedCredit exporters.Credit

func (f fixedCredit) Credit(context.Context, string) (*exporters.Credit, error) {
	c := exporters.Credit(f)
	return &c, nil
}

// issueCreditReport signs a credit report the way the gateway does and writes it and the
// published key (as GET /v1/keys/credit-report answers it) to files.
func issueCreditReport(t *testing.T) (reportFile, keyFile string, doc []byte, pk creditreport.PublicKey) {
	t.Helper()
	key, err := creditreport.LoadOrCreateKey(filepath.Join(t.TempDir(), creditreport.KeyFile))
	require.NoError(t, err)
	store, err := embedded.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	svc := creditreport.New(store, fixedCredit{USCC: "91440300MA5GK7R3DQ", Name: "深圳市前海鹏远二手车出口有限公司", Score: 80, Grade: credit.GradeB,
		ModelVersion: "ucx-credit-2026.1", AsOf: "2026-11-26", Events: []exporters.Event{}}, key)
	issued, err := svc.Issue(context.Background(), "91440300MA5GK7R3DQ")
	require.NoError(t, err)
	pk = svc.PublicKey()
	keyJSON, err := json.Marshal(pk)
	require.NoError(t, err)
	return writeTemp(t, "report.json", string(issued.JSON)), writeTemp(t, "key.json", string(keyJSON)), issued.JSON, pk
}

func TestVerifyCreditReport(t *testing.T) {
	reportFile, keyFile, doc, pk := issueCreditReport(t)

	for name, key := range map[string]string{"key JSON": keyFile, "PEM": writeTemp(t, "key.pem", pk.PEM), "base64": writeTemp(t, "key.b64", pk.PublicKey)} {
		out, _, err := run(t, "verify-credit-report", "--key", key, "--report", reportFile)
		require.NoError(t, err, name)
		assert.True(t, strings.HasPrefix(out, "OK: credit report UCX-CR-"), out)
		assert.Contains(t, out, "grade B, score 80")
		assert.Contains(t, out, pk.KeyID)
	}

	tampered := writeTemp(t, "tampered.json", strings.Replace(string(doc), `"score":80`, `"score":95`, 1))
	_, _, err := run(t, "verify-credit-report", "--key", keyFile, "--report", tampered)
	assert.Equal(t, creditreport.ESIGNATUREINVALID, gateway.ErrorCode(err))
	var w bytes.Buffer
	assert.Equal(t, 1, report(err, &w))
	assert.Contains(t, w.String(), "CREDIT_REPORT_SIGNATURE_INVALID")
	assert.Contains(t, w.String(), "签名与报告内容不符")

	_, otherKey, _, _ := issueCreditReport(t)
	_, _, err = run(t, "verify-credit-report", "--key", otherKey, "--report", reportFile)
	assert.Equal(t, creditreport.EKEYMISMATCH, gateway.ErrorCode(err))

	_, _, err = run(t, "verify-credit-report", "--key", keyFile, "--report", writeTemp(t, "x.json", `{"reportNo":`))
	assert.Equal(t, creditreport.EMALFORMED, gateway.ErrorCode(err))
	_, _, err = run(t, "verify-credit-report", "--key", writeTemp(t, "bad.key", "nope"), "--report", reportFile)
	assert.ErrorContains(t, err, "public key")
}

func TestVerifyCreditReportKeyURL(t *testing.T) {
	reportFile, keyFile, _, _ := issueCreditReport(t)
	keyJSON, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/keys/credit-report" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(keyJSON)
	}))
	defer gw.Close()

	for _, u := range []string{gw.URL, gw.URL + "/", gw.URL + "/v1/keys/credit-report"} {
		out, _, err := run(t, "verify-credit-report", "--key-url", u, "--report", reportFile)
		require.NoError(t, err, u)
		assert.Contains(t, out, "OK:", u)
	}
	_, _, err = run(t, "verify-credit-report", "--key-url", gw.URL+"/elsewhere", "--report", reportFile)
	assert.ErrorContains(t, err, "404")
}

func TestVerifyCreditReportUsage(t *testing.T) {
	reportFile, keyFile, _, _ := issueCreditReport(t)
	for name, args := range map[string][]string{
		"no key":       {"--report", reportFile},
		"both keys":    {"--key", keyFile, "--key-url", "http://127.0.0.1:1", "--report", reportFile},
		"no report":    {"--key", keyFile},
		"positional":   {"--key", keyFile, "--report", reportFile, "extra"},
		"not http URL": {"--key-url", "file:///etc/passwd", "--report", reportFile},
	} {
		_, _, err := run(t, append([]string{"verify-credit-report"}, args...)...)
		assert.Equal(t, 2, report(err, &bytes.Buffer{}), "%s: %v", name, err)
	}
}
