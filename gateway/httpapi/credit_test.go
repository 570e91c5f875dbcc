package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
)

const filedExporter = "91440300MA5GK7R3DQ" // fixtures/agencies/exporters.json, filed 2024-05-20

func creditOf(t *testing.T, s *testServer, uscc string) map[string]any {
	t.Helper()
	w := s.do(http.MethodGet, "/v1/exporters/"+uscc+"/credit", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var m map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m))
	return m
}

func creditEvent(org, code, occurred string) []byte {
	return fmt.Appendf(nil, `{"org":%q,"code":%q,"occurredAt":%q,"evidenceHash":"sha256:%064x","ref":"26-GD-000001","actor":"officer-9"}`, org, code, occurred, 9)
}

// TestCreditRecordAndExplain: an agency records events; the exporter's credit shows the
// score, the grade and each event's weight today, and refusals change nothing.
func TestCreditRecordAndExplain(t *testing.T) {
	s := newTestServer(t)
	c := creditOf(t, s, filedExporter)
	assert.EqualValues(t, 80, c["score"])
	assert.Equal(t, "B", c["grade"])
	assert.Equal(t, "2026-11-26", c["asOf"])
	assert.Empty(t, c["events"])

	w := s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-10-01"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var ev map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ev))
	assert.Equal(t, "MANUAL", ev["source"])
	assert.Equal(t, "CommerceMSP", ev["mspId"])
	assert.NotNil(t, ev["receipt"])

	// An older talk, half-weighted after 6 months.
	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-03-01")).Code)
	c = creditOf(t, s, filedExporter)
	assert.EqualValues(t, 65, c["score"], "80 − 10 − 5")
	assert.Equal(t, "C", c["grade"])
	events := c["events"].([]any)
	require.Len(t, events, 2)
	first := events[0].(map[string]any)
	assert.Equal(t, "2026-03-01", first["occurredAt"], "oldest first")
	assert.EqualValues(t, -5, first["weight"])
	assert.EqualValues(t, 0.5, first["factor"])
	assert.Equal(t, "Regulator talk (约谈)", first["nameEn"])
	assert.Equal(t, "general", first["tier"])

	for name, tc := range map[string]struct {
		path   string
		body   []byte
		status int
		code   string
	}{
		"another agency's code": {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("customs", "E12", "2026-10-01"), 403, "EFORBIDDEN"},
		"unknown code":          {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("commerce", "E99", "2026-10-01"), 400, "EINVALID"},
		"future":                {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("commerce", "E12", "2099-01-01"), 400, "EINVALID"},
		"bad date":              {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("commerce", "E12", "2026-13-01"), 400, "EINVALID"},
		"bad org":               {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("tax", "E12", "2026-10-01"), 400, "EINVALID"},
		"malformed USCC":        {"/v1/exporters/91440300MA5GK7R3DI/credit-events", creditEvent("commerce", "E12", "2026-10-01"), 400, "EINVALID"},
		"not filed":             {"/v1/exporters/91350100M000100Y43/credit-events", creditEvent("commerce", "E12", "2026-10-01"), 404, "ENOTFOUND"},
		"unknown field":         {"/v1/exporters/" + filedExporter + "/credit-events", []byte(`{"org":"commerce","points":-50}`), 400, "UNKNOWN_FIELD"},
	} {
		w := s.post(tc.path, tc.body)
		assert.Equal(t, tc.status, w.Code, "%s: %s", name, w.Body.String())
		var env struct {
			Error struct {
				Code      string `json:"code"`
				MessageZh string `json:"messageZh"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), name)
		assert.Equal(t, tc.code, env.Error.Code, name)
		assert.NotEmpty(t, env.Error.MessageZh, name)
	}
	assert.Equal(t, c, creditOf(t, s, filedExporter), "refusals changed nothing")

	// A police-confirmed prohibited vehicle makes the grade D whatever the score.
	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("police", "E01", "2026-11-20")).Code)
	assert.Equal(t, "D", creditOf(t, s, filedExporter)["grade"])

	assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v1/exporters/91350100M000100Y43/credit", nil).Code)
	assert.Equal(t, http.StatusBadRequest, s.do(http.MethodGet, "/v1/exporters/nope/credit", nil).Code)
	codes := s.do(http.MethodGet, "/v1/credit/codes", nil)
	require.Equal(t, http.StatusOK, codes.Code)
	assert.Contains(t, codes.Body.String(), `"version":"ucx-credit-2026.1"`)
}

// TestCreditGradeInFilings: the grade applies to filings checked after it changes — C holds
// them for review, D refuses them; earlier decisions stay as they were.
func TestCreditGradeInFilings(t *testing.T) {
	s := newTestServer(t)
	doc, err := fixtures.FS.ReadFile("filings/clean-m1-porsche-reexport-check-digit-warn.json") // exporter filedExporter
	require.NoError(t, err)
	check := func() (string, []string) {
		w := s.post("/v1/filings?dryRun=true", doc)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var r struct {
			Decision string `json:"decision"`
			Results  []struct {
				Code string `json:"code"`
			} `json:"results"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &r))
		var codes []string
		for _, x := range r.Results {
			codes = append(codes, x.Code)
		}
		return r.Decision, codes
	}
	decision, _ := check()
	require.Equal(t, "ACCEPTED", decision)
	stored := s.post("/v1/filings", doc)
	require.Equal(t, http.StatusCreated, stored.Code, stored.Body.String())

	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-11-01")).Code)
	decision, codes := check()
	assert.Equal(t, "HELD", decision, "grade C")
	assert.Contains(t, codes, "CREDIT_REVIEW")

	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E07", "2026-11-02")).Code)
	decision, codes = check()
	assert.Equal(t, "REJECTED", decision, "grade D")
	assert.Contains(t, codes, "EXPORTER_SUSPENDED")

	var rec map[string]any
	require.NoError(t, json.Unmarshal(stored.Body.Bytes(), &rec))
	w := s.do(http.MethodGet, "/v1/filings/"+rec["filingId"].(string), nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"decision":"ACCEPTED"`, "not retroactive")
}
