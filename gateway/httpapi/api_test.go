package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// errorOf decodes an error envelope and returns its code and details.
func errorOf(t testing.TB, body []byte) (string, []gateway.Detail) {
	t.Helper()
	var env struct {
		Error struct {
			Code      string           `json:"code"`
			Message   string           `json:"message"`
			MessageZh string           `json:"messageZh"`
			Details   []gateway.Detail `json:"details"`
			RequestID string           `json:"requestId"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(body, &env), "body: %s", body)
	require.NotEmpty(t, env.Error.Message)
	require.NotEmpty(t, env.Error.MessageZh)
	require.NotEmpty(t, env.Error.RequestID)
	return env.Error.Code, env.Error.Details
}

// storedFilings counts the filings in the store by filing the same VIN's history: it reads
// the VIN index through a dry GET of the latest record.
func filingCount(t testing.TB, s *testServer) int {
	t.Helper()
	n := 0
	require.NoError(t, s.store.ForEachFiling(func(*gateway.FilingRecord) error { n++; return nil }))
	return n
}

func TestFileAcceptedAndRead(t *testing.T) {
	s := newTestServer(t)
	w := s.post("/v1/filings", fixture(t, "clean-m1-kz"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var rec gateway.FilingRecord
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
	assert.Equal(t, gateway.Accepted, rec.Decision)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, rec.DocHash)
	assert.Equal(t, "2026-01-01", rec.RulesetVersion)

	g := s.do(http.MethodGet, "/v1/filings/"+rec.FilingID, nil)
	require.Equal(t, http.StatusOK, g.Code)
	assert.JSONEq(t, w.Body.String(), g.Body.String())

	assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v1/filings/Fnope", nil).Code)
}

func TestDocHashIsCanonical(t *testing.T) {
	s := newTestServer(t)
	raw := fixture(t, "clean-m1-kz")
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	compact, err := json.Marshal(v) // other key order and whitespace
	require.NoError(t, err)
	a := decodeBody(t, s.post("/v1/filings?dryRun=true", raw))
	b := decodeBody(t, s.post("/v1/filings?dryRun=true", compact))
	assert.Equal(t, a["docHash"], b["docHash"])
}

func TestDryRunStoresNothing(t *testing.T) {
	s := newTestServer(t)
	w := s.post("/v1/filings?dryRun=true", fixture(t, "clean-m1-kz"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	body := decodeBody(t, w)
	assert.Equal(t, true, body["dryRun"])
	assert.Equal(t, gateway.Accepted, body["decision"])
	assert.NotContains(t, body, "filingId")
	assert.Zero(t, filingCount(t, s))
}

func TestBadInputIsCodedAndStoresNothing(t *testing.T) {
	valid := fixture(t, "clean-m1-kz")
	withVehicleField := strings.Replace(string(valid), `"vehicle": {`, `"vehicle": {"colourCode": "W",`, 1)
	require.NotEqual(t, string(valid), withVehicleField, "fixture layout changed")
	var doc map[string]any
	require.NoError(t, json.Unmarshal(valid, &doc))
	delete(doc["vehicle"].(map[string]any), "vin")
	noVIN, _ := json.Marshal(doc)
	doc["vehicle"].(map[string]any)["vin"] = "LSJA24U62JG269225"
	doc["applicationDate"] = "2023-12-31"
	tooEarly, _ := json.Marshal(doc)

	cases := []struct {
		name        string
		body        []byte
		contentType string
		status      int
		code        string
		pointer     string
	}{
		{"unknown field", []byte(withVehicleField), "application/json", 400, "UNKNOWN_FIELD", "/vehicle/colourCode"},
		{"trailing data", append(append([]byte{}, valid...), []byte(` {}`)...), "application/json", 400, "TRAILING_DATA", ""},
		{"invalid JSON", []byte(`{"applicationDate": "2026-03-10",}`), "application/json", 400, "INVALID_JSON", ""},
		{"duplicate key", []byte(`{"applicationDate": "2026-03-10", "applicationDate": "2026-03-11"}`), "application/json", 400, "INVALID_JSON", "/applicationDate"},
		{"wrong type", []byte(`{"vehicle": {"odometerKm": "many"}}`), "application/json", 400, "TYPE_MISMATCH", "/vehicle/odometerKm"},
		{"empty body", []byte(``), "application/json", 400, "INVALID_JSON", ""},
		{"schema: missing VIN", noVIN, "application/json", 422, "SCHEMA_INVALID", "/vehicle/vin"},
		{"before the regime", tooEarly, "application/json", 422, "RULESET_UNAVAILABLE", "/applicationDate"},
		{"wrong content type", valid, "text/plain", 415, "UNSUPPORTED_MEDIA", ""},
		{"too large", append([]byte(`{"pad":"`), append(bytes.Repeat([]byte("x"), 1<<20), '"', '}')...), "application/json", 413, "BODY_TOO_LARGE", ""},
	}
	s := newTestServer(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := s.post("/v1/filings", tc.body, "Content-Type", tc.contentType)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			code, details := errorOf(t, w.Body.Bytes())
			assert.Equal(t, tc.code, code)
			if tc.pointer != "" {
				var ptrs []string
				for _, d := range details {
					ptrs = append(ptrs, d.Pointer)
					assert.NotEmpty(t, d.MessageZh, "detail %s has no Chinese message", d.Pointer)
				}
				assert.Contains(t, ptrs, tc.pointer)
			}
		})
	}
	assert.Zero(t, filingCount(t, s), "a 4xx stored something")
}

func TestIdempotencyKey(t *testing.T) {
	s := newTestServer(t)
	body := fixture(t, "clean-m1-kz")
	first := s.post("/v1/filings", body, "Idempotency-Key", "exp-42-row-7")
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())

	again := s.post("/v1/filings", body, "Idempotency-Key", "exp-42-row-7")
	require.Equal(t, http.StatusCreated, again.Code)
	assert.Equal(t, first.Body.String(), again.Body.String(), "same key + same body → the stored response")
	assert.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))

	other := s.post("/v1/filings", fixture(t, "stolen-vehicle"), "Idempotency-Key", "exp-42-row-7")
	require.Equal(t, http.StatusConflict, other.Code, other.Body.String())
	code, _ := errorOf(t, other.Body.Bytes())
	assert.Equal(t, "IDEMPOTENCY_KEY_REUSED", code)

	bad := s.post("/v1/filings", body, "Idempotency-Key", "has space")
	assert.Equal(t, http.StatusBadRequest, bad.Code)
	assert.Equal(t, 1, filingCount(t, s))
}

