package httpapi_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/filings"
)

func hashOf(i int) string { return fmt.Sprintf("sha256:%064x", i) }

func TestFilingCarriesReceiptAndTrace(t *testing.T) {
	s := newTestServer(t)
	w := s.post("/v1/filings", fixture(t, "clean-m1-kz"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var rec gateway.FilingRecord
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
	require.NotNil(t, rec.Receipt)
	assert.Equal(t, gateway.LedgerEmbedded, rec.Receipt.Ledger)
	assert.Equal(t, gateway.ReceiptCommitted, rec.Receipt.Status, "embedded mode answers once anchored")
	assert.Regexp(t, `^[0-9a-f]{64}$`, rec.Receipt.TxID)

	ev := s.post("/v1/vehicles/"+rec.VIN+"/events", []byte(`{"org":"police","type":"TRANSFERRED_PENDING_EXPORT","evidenceHash":"`+hashOf(7)+`","actor":"police-officer-1"}`))
	require.Equal(t, http.StatusCreated, ev.Code, ev.Body.String())

	tr := s.do(http.MethodGet, "/v1/vehicles/"+rec.VIN+"/trace", nil)
	require.Equal(t, http.StatusOK, tr.Code, tr.Body.String())
	var page gateway.TracePage
	require.NoError(t, json.Unmarshal(tr.Body.Bytes(), &page))
	require.Len(t, page.Events, 2)
	assert.Equal(t, "FILED", page.Events[0].Type)
	assert.Equal(t, rec.FilingID, page.Events[0].FilingID)
	assert.Equal(t, rec.DocHash, page.Events[0].DocHash)
	assert.Equal(t, *rec.Receipt, *page.Events[0].Receipt)
	assert.Equal(t, "TRANSFERRED_PENDING_EXPORT", page.Events[1].Type)
	assert.Equal(t, gateway.MSPPolice, page.Events[1].MSPID)
	require.NotNil(t, page.Events[1].Receipt)

	n, err := s.ledger.Verify()
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n)

	// Anyone holding the receipt can check it.
	pr := s.do(http.MethodGet, "/v1/receipts/"+rec.Receipt.TxID, nil)
	require.Equal(t, http.StatusOK, pr.Code, pr.Body.String())
	var proof gateway.ReceiptProof
	require.NoError(t, json.Unmarshal(pr.Body.Bytes(), &proof))
	assert.Equal(t, *rec.Receipt, proof.Receipt)
	leaf, err := hex.DecodeString(proof.TxHash)
	require.NoError(t, err)
	assert.True(t, embedded.VerifyMerklePath([32]byte(leaf), proof.MerklePath, proof.DataHash))
	assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v1/receipts/"+hashOf(9)[7:], nil).Code)
}

func TestEventRefusals(t *testing.T) {
	s := newTestServer(t)
	vin := "LSJA24U62JG269225"
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"police may not post customs events", `{"org":"police","type":"DECLARED","evidenceHash":"` + hashOf(1) + `","actor":"p1"}`, 403, gateway.EFORBIDDEN},
		{"customs may not post police events", `{"org":"customs","type":"DEREGISTERED","evidenceHash":"` + hashOf(1) + `","actor":"c1"}`, 403, gateway.EFORBIDDEN},
		{"unknown type", `{"org":"customs","type":"TELEPORTED","evidenceHash":"` + hashOf(1) + `","actor":"c1"}`, 400, gateway.EINVALID},
		{"bad evidence hash", `{"org":"customs","type":"DECLARED","evidenceHash":"md5:abc","actor":"c1"}`, 400, gateway.EINVALID},
		{"unknown org", `{"org":"exporter","type":"DECLARED","evidenceHash":"` + hashOf(1) + `","actor":"c1"}`, 400, gateway.EINVALID},
		{"unknown field", `{"org":"customs","type":"DECLARED","evidenceHash":"` + hashOf(1) + `","actor":"c1","ownerName":"x"}`, 400, gateway.EUNKNOWNFIELD},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := s.post("/v1/vehicles/"+vin+"/events", []byte(tc.body))
			require.Equal(t, tc.status, w.Code, w.Body.String())
			code, _ := errorOf(t, w.Body.Bytes())
			assert.Equal(t, tc.code, code)
		})
	}
	bad := s.do(http.MethodGet, "/v1/vehicles/LSJA24U6OJG269225/trace", nil)
	assert.Equal(t, http.StatusBadRequest, bad.Code)
	tr := decodeBody(t, s.do(http.MethodGet, "/v1/vehicles/"+vin+"/trace", nil))
	assert.Equal(t, float64(0), tr["total"], "refused events changed nothing")
	h, err := s.ledger.Height()
	require.NoError(t, err)
	assert.Zero(t, h, "no block was written")
}

