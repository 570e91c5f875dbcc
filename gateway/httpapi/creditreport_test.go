package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/creditreport"
)

// issueReport issues a credit report of the exporter and returns the signed JSON.
func issueReport(t *testing.T, s *testServer, uscc string) []byte {
	t.Helper()
	w := s.do(http.MethodGet, "/v1/exporters/"+uscc+"/credit-report", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), "every call issues a new report")
	return w.Body.Bytes()
}

// verification is the JSON answer of GET /v1/verify/credit/{code}.
type verification struct {
	VerificationCode string                `json:"verificationCode"`
	SignatureValid   bool                  `json:"signatureValid"`
	Current          bool                  `json:"current"`
	Changes          []creditreport.Change `json:"changes"`
	Report           json.RawMessage       `json:"report"`
	SignatureProblem *creditreport.Problem `json:"signatureProblem"`
}

func verifyCode(t *testing.T, s *testServer, code string) verification {
	t.Helper()
	w := s.do(http.MethodGet, "/v1/verify/credit/"+code, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var v verification
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v))
	return v
}

// publishedKey fetches the public key the gateway publishes.
func publishedKey(t *testing.T, s *testServer) creditreport.PublicKey {
	t.Helper()
	w := s.do(http.MethodGet, "/v1/keys/credit-report", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var pk creditreport.PublicKey
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &pk))
	return pk
}

// TestCreditReportSignedVerifiedAndCurrent: an exporter's report is its credit, signed with
// the published key; its code confirms it and says it is current until a new credit event
// is recorded, and then what changed.
func TestCreditReportSignedVerifiedAndCurrent(t *testing.T) {
	s := newTestServer(t)
	doc := issueReport(t, s, filedExporter)

	pk := publishedKey(t, s)
	assert.Equal(t, "Ed25519", pk.Algorithm)
	pub, err := creditreport.ParsePublicKey(s.do(http.MethodGet, "/v1/keys/credit-report", nil).Body.Bytes())
	require.NoError(t, err)
	r, err := creditreport.Verify(doc, pub)
	require.NoError(t, err, "the report verifies offline with the published key")
	assert.Equal(t, pk.KeyID, r.KeyID)

	var body struct {
		Credit json.RawMessage `json:"credit"`
	}
	require.NoError(t, json.Unmarshal(doc, &body))
	assert.JSONEq(t, s.do(http.MethodGet, "/v1/exporters/"+filedExporter+"/credit", nil).Body.String(), string(body.Credit),
		"the report carries the credit as GET …/credit answers it")

	v := verifyCode(t, s, r.VerificationCode)
	assert.True(t, v.SignatureValid)
	assert.True(t, v.Current)
	assert.Empty(t, v.Changes)
	assert.Nil(t, v.SignatureProblem)
	assert.Equal(t, string(doc), string(v.Report), "the report as issued")

	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-10-01")).Code)
	v = verifyCode(t, s, r.VerificationCode)
	assert.True(t, v.SignatureValid, "still the genuine report")
	assert.False(t, v.Current, "the exporter's credit has changed")
	var kinds []string
	for _, c := range v.Changes {
		kinds = append(kinds, c.Kind)
		assert.NotEmpty(t, c.MessageZh)
	}
	assert.Equal(t, []string{creditreport.ChangeScore, creditreport.ChangeGrade, creditreport.ChangeEventAdded}, kinds)
	assert.EqualValues(t, 80, v.Changes[0].Was)
	assert.EqualValues(t, 70, v.Changes[0].Now)
	assert.Equal(t, "B", v.Changes[1].Was)
	assert.Equal(t, "C", v.Changes[1].Now)
	assert.Equal(t, "E12", v.Changes[2].Code)

	fresh := issueReport(t, s, filedExporter)
	r2, err := creditreport.Verify(fresh, pub)
	require.NoError(t, err)
	assert.NotEqual(t, r.VerificationCode, r2.VerificationCode)
	assert.True(t, verifyCode(t, s, r2.VerificationCode).Current, "a report issued after the event is current")
}