func TestIdempotencyKeyConcurrent(t *testing.T) {
	s := newTestServer(t)
	body := fixture(t, "clean-m1-kz")
	var wg sync.WaitGroup
	ids := make([]any, 8)
	for i := range ids {
		wg.Go(func() {
			w := s.post("/v1/filings", body, "Idempotency-Key", "same-key")
			assert.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			ids[i] = decodeBody(t, w)["filingId"]
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "every request with the key answers the one filing it created")
	}
	assert.Equal(t, 1, filingCount(t, s))
	g := decodeBody(t, s.do(http.MethodGet, fmt.Sprintf("/v1/filings/%s", ids[0]), nil))
	assert.Equal(t, gateway.ReceiptCommitted, g["receipt"].(map[string]any)["status"])
}

func TestRefilingSupersedes(t *testing.T) {
	s := newTestServer(t)
	body := fixture(t, "clean-m1-kz")
	first := decodeBody(t, s.post("/v1/filings", body))
	second := decodeBody(t, s.post("/v1/filings", body))
	require.NotEqual(t, first["filingId"], second["filingId"])
	assert.Equal(t, first["filingId"], second["supersedes"])
	old := decodeBody(t, s.do(http.MethodGet, fmt.Sprintf("/v1/filings/%s", first["filingId"]), nil))
	assert.Equal(t, second["filingId"], old["supersededBy"])
}

func TestBatch(t *testing.T) {
	s := newTestServer(t)
	clean, stolen := fixture(t, "clean-m1-kz"), fixture(t, "stolen-vehicle")
	body := []byte(`{"filings": [` + string(clean) + `, {"bad": true}, ` + string(stolen) + `, ` + string(clean) + `]}`)
	w := s.post("/v1/filing-batches", body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var resp struct {
		Results []map[string]any `json:"results"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.Len(t, resp.Results, 4)
	assert.Equal(t, gateway.Accepted, resp.Results[0]["decision"])
	assert.Equal(t, "UNKNOWN_FIELD", resp.Results[1]["error"].(map[string]any)["code"])
	assert.Equal(t, gateway.Rejected, resp.Results[2]["decision"])
	assert.Equal(t, resp.Results[0]["filingId"], resp.Results[3]["supersedes"], "rows of one VIN are stored in row order")
	assert.Equal(t, 3, filingCount(t, s))

	rows := strings.Repeat(`{},`, 1000) + `{}`
	big := s.post("/v1/filing-batches", []byte(`{"filings": [`+rows+`]}`))
	assert.Equal(t, http.StatusRequestEntityTooLarge, big.Code)
	missing := s.post("/v1/filing-batches", []byte(`{}`))
	assert.Equal(t, http.StatusBadRequest, missing.Code)
}

func TestIdentityRoutes(t *testing.T) {
	s := newTestServer(t)
	v := decodeBody(t, s.do(http.MethodGet, "/v1/vins/lsja24u62jg269225?registrationDate=2018-06-01", nil))
	assert.Equal(t, "LSJA24U62JG269225", v["normalized"])
	assert.Equal(t, true, v["valid"])
	assert.Equal(t, "OK", v["severity"])
	assert.Equal(t, float64(2018), v["modelYear"])

	bad := decodeBody(t, s.do(http.MethodGet, "/v1/vins/LSJA24U62JG269226", nil))
	assert.Equal(t, false, bad["valid"])
	assert.Equal(t, "FAIL", bad["severity"])
	assert.Equal(t, map[string]any{"expected": "4", "actual": "2"}, bad["checkDigit"])

	u := decodeBody(t, s.do(http.MethodGet, "/v1/usccs/91440300192317458G", nil))
	assert.Equal(t, true, u["valid"])
	assert.Equal(t, "WARN", u["severity"])
	assert.Equal(t, "440300", u["divisionCode"])

	w := s.do(http.MethodGet, "/v1/vins/X?registrationDate=yesterday", nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s := newTestServer(t)
	w := s.do(http.MethodGet, "/v2/nothing", nil)
	require.Equal(t, http.StatusNotFound, w.Code)
	code, _ := errorOf(t, w.Body.Bytes())
	assert.Equal(t, "ENOTFOUND", code)
	w = s.do(http.MethodDelete, "/v1/filings", nil)
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

func TestHealthAndReady(t *testing.T) {
	s := newTestServer(t)
	assert.Equal(t, http.StatusOK, s.do(http.MethodGet, "/healthz", nil).Code)
	assert.Equal(t, http.StatusOK, s.do(http.MethodGet, "/readyz", nil).Code)
	require.NoError(t, s.store.Close())
	assert.Equal(t, http.StatusServiceUnavailable, s.do(http.MethodGet, "/readyz", nil).Code)
}

func TestFilingSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTestServer(t, dir)
	w := s.post("/v1/filings", fixture(t, "clean-m1-kz"))
	require.Equal(t, http.StatusCreated, w.Code)
	id := decodeBody(t, w)["filingId"].(string)
	require.NoError(t, s.store.Close())
	require.NoError(t, s.ledger.Close())

	s2 := openTestServer(t, dir)
	g := s2.do(http.MethodGet, "/v1/filings/"+id, nil)
	require.Equal(t, http.StatusOK, g.Code)
	assert.JSONEq(t, w.Body.String(), g.Body.String())
}
