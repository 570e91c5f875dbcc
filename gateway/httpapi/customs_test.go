package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// declarationFor builds a customs declaration for a fixture filing's vehicle.
func declarationFor(t *testing.T, fixtureName, no, hs string) (map[string]any, string) {
	t.Helper()
	var f map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, fixtureName), &f))
	vin := f["vehicle"].(map[string]any)["vin"].(string)
	return map[string]any{
		"declarationNo": no, "declaredAt": f["applicationDate"], "exporterUscc": f["exporter"].(map[string]any)["uscc"],
		"licenceNo": f["licenceNo"], "destinationCountry": f["destinationCountry"],
		"lines": []any{map[string]any{"vin": vin, "hsCode": hs}},
	}, vin
}

func clearance(t *testing.T, s *testServer, decl map[string]any) (int, gateway.ClearanceRecord) {
	t.Helper()
	body, _ := json.Marshal(decl)
	w := s.post("/v1/customs/clearances", body)
	var rec gateway.ClearanceRecord
	if w.Code == http.StatusCreated {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
	}
	return w.Code, rec
}

func reasonCodes(l gateway.ClearanceLine) []string {
	out := []string{}
	for _, r := range l.Reasons {
		out = append(out, r.Code)
	}
	return out
}

func TestCustomsClearance(t *testing.T) {
	s := newTestServer(t)
	decl, vin := declarationFor(t, "clean-m1-kz", "020220260000000101", "8703609000")

	status, rec := clearance(t, s, decl)
	require.Equal(t, http.StatusCreated, status)
	assert.Equal(t, gateway.Refuse, rec.Lines[0].Status, "no filing yet")
	assert.Equal(t, []string{"CUSTOMS_NO_ACCEPTED_FILING"}, reasonCodes(rec.Lines[0]))

	require.Equal(t, http.StatusCreated, s.post("/v1/filings", fixture(t, "clean-m1-kz")).Code)
	status, rec = clearance(t, s, decl)
	require.Equal(t, http.StatusCreated, status)
	l := rec.Lines[0]
	assert.Equal(t, gateway.Clear, l.Status, "%v", reasonCodes(l))
	assert.Equal(t, "GRADE_B", l.RiskLevel, "the exporter's credit grade")
	require.NotNil(t, l.Receipt, "the outcome is anchored")
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, rec.DeclarationHash)

	// The outcome is on the vehicle's trace, and stored.
	tr := decodeBody(t, s.do(http.MethodGet, "/v1/vehicles/"+vin+"/trace", nil))
	events := tr["events"].([]any)
	assert.Equal(t, "CLEARANCE_CHECKED", events[len(events)-1].(map[string]any)["type"])
	g := s.do(http.MethodGet, "/v1/customs/clearances/020220260000000101", nil)
	require.Equal(t, http.StatusOK, g.Code)

	// The same vehicle on a second declaration is refused; re-checking the first is fine.
	second, _ := declarationFor(t, "clean-m1-kz", "020220260000000102", "8703609000")
	_, rec2 := clearance(t, s, second)
	assert.Equal(t, gateway.Refuse, rec2.Lines[0].Status)
	assert.Contains(t, reasonCodes(rec2.Lines[0]), "CUSTOMS_ALREADY_DECLARED")
	_, again := clearance(t, s, decl)
	assert.Equal(t, gateway.Clear, again.Lines[0].Status)
	assert.Equal(t, l.PhysicalInspection, again.Lines[0].PhysicalInspection, "sampling is deterministic")
}

func TestCustomsRefusals(t *testing.T) {
	s := newTestServer(t)
	require.Equal(t, http.StatusCreated, s.post("/v1/filings", fixture(t, "clean-m1-kz")).Code)
	cases := []struct {
		name   string
		mutate func(d map[string]any)
		code   string
	}{
		{"HS heading of a goods vehicle for a car", func(d map[string]any) {
			d["lines"].([]any)[0].(map[string]any)["hsCode"] = "8704210000"
		}, "CUSTOMS_HS_MISMATCH"},
		{"licence expired on the declaration date", func(d map[string]any) { d["declaredAt"] = "2027-01-02" }, "CUSTOMS_LICENCE_NOT_LIVE"},
		{"destination differs from the licence", func(d map[string]any) { d["destinationCountry"] = "RU" }, "CUSTOMS_DESTINATION_MISMATCH"},
		{"exporter differs", func(d map[string]any) { d["exporterUscc"] = "91440300192317458F" }, "CUSTOMS_EXPORTER_MISMATCH"},
		{"VIN not on the licence", func(d map[string]any) {
			d["lines"].([]any)[0].(map[string]any)["vin"] = "LSJA24U62JG269225"
		}, "CUSTOMS_VIN_NOT_ON_LICENCE"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			decl, _ := declarationFor(t, "clean-m1-kz", fmt.Sprintf("02022026000000020%d", i), "8703609000")
			tc.mutate(decl)
			status, rec := clearance(t, s, decl)
			require.Equal(t, http.StatusCreated, status)
			assert.Equal(t, gateway.Refuse, rec.Lines[0].Status)
			assert.Contains(t, reasonCodes(rec.Lines[0]), tc.code)
		})
	}
	bad := s.post("/v1/customs/clearances", []byte(`{"declarationNo":"020220261000000001","declaredAt":"2026-03-12","exporterUscc":"91350100M000100Y43","licenceNo":"26-AB-000123","destinationCountry":"KZ","lines":[]}`))
	assert.Equal(t, http.StatusUnprocessableEntity, bad.Code, "import flag 1 and no lines: schema")
}

// TestCustomsSamplingByGrade: a grade-D exporter's lines all go to physical inspection.
func TestCustomsSamplingByGrade(t *testing.T) {
	s := newTestServer(t)
	decl, _ := declarationFor(t, "clean-m1-kz", "020220260000000201", "8703609000")
	require.Equal(t, http.StatusCreated, s.post("/v1/filings", fixture(t, "clean-m1-kz")).Code)
	_, before := clearance(t, s, decl)
	assert.Equal(t, "GRADE_B", before.Lines[0].RiskLevel)
	assert.False(t, before.Lines[0].PhysicalInspection, "this line is not in grade B's 10 % sample")
	uscc := decl["exporterUscc"].(string)
	w := s.post("/v1/exporters/"+uscc+"/credit-events", creditEvent("police", "E01", "2026-11-20"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	_, rec := clearance(t, s, decl)
	require.Len(t, rec.Lines, 1)
	assert.Equal(t, "GRADE_D", rec.Lines[0].RiskLevel)
	assert.True(t, rec.Lines[0].PhysicalInspection, "grade D: 100 %")
}
