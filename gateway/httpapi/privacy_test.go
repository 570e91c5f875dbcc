package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
)

// The previous owner of fixtures/filings/owner-person-kz.json (fictional).
const (
	ownerName    = "古丽娜尔·艾合买提"
	ownerID      = "650102198507123428"
	ownerPhone   = "13899512046"
	ownerAddress = "新疆维吾尔自治区乌鲁木齐市天山区解放北路188号3栋2单元501室"
)

// personal lists what must never leave the stored document unmasked: the owner's data, and
// the parts of the ID number a mask hides (birth date) — raw and as \u escapes.
var personal = []string{ownerName, "艾合买提", ownerID, "19850712", ownerPhone, ownerAddress, "解放北路",
	strings.Trim(strconv.QuoteToASCII(ownerName), `"`)}

func assertNoPersonalData(t *testing.T, where string, data []byte) {
	t.Helper()
	for _, p := range personal {
		assert.NotContains(t, string(data), p, "%s holds personal data", where)
	}
}

func principal(role gateway.Role, org string) *gateway.Principal {
	return &gateway.Principal{Subject: string(role) + "-officer-7", Role: role, Org: org, TokenID: "tok-" + string(role)}
}

// fileOwner files the fixture with a previous owner and returns its record.
func fileOwner(t *testing.T, s *testServer) gateway.FilingRecord {
	t.Helper()
	w := s.post("/v1/filings", fixture(t, "owner-person-kz"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var rec gateway.FilingRecord
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
	require.Equal(t, gateway.Accepted, rec.Decision, w.Body.String())
	return rec
}

func ownerIn(t *testing.T, doc []byte) gateway.Owner {
	t.Helper()
	var f gateway.Filing
	require.NoError(t, json.Unmarshal(doc, &f))
	require.NotNil(t, f.PreviousOwner, "the document names the previous owner")
	return *f.PreviousOwner
}

func docHashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestDocumentRedactedPerRole: police read the document as stored; customs the owner's name,
// the rest masked; every other role and a caller without a principal masked values. Reads
// that show personal data are audited first; masked answers say so and do not hash to
// docHash; the stored document never changes.
func TestDocumentRedactedPerRole(t *testing.T) {
	s := newTestServer(t)
	rec := fileOwner(t, s)
	path := "/v1/filings/" + rec.FilingID + "/document"
	masked := gateway.Owner{Name: "古*", IDType: gateway.OwnerResidentID, IDNumber: "650102********3428", Phone: "138****2046", Address: "新疆维吾尔自治区乌鲁木齐市天山区***"}

	police := principal(gateway.RolePolice, "police")
	w := s.doAs(police, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	stored := bytes.Clone(w.Body.Bytes())
	assert.Equal(t, rec.DocHash, docHashOf(stored), "police get the stored document, byte for byte")
	assert.Empty(t, w.Header().Get("X-UCX-Redacted"))
	assert.Equal(t, gateway.Owner{Name: ownerName, IDType: gateway.OwnerResidentID, IDNumber: ownerID, Phone: ownerPhone, Address: ownerAddress}, ownerIn(t, stored))
	entries := s.auditEntries()
	require.Len(t, entries, 1, "the unmasked read is audited")
	e := entries[0]
	assert.Equal(t, gateway.AuditEntry{Seq: 1, Time: e.Time, RequestID: w.Header().Get("X-Request-Id"), Subject: "police-officer-7", Role: gateway.RolePolice,
		Org: "police", TokenID: "tok-police", Action: gateway.AuditReadPersonalData, Resource: "filing:" + rec.FilingID,
		Route: "GET /v1/filings/:id/document", PrevHash: gateway.AuditGenesis, Hash: e.Hash}, *e)
	assertNoPersonalData(t, "the audit entry", must(json.Marshal(e)))

	w = s.doAs(principal(gateway.RoleCustoms, "customs"), http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "owner", w.Header().Get("X-UCX-Redacted"))
	withName := masked
	withName.Name = ownerName
	assert.Equal(t, withName, ownerIn(t, w.Body.Bytes()))
	assert.NotEqual(t, rec.DocHash, docHashOf(w.Body.Bytes()), "a redacted answer does not hash to docHash")
	entries = s.auditEntries()
	require.Len(t, entries, 2, "the name in clear is personal data: audited")
	assert.Equal(t, gateway.RoleCustoms, entries[1].Role)
	assert.Equal(t, entries[0].Hash, entries[1].PrevHash)

	for _, p := range []*gateway.Principal{principal(gateway.RoleInspector, "91650104MA77YK0H8U"), principal(gateway.RoleAdmin, "ucx")} {
		w := s.doAs(p, http.MethodGet, path, nil)
		require.Equal(t, http.StatusForbidden, w.Code, "the access table keeps %s off documents", p.Role)
		assertNoPersonalData(t, "a refused answer", w.Body.Bytes())
	}
	for _, p := range []*gateway.Principal{nil, principal(gateway.RoleExporter, rec.ExporterUSCC), principal(gateway.RoleCommerce, "commerce")} {
		w := s.doAs(p, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "owner", w.Header().Get("X-UCX-Redacted"))
		assert.Equal(t, masked, ownerIn(t, w.Body.Bytes()), "%+v", p)
		assertNoPersonalData(t, "a masked answer", w.Body.Bytes())
		var doc, want map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
		require.NoError(t, json.Unmarshal(stored, &want))
		delete(doc, "previousOwner")
		delete(want, "previousOwner")
		assert.Equal(t, want, doc, "everything else is the stored document")
	}
	assert.Len(t, s.auditEntries(), 2, "masked reads are not audited")

	w = s.doAs(police, http.MethodGet, path, nil)
	assert.Equal(t, stored, w.Body.Bytes(), "the stored document never changes")
	assert.Len(t, s.auditEntries(), 3, "every unmasked read is audited")
	w = s.do(http.MethodGet, "/v1/filings/"+rec.FilingID, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assertNoPersonalData(t, "the filing record", w.Body.Bytes())

	// A document without an owner is the same for everyone, never audited.
	plain := s.post("/v1/filings", fixture(t, "clean-m1-kz"))
	require.Equal(t, http.StatusCreated, plain.Code)
	id := decodeBody(t, plain)["filingId"].(string)
	for _, p := range []*gateway.Principal{nil, police} {
		w := s.doAs(p, http.MethodGet, "/v1/filings/"+id+"/document", nil)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Empty(t, w.Header().Get("X-UCX-Redacted"))
	}
	assert.Len(t, s.auditEntries(), 3, "no personal data, no audit entry")
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestNoUnauditedRead: when the audit log cannot be written, reads that would show personal
// data or credit details answer 503 EUNAVAILABLE and send nothing of them; masked reads go on.
func TestNoUnauditedRead(t *testing.T) {
	s := newTestServer(t)
	rec := fileOwner(t, s)
	report := s.do(http.MethodGet, "/v1/exporters/"+filedExporter+"/credit-report", nil)
	require.Equal(t, http.StatusOK, report.Code, report.Body.String())
	code := decodeBody(t, report)["verificationCode"].(string)
	before := len(s.auditEntries())
	s.audit.setDown(true)

	path := "/v1/filings/" + rec.FilingID + "/document"
	for _, p := range []*gateway.Principal{principal(gateway.RolePolice, "police"), principal(gateway.RoleCustoms, "customs")} {
		w := s.doAs(p, http.MethodGet, path, nil)
		require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
		assert.Equal(t, gateway.EUNAVAILABLE, errCode(t, w))
		assertNoPersonalData(t, "a refused read", w.Body.Bytes())
		assert.NotContains(t, w.Body.String(), "previousOwner")
	}
	w := s.doAs(principal(gateway.RoleExporter, rec.ExporterUSCC), http.MethodGet, path, nil)
	assert.Equal(t, http.StatusOK, w.Code, "a masked read needs no audit")

	for _, target := range []string{
		"/v1/exporters/" + filedExporter + "/credit",
		"/v1/exporters/" + filedExporter + "/credit-report",
		"/v1/exporters/" + filedExporter + "/credit-report?format=html",
		"/v1/verify/credit/" + code,
		"/verify/credit/" + code,
	} {
		w := s.doAs(principal(gateway.RoleCommerce, "commerce"), http.MethodGet, target, nil)
		require.Equal(t, http.StatusServiceUnavailable, w.Code, "%s: %s", target, w.Body.String())
		assert.NotContains(t, w.Body.String(), `"score"`, target)
		assert.NotContains(t, w.Body.String(), "E12", target)
		assert.NotContains(t, w.Body.String(), filedExporter, "%s names no credit", target)
	}
	s.audit.setDown(false)
	assert.Len(t, s.auditEntries(), before, "nothing was appended")
}

// TestCreditReadsAudited: every read of credit details is in the audit log before it is
// answered, by the exporter it concerns; the credit list (grades and scores) is not.
func TestCreditReadsAudited(t *testing.T) {
	s := newTestServer(t)
	seedFixtureHistories(t, s)
	commerce := principal(gateway.RoleCommerce, "commerce")
	exporter := principal(gateway.RoleExporter, filedExporter)

	w := s.doAs(exporter, http.MethodGet, "/v1/exporters/"+filedExporter+"/credit", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = s.doAs(exporter, http.MethodGet, "/v1/exporters/"+filedExporter+"/credit-report", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	code := decodeBody(t, w)["verificationCode"].(string)
	w = s.doAs(exporter, http.MethodGet, "/v1/exporters/"+filedExporter+"/credit-report?format=html", nil)
	require.Equal(t, http.StatusOK, w.Code)
	w = s.do(http.MethodGet, "/v1/verify/credit/"+code, nil)
	require.Equal(t, http.StatusOK, w.Code)
	w = s.do(http.MethodGet, "/verify/credit/"+code, nil)
	require.Equal(t, http.StatusOK, w.Code)
	w = s.doAs(commerce, http.MethodGet, "/v1/credit/cases?status=DECIDED", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var queue struct {
		Cases []struct {
			ExporterUSCC string `json:"exporterUscc"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &queue))
	require.NotEmpty(t, queue.Cases)
	shown := map[string]bool{}
	for _, c := range queue.Cases {
		shown["exporter:"+c.ExporterUSCC] = true
	}
	n := len(s.auditEntries())
	w = s.doAs(commerce, http.MethodGet, "/v1/exporters", nil)
	require.Equal(t, http.StatusOK, w.Code)
	w = s.doAs(commerce, http.MethodGet, "/v1/credit/cases?kind=REPAIR&status=OPEN", nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), `"cases":[]`)
	assert.Len(t, s.auditEntries(), n, "the list and an empty queue show no credit details")

	type row struct{ role, route, resource string }
	var got []row
	for _, e := range s.auditEntries() {
		assert.Equal(t, gateway.AuditReadCredit, e.Action)
		got = append(got, row{string(e.Role), e.Route, e.Resource})
	}
	self := "exporter:" + filedExporter
	want := []row{
		{"exporter", "GET /v1/exporters/:uscc/credit", self},
		{"exporter", "GET /v1/exporters/:uscc/credit-report", self},
		{"exporter", "GET /v1/exporters/:uscc/credit-report", self},
		{"", "GET /v1/verify/credit/:code", self},
		{"", "GET /verify/credit/:code", self},
	}
	for r := range shown {
		want = append(want, row{"commerce", "GET /v1/credit/cases", r})
	}
	assert.ElementsMatch(t, want, got)
	assert.Equal(t, want[:5], got[:5], "in the order read")
}

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TestPersonalDataNeverLoggedNorOnLedger files the owner fixture every way there is and reads
// it back every way there is; then nothing the gateway logged, and no file of the embedded
// ledger (block log, world state), holds the owner's name, ID number, phone or address —
// while the filing store does (the scan would see them).
func TestPersonalDataNeverLoggedNorOnLedger(t *testing.T) {
	dir := t.TempDir()
	logs := &syncBuffer{}
	s := openTestServerLogging(t, dir, false, logs)
	body := fixture(t, "owner-person-kz")

	for _, c := range []struct {
		target  string
		body    []byte
		headers []string
		status  int
	}{
		{"/v1/filings?dryRun=true", body, nil, http.StatusOK},
		{"/v1/filings", body, []string{"Idempotency-Key", "privacy-1"}, http.StatusCreated},
		{"/v1/filings", body, []string{"Idempotency-Key", "privacy-1"}, http.StatusCreated},
		{"/v1/filings?wait=anchored", body, nil, http.StatusCreated},
		{"/v1/filing-batches", []byte(`{"filings":[` + string(body) + `,` + string(fixture(t, "owner-id-check-digit")) + `]}`), nil, http.StatusOK},
		{"/v1/filings", bytes.Replace(body, []byte(`"name": "`+ownerName), []byte(`"name": "`+strings.Repeat(ownerName, 12)), 1), nil, http.StatusUnprocessableEntity},
		{"/v1/filings", bytes.Replace(body, []byte(`"idType": "RESIDENT_ID"`), []byte(`"idType": "`+ownerID+`"`), 1), nil, http.StatusUnprocessableEntity},
	} {
		w := s.post(c.target, c.body, c.headers...)
		require.Equal(t, c.status, w.Code, w.Body.String())
		if c.status == http.StatusUnprocessableEntity {
			assert.Equal(t, gateway.ESCHEMA, errCode(t, w))
		}
		assertNoPersonalData(t, "the answer to POST "+c.target, w.Body.Bytes())
	}
	rec := fileOwner(t, s)
	require.NotEmpty(t, rec.VerificationCode)
	for _, p := range []*gateway.Principal{principal(gateway.RolePolice, "police"), principal(gateway.RoleCustoms, "customs"), nil} {
		w := s.doAs(p, http.MethodGet, "/v1/filings/"+rec.FilingID+"/document", nil)
		require.Equal(t, http.StatusOK, w.Code)
	}
	for _, target := range []string{"/v1/filings/" + rec.FilingID, "/v1/verify/vehicles/" + rec.VerificationCode, "/verify/vehicles/" + rec.VerificationCode,
		"/v1/vehicles/" + rec.VIN + "/trace"} {
		w := s.do(http.MethodGet, target, nil)
		require.Equal(t, http.StatusOK, w.Code, target)
		assertNoPersonalData(t, "GET "+target, w.Body.Bytes())
		assert.NotContains(t, w.Body.String(), "古*", "%s: the public dossier carries no owner at all, not even masked", target)
	}

	logged := logs.Bytes()
	require.Contains(t, string(logged), "msg=request", "the access log was captured")
	assertNoPersonalData(t, "the gateway's logs", logged)

	require.NoError(t, s.ledger.Close())
	require.NoError(t, s.store.Close())
	for _, name := range []string{embedded.BlockLogFile, embedded.StateFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NotEmpty(t, data)
		assert.Contains(t, string(data), rec.FilingID, "%s holds the anchor", name)
		assertNoPersonalData(t, "the ledger's "+name, data)
	}
	data, err := os.ReadFile(filepath.Join(s.auditDir, embedded.AuditFile))
	require.NoError(t, err)
	assertNoPersonalData(t, "the audit log", data)
	data, err = os.ReadFile(filepath.Join(dir, embedded.DBFile))
	require.NoError(t, err)
	assert.Contains(t, string(data), ownerID, "the filing store keeps the document: the scan sees what is there")
	assert.Contains(t, string(data), ownerName)
}