func TestCreditReportErrors(t *testing.T) {
	s := newTestServer(t)
	for name, tc := range map[string]struct {
		target  string
		status  int
		code    string
		pointer string
	}{
		"unknown code":           {"/v1/verify/credit/ZZZZ-ZZZZ-ZZZZ-ZZZZ", 404, gateway.ENOTFOUND, ""},
		"not a code":             {"/v1/verify/credit/nope", 404, gateway.ENOTFOUND, ""},
		"malformed USCC":         {"/v1/exporters/91440300MA5GK7R3DI/credit-report", 400, gateway.EINVALID, "uscc"},
		"not filed":              {"/v1/exporters/91350100M000100Y43/credit-report", 404, gateway.ENOTFOUND, ""},
		"unknown format":         {"/v1/exporters/" + filedExporter + "/credit-report?format=pdf", 400, gateway.EINVALID, "format"},
		"malformed, format=json": {"/v1/exporters/x/credit-report?format=json", 400, gateway.EINVALID, "uscc"},
	} {
		t.Run(name, func(t *testing.T) {
			w := s.do(http.MethodGet, tc.target, nil)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			var env struct {
				Error struct {
					Code      string           `json:"code"`
					Message   string           `json:"message"`
					MessageZh string           `json:"messageZh"`
					Details   []gateway.Detail `json:"details"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
			assert.Equal(t, tc.code, env.Error.Code)
			assert.NotEmpty(t, env.Error.Message)
			assert.NotEmpty(t, env.Error.MessageZh)
			if tc.pointer != "" && assert.Len(t, env.Error.Details, 1) {
				assert.Equal(t, tc.pointer, env.Error.Details[0].Pointer)
			}
		})
	}
}

var codeInPage = regexp.MustCompile(`核验码 Verification code</th><td><code>([0-9A-Z-]{19})</code>`)

// TestCreditReportPages: the report and its verification as bilingual pages.
func TestCreditReportPages(t *testing.T) {
	s := newTestServer(t)
	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-10-01")).Code)

	for name, headers := range map[string][]string{
		"?format=html":    nil,
		"browser":         {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		"JSON wins first": {"Accept", "application/json, text/html"},
		"curl":            {"Accept", "*/*"},
	} {
		t.Run(name, func(t *testing.T) {
			target := "/v1/exporters/" + filedExporter + "/credit-report"
			if name == "?format=html" {
				target += "?format=html"
			}
			w := s.do(http.MethodGet, target, nil, headers...)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			if name == "JSON wins first" || name == "curl" {
				assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
				return
			}
			assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
			page := w.Body.String()
			for _, want := range []string{"出口企业专项信用报告", "Exporter credit report", "信用等级 Grade", "加强审核 · enhanced review",
				"被主管部门约谈", "Regulator talk", "深圳", filedExporter, "Ed25519"} {
				assert.Contains(t, page, want)
			}
			m := codeInPage.FindStringSubmatch(page)
			require.Len(t, m, 2, "the page shows the verification code")
			assert.True(t, verifyCode(t, s, m[1]).SignatureValid, "the printed code answers the report")
		})
	}

	w := s.do(http.MethodGet, "/v1/exporters/"+filedExporter+"/credit-report?format=html", nil)
	code := codeInPage.FindStringSubmatch(w.Body.String())[1]
	page := s.do(http.MethodGet, "/verify/credit/"+code, nil)
	require.Equal(t, http.StatusOK, page.Code)
	assert.Equal(t, "text/html; charset=utf-8", page.Header().Get("Content-Type"))
	for _, want := range []string{"签名有效", "Signature valid", "仍为最新", "Still current", code} {
		assert.Contains(t, page.Body.String(), want)
	}

	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("customs", "E15", "2026-11-01")).Code)
	page = s.do(http.MethodGet, "/verify/credit/"+code, nil)
	require.Equal(t, http.StatusOK, page.Code)
	for _, want := range []string{"签名有效", "已非最新", "No longer current", "新增信用事件", "E15"} {
		assert.Contains(t, page.Body.String(), want)
	}

	for target, wants := range map[string][]string{
		"/verify/credit/ZZZZ-ZZZZ-ZZZZ-ZZZZ":                         {"无此核验码对应的信用报告", "no credit report with this verification code"},
		"/v1/exporters/91350100M000100Y43/credit-report?format=html": {"Request "},
	} {
		p := s.do(http.MethodGet, target, nil)
		assert.Equal(t, http.StatusNotFound, p.Code, target)
		assert.Equal(t, "text/html; charset=utf-8", p.Header().Get("Content-Type"), target)
		for _, want := range wants {
			assert.Contains(t, p.Body.String(), want, target)
		}
	}
}

// TestCreditReportSurvivesRestart: after a restart on the same data directory the gateway
// signs with the same key, and a code answers the same report, still valid and current.
func TestCreditReportSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := openTestServer(t, dir)
	doc := issueReport(t, s, filedExporter)
	keyID := publishedKey(t, s).KeyID
	var r struct {
		VerificationCode string `json:"verificationCode"`
	}
	require.NoError(t, json.Unmarshal(doc, &r))
	require.NoError(t, s.store.Close())
	require.NoError(t, s.ledger.Close())

	s2 := openTestServer(t, dir)
	assert.Equal(t, keyID, publishedKey(t, s2).KeyID, "the key is reused")
	v := verifyCode(t, s2, r.VerificationCode)
	assert.Equal(t, string(doc), string(v.Report))
	assert.True(t, v.SignatureValid)
	assert.True(t, v.Current)
}

// TestCreditReportAfterAnObjection: a report stops being current when the exporter objects to
// one of its events (DISPUTED) and says so again, differently, once the objection is upheld.
func TestCreditReportAfterAnObjection(t *testing.T) {
	s := newTestServer(t)
	base := "/v1/exporters/" + filedExporter
	w := s.post(base+"/credit-events", creditEvent("commerce", "E12", "2026-10-01"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	eventID := decodeBody(t, w)["id"].(string)
	var r struct {
		VerificationCode string `json:"verificationCode"`
	}
	require.NoError(t, json.Unmarshal(issueReport(t, s, filedExporter), &r))

	w = s.post(base+"/credit-cases", fmt.Appendf(nil, `{"kind":"OBJECTION","eventId":%q,"evidenceHash":"sha256:%064x","actor":"exporter-rep-1"}`, eventID, 1))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	v := verifyCode(t, s, r.VerificationCode)
	assert.False(t, v.Current)
	require.Len(t, v.Changes, 1, "a disputed event still counts: only its status changed")
	assert.Equal(t, creditreport.ChangeEventStatus, v.Changes[0].Kind)
	assert.Equal(t, eventID, v.Changes[0].EventID)
	assert.Equal(t, "ACTIVE", v.Changes[0].Was)
	assert.Equal(t, "DISPUTED", v.Changes[0].Now)

	w = s.post("/v1/credit/cases/"+decodeBody(t, w)["id"].(string)+"/decision", decision("UPHELD", 0))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	v = verifyCode(t, s, r.VerificationCode)
	assert.True(t, v.SignatureValid)
	assert.False(t, v.Current)
	var kinds []string
	for _, c := range v.Changes {
		kinds = append(kinds, c.Kind)
	}
	assert.Equal(t, []string{creditreport.ChangeScore, creditreport.ChangeGrade, creditreport.ChangeEventStatus, creditreport.ChangeEventWeight}, kinds)
	assert.Equal(t, "REVOKED", v.Changes[2].Now)
}
