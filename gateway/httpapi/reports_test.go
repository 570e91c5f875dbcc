package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/inspection"
)

// signedReport splits a fixture filing into its report, signed with the agency's demo key,
// and the filing with the report replaced by a reference to it.
func signedReport(t *testing.T, name string, keyID string) (body []byte, filing []byte, report map[string]any) {
	t.Helper()
	var f map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, name), &f))
	report = f["inspectionReport"].(map[string]any)
	raw, err := json.Marshal(report)
	require.NoError(t, err)
	agency := report["agency"].(map[string]any)["uscc"].(string)
	if keyID == "" {
		keys, err := inspection.LoadRegistry(fixtures.FS, "agencies/inspection-agency-keys.json")
		require.NoError(t, err)
		k, ok := keys.ActiveKey(agency, report["issueDate"].(string))
		require.True(t, ok, "the fixture agency %s has a key", agency)
		keyID = k.KeyID
	}
	sig, err := inspection.Sign(raw, keyID, inspection.DemoKey(keyID))
	require.NoError(t, err)
	body, err = json.Marshal(map[string]any{"report": json.RawMessage(raw), "signature": sig})
	require.NoError(t, err)
	delete(f, "inspectionReport")
	f["inspectionReportRef"] = map[string]any{"agencyUscc": agency, "reportNo": report["reportNo"]}
	filing, err = json.Marshal(f)
	require.NoError(t, err)
	return body, filing, report
}

func TestSignedReportThenFilingByReference(t *testing.T) {
	s := newTestServer(t)
	body, filing, report := signedReport(t, "clean-m1-kz", "")
	vin := report["vehicle"].(map[string]any)["vin"].(string)
	early := s.post("/v1/inspection-reports", body)
	require.Equal(t, http.StatusConflict, early.Code, "no inspection before the transfer pending export: %s", early.Body.String())
	code, _ := errorOf(t, early.Body.Bytes())
	assert.Equal(t, gateway.EILLEGALTRANSITION, code)
	require.Equal(t, http.StatusCreated, s.post("/v1/vehicles/"+vin+"/events",
		[]byte(`{"org":"police","type":"TRANSFERRED_PENDING_EXPORT","evidenceHash":"`+hashOf(3)+`","actor":"police-1"}`)).Code)
	w := s.post("/v1/inspection-reports", body)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	v := decodeBody(t, w)
	hash := v["reportHash"].(string)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, hash)
	ev := v["event"].(map[string]any)
	assert.Equal(t, "INSPECTED", ev["type"])
	assert.Equal(t, hash, ev["evidenceHash"], "the trace carries the report's hash")

	again := s.post("/v1/inspection-reports", body)
	assert.Equal(t, http.StatusCreated, again.Code, "the same report again is fine")

	g := s.do(http.MethodGet, "/v1/inspection-reports/"+report["agency"].(map[string]any)["uscc"].(string)+"/"+report["reportNo"].(string), nil)
	require.Equal(t, http.StatusOK, g.Code, g.Body.String())
	assert.Equal(t, hash, decodeBody(t, g)["reportHash"])

	f := s.post("/v1/filings", filing)
	require.Equal(t, http.StatusCreated, f.Code, f.Body.String())
	assert.Equal(t, gateway.Accepted, decodeBody(t, f)["decision"], "a referenced report decides like an embedded one")

	var doc map[string]any
	require.NoError(t, json.Unmarshal(filing, &doc))
	doc["inspectionReportRef"] = map[string]any{"agencyUscc": "91110108MA01C8TQ26", "reportNo": "NOPE-1"}
	unknown, _ := json.Marshal(doc)
	u := s.post("/v1/filings", unknown)
	require.Equal(t, http.StatusUnprocessableEntity, u.Code)
	code, _ = errorOf(t, u.Body.Bytes())
	assert.Equal(t, gateway.EREPORTNOTFOUND, code)

	doc["inspectionReport"] = report
	both, _ := json.Marshal(doc)
	bw := s.post("/v1/filings", both)
	require.Equal(t, http.StatusUnprocessableEntity, bw.Code)
	code, details := errorOf(t, bw.Body.Bytes())
	assert.Equal(t, gateway.ESCHEMA, code)
	assert.Equal(t, "SCHEMA_ONEOF", details[0].Code)
}

func TestSignedReportRefusals(t *testing.T) {
	s := newTestServer(t)
	good, _, report := signedReport(t, "clean-m1-kz", "")
	var env map[string]any
	require.NoError(t, json.Unmarshal(good, &env))
	mutate := func(f func(env map[string]any)) []byte {
		var e map[string]any
		require.NoError(t, json.Unmarshal(good, &e))
		f(e)
		b, _ := json.Marshal(e)
		return b
	}
	otherAgency, _, _ := signedReport(t, "clean-n3-tractor-uz-2025", "")
	var other map[string]any
	require.NoError(t, json.Unmarshal(otherAgency, &other))
	cases := []struct {
		name string
		body []byte
		code string
	}{
		{"unsigned", mutate(func(e map[string]any) { delete(e, "signature") }), inspection.EUNSIGNED},
		{"altered after signing", mutate(func(e map[string]any) {
			e["report"].(map[string]any)["vehicle"].(map[string]any)["odometerKm"] = 1000
		}), inspection.ESIGNATUREINVALID},
		{"unknown key", mutate(func(e map[string]any) { e["signature"].(map[string]any)["keyId"] = "nobody-1" }), inspection.EAGENCYUNKNOWN},
		{"another agency's key", mutate(func(e map[string]any) { e["signature"] = other["signature"] }), ""},
		{"schema", mutate(func(e map[string]any) { delete(e["report"].(map[string]any), "conclusion") }), gateway.ESCHEMA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := s.post("/v1/inspection-reports", tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
			code, details := errorOf(t, w.Body.Bytes())
			if tc.code != "" {
				assert.Equal(t, tc.code, code)
			} else {
				assert.Contains(t, []string{inspection.EAGENCYMISMATCH, inspection.ESIGNATUREINVALID}, code)
			}
			require.NotEmpty(t, details)
			assert.True(t, strings.HasPrefix(details[0].Pointer, "/report") || strings.HasPrefix(details[0].Pointer, "/signature"), details[0].Pointer)
		})
	}
	uscc := report["agency"].(map[string]any)["uscc"].(string)
	assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v1/inspection-reports/"+uscc+"/"+report["reportNo"].(string), nil).Code, "refused reports are not stored")

	// Another report under the same number: 409.
	vin := report["vehicle"].(map[string]any)["vin"].(string)
	require.Equal(t, http.StatusCreated, s.post("/v1/vehicles/"+vin+"/events",
		[]byte(`{"org":"police","type":"TRANSFERRED_PENDING_EXPORT","evidenceHash":"`+hashOf(3)+`","actor":"police-1"}`)).Code)
	require.Equal(t, http.StatusCreated, s.post("/v1/inspection-reports", good).Code)
	var f map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "clean-m1-kz"), &f))
	r2 := f["inspectionReport"].(map[string]any)
	r2["signatures"].(map[string]any)["reviewer"] = "另一位审核员"
	raw, _ := json.Marshal(r2)
	sig, err := inspection.Sign(raw, env["signature"].(map[string]any)["keyId"].(string), inspection.DemoKey(env["signature"].(map[string]any)["keyId"].(string)))
	require.NoError(t, err)
	second, _ := json.Marshal(map[string]any{"report": json.RawMessage(raw), "signature": sig})
	assert.Equal(t, http.StatusConflict, s.post("/v1/inspection-reports", second).Code)
}
