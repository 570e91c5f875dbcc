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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
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