// TestTamperedDocumentIsNeverServed edits a stored document behind the gateway's back.
func TestTamperedDocumentIsNeverServed(t *testing.T) {
	dir := t.TempDir()
	s := openTestServer(t, dir)
	w := s.post("/v1/filings", fixture(t, "clean-m1-kz"))
	require.Equal(t, http.StatusCreated, w.Code)
	rec := decodeBody(t, w)
	id, hash := rec["filingId"].(string), rec["docHash"].(string)
	require.Equal(t, http.StatusOK, s.do(http.MethodGet, "/v1/filings/"+id+"/document", nil).Code)
	require.NoError(t, s.store.Close())
	require.NoError(t, s.ledger.Close())

	db, err := bolt.Open(filepath.Join(dir, "ucx.db"), 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("documents"))
		doc := b.Get([]byte(hash))
		require.NotNil(t, doc)
		forged := []byte(string(doc[:len(doc)-1]) + ` `) // one byte changed
		forged[len(forged)-1] = '}'
		forged = append(forged[:len(forged)-2], []byte(`,"x":1}`)...)
		return b.Put([]byte(hash), forged)
	}))
	require.NoError(t, db.Close())

	s2 := openTestServer(t, dir)
	for _, path := range []string{"/v1/filings/" + id, "/v1/filings/" + id + "/document"} {
		g := s2.do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusConflict, g.Code, g.Body.String())
		code, _ := errorOf(t, g.Body.Bytes())
		assert.Equal(t, gateway.EDOCTAMPERED, code)
	}
	_ = os.Remove(filepath.Join(dir, "nothing"))
}

func TestLicenceOnLedger(t *testing.T) {
	s := newTestServer(t)
	lic := `{"licenceNo":"26-AB-000901","status":"ISSUED","exporterUscc":"91350100M000100Y43","destinationCountry":"KZ",
		"issueDate":"2026-03-01","expiryDate":"2026-08-31","lines":[{"vin":"LSJA24U62JG269225","brand":"荣威","model":"RX5","registrationDate":"2018-06-01","hsCode":"8703231990"}]}`
	w := s.post("/v1/licences", []byte(lic))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	body := decodeBody(t, w)
	assert.Equal(t, "ISSUED", body["licence"].(map[string]any)["status"])
	assert.NotNil(t, body["receipt"])

	again := s.post("/v1/licences", []byte(lic))
	assert.Equal(t, http.StatusConflict, again.Code, "a licence number is issued once")

	g := s.do(http.MethodGet, "/v1/licences/26-AB-000901", nil)
	require.Equal(t, http.StatusOK, g.Code)
	r := s.post("/v1/licences/26-AB-000901/revocation", []byte(`{"reasonCode":"EXPORTER_REQUEST","actor":"commerce-officer-2"}`))
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	assert.Equal(t, "REVOKED", decodeBody(t, r)["licence"].(map[string]any)["status"])

	tr := decodeBody(t, s.do(http.MethodGet, "/v1/vehicles/LSJA24U62JG269225/trace", nil))
	assert.Equal(t, float64(2), tr["total"], "issue and revocation are on the vehicle's trace")
	assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v1/licences/26-AB-999999", nil).Code)
}

func TestPublicDossier(t *testing.T) {
	s := newTestServer(t)
	rec := decodeBody(t, s.post("/v1/filings", fixture(t, "clean-m1-kz")))
	code, _ := rec["verificationCode"].(string)
	require.Len(t, code, 12, "an ACCEPTED filing gets a verification code")
	assert.NotContains(t, code, rec["vin"].(string)[11:], "not derived from the VIN")
	rejected := decodeBody(t, s.post("/v1/filings", fixture(t, "stolen-vehicle")))
	assert.NotContains(t, rejected, "verificationCode", "only ACCEPTED filings get one")

	d := decodeBody(t, s.do(http.MethodGet, "/v1/verify/vehicles/"+strings.ToLower(code[:6])+"-"+code[6:], nil))
	assert.Equal(t, "VALID", d["status"])
	assert.Equal(t, rec["vin"], d["vin"])
	assert.Equal(t, "WM/T 8-2022", d["standard"])
	assert.Equal(t, "NEW", d["exportStatus"], "filed, no step reported yet")
	assert.Equal(t, "committed", d["receipt"].(map[string]any)["status"])
	require.Len(t, d["trace"], 1)

	page := s.do(http.MethodGet, "/verify/vehicles/"+code, nil)
	require.Equal(t, http.StatusOK, page.Code)
	assert.Contains(t, page.Header().Get("Content-Type"), "text/html")
	assert.Contains(t, page.Body.String(), rec["vin"].(string))
	assert.Contains(t, page.Body.String(), "有效 VALID")

	// A later filing of the same vehicle supersedes the dossier.
	s.post("/v1/filings", fixture(t, "clean-m1-kz"))
	d = decodeBody(t, s.do(http.MethodGet, "/v1/verify/vehicles/"+code, nil))
	assert.Equal(t, "SUPERSEDED", d["status"])

	for _, bad := range []string{"AAAAAAAAAAAA", "short", "ILOU12345678"} {
		assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v1/verify/vehicles/"+bad, nil).Code, bad)
		p := s.do(http.MethodGet, "/verify/vehicles/"+bad, nil)
		assert.Equal(t, http.StatusNotFound, p.Code)
		assert.Contains(t, p.Body.String(), "无此核验码对应的档案")
	}
}

// TestFiledEventCommitsToRuleResults: the FILED event's evidence hash is the hash of the
// rule results the filing answered with.
func TestFiledEventCommitsToRuleResults(t *testing.T) {
	s := newTestServer(t)
	w := s.post("/v1/filings", fixture(t, "maint-no-records-warn"))
	require.Equal(t, http.StatusCreated, w.Code)
	var rec gateway.FilingRecord
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
	require.NotEmpty(t, rec.Results, "a filing with a warning")
	tr := decodeBody(t, s.do(http.MethodGet, "/v1/vehicles/"+rec.VIN+"/trace", nil))["events"].([]any)
	assert.Equal(t, filings.ResultsHash(rec.Results), tr[0].(map[string]any)["evidenceHash"])
}
