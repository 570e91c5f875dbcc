package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/cmd/agencysim/sim"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
)

func start(t *testing.T) (*sim.Sim, string) {
	t.Helper()
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	return s, srv.URL
}

// call makes a request and returns the status and the decoded JSON body.
func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v), string(data))
	return resp.StatusCode, v
}

func errorCode(v map[string]any) string {
	e, _ := v["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestAgencyRoutes(t *testing.T) {
	_, base := start(t)
	cases := []struct {
		name, path string
		status     int
		code       string // error code, or a member the body must have
	}{
		{"police record", "/police/v1/vehicles/LGXCE4CB8N4107254", 200, "statusCodes"},
		{"police not found", "/police/v1/vehicles/LNOPE", 404, gateway.ENOTFOUND},
		{"maintenance records", "/maintenance/v1/vehicles/LGXCE4CB8N4107254/records", 200, "records"},
		{"maintenance none", "/maintenance/v1/vehicles/LNOPE/records", 200, "records"},
		{"licence", "/licences/v1/licences/25-CQ-000413", 200, "lines"},
		{"licence not found", "/licences/v1/licences/NOPE", 404, gateway.ENOTFOUND},
		{"exporter", "/registry/v1/exporters/91440300192317458F", 200, "filingStatus"},
		{"exporter not found", "/registry/v1/exporters/NOPE", 404, gateway.ENOTFOUND},
		{"destination", "/registry/v1/destinations/KZ", 200, "hasAccessStandard"},
		{"destination not found", "/registry/v1/destinations/ZZ", 404, gateway.ENOTFOUND},
		{"no such route", "/police/vehicles/LGXCE4CB8N4107254", 404, "ENOROUTE"},
		{"healthz", "/healthz", 200, "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, http.MethodGet, base+tc.path, "")
			assert.Equal(t, tc.status, status)
			if status == 200 {
				assert.Contains(t, body, tc.code)
				return
			}
			assert.Equal(t, tc.code, errorCode(body))
			e := body["error"].(map[string]any)
			assert.NotEmpty(t, e["message"])
			assert.NotEmpty(t, e["messageZh"])
		})
	}
	_, body := call(t, http.MethodGet, base+"/maintenance/v1/vehicles/LNOPE/records", "")
	assert.Equal(t, []any{}, body["records"], "an empty list, not null")
}

// TestExporterList: the registry answers every exporter in USCC order, page by page.
func TestExporterList(t *testing.T) {
	_, base := start(t)
	var all []string
	after := ""
	for range 20 {
		status, body := call(t, http.MethodGet, base+"/registry/v1/exporters?limit=4&after="+after, "")
		require.Equal(t, 200, status, body)
		page := body["exporters"].([]any)
		require.LessOrEqual(t, len(page), 4)
		for _, e := range page {
			all = append(all, e.(map[string]any)["uscc"].(string))
		}
		if body["next"] == "" {
			break
		}
		after = body["next"].(string)
		assert.Equal(t, all[len(all)-1], after, "next is the page's last USCC")
	}
	data, err := fixtures.FS.ReadFile("agencies/exporters.json")
	require.NoError(t, err)
	var want []gateway.Exporter
	require.NoError(t, json.Unmarshal(data, &want))
	require.Len(t, all, len(want))
	assert.True(t, slices.IsSorted(all))

	_, body := call(t, http.MethodGet, base+"/registry/v1/exporters", "")
	assert.Len(t, body["exporters"], len(want), "one page by default")
	assert.Equal(t, "", body["next"])
	_, body = call(t, http.MethodGet, base+"/registry/v1/exporters?after=99", "")
	assert.Equal(t, []any{}, body["exporters"], "past the end: an empty page, not null")
	for _, bad := range []string{"0", "1001", "x"} {
		status, body := call(t, http.MethodGet, base+"/registry/v1/exporters?limit="+bad, "")
		assert.Equal(t, http.StatusBadRequest, status, bad)
		assert.Equal(t, gateway.EINVALID, errorCode(body), bad)
	}
}

func TestAdminValidation(t *testing.T) {
	_, base := start(t)
	cases := []struct {
		name, method, path, body, code string
	}{
		{"unknown member", http.MethodPut, "/admin/v1/police/vehicles/LGX1", `{"vin":"LGX1","stolen":true}`, gateway.EUNKNOWNFIELD},
		{"another vin", http.MethodPut, "/admin/v1/police/vehicles/LGX1", `{"vin":"LGX2"}`, gateway.EINVALID},
		{"wrong type", http.MethodPut, "/admin/v1/exporters/9144", `{"suspended":"yes"}`, gateway.ETYPEMISMATCH},
		{"trailing data", http.MethodPut, "/admin/v1/licences/L1", `{} {}`, gateway.ETRAILINGDATA},
		{"not json", http.MethodPost, "/admin/v1/maintenance/vehicles/LGX1/records", `{`, gateway.EINVALIDJSON},
		{"unknown service", http.MethodPut, "/admin/v1/faults", `{"service":"customs","down":true}`, gateway.EINVALID},
		{"error rate above 1", http.MethodPut, "/admin/v1/faults", `{"service":"police","errorRate":1.5}`, gateway.EINVALID},
		{"negative latency", http.MethodPut, "/admin/v1/faults", `{"service":"police","latencyMs":-1}`, gateway.EINVALID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, tc.method, base+tc.path, tc.body)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, tc.code, errorCode(body))
		})
	}
}

func TestAdminChangesAndReset(t *testing.T) {
	_, base := start(t)
	status, _ := call(t, http.MethodPut, base+"/admin/v1/police/vehicles/LGXCE4CB8N4107254", `{"statusCodes":["C"],"registrationDate":"2022-05-01"}`)
	require.Equal(t, 200, status)
	_, rec := call(t, http.MethodGet, base+"/police/v1/vehicles/LGXCE4CB8N4107254", "")
	assert.Equal(t, []any{"C"}, rec["statusCodes"])
	assert.Equal(t, "LGXCE4CB8N4107254", rec["vin"], "the VIN comes from the path")

	status, body := call(t, http.MethodPost, base+"/admin/v1/maintenance/vehicles/LNEW/records", `{"settlementNo":"JS1","repairInDate":"2026-01-01","settlementDate":"2026-01-01","enterpriseName":"x","repairInMileageKm":10}`)
	require.Equal(t, http.StatusCreated, status)
	assert.Len(t, body["records"], 1)
	status, _ = call(t, http.MethodPut, base+"/admin/v1/destinations/ZZ", `{"hasAccessStandard":true}`)
	require.Equal(t, 200, status)

	status, _ = call(t, http.MethodPost, base+"/admin/v1/reset", "")
	require.Equal(t, 200, status)
	_, rec = call(t, http.MethodGet, base+"/police/v1/vehicles/LGXCE4CB8N4107254", "")
	assert.Equal(t, []any{"A"}, rec["statusCodes"])
	_, body = call(t, http.MethodGet, base+"/maintenance/v1/vehicles/LNEW/records", "")
	assert.Empty(t, body["records"])
	status, _ = call(t, http.MethodGet, base+"/registry/v1/destinations/ZZ", "")
	assert.Equal(t, 404, status)
}

func TestFaultsAndStats(t *testing.T) {
	_, base := start(t)
	status, body := call(t, http.MethodPut, base+"/admin/v1/faults", `{"service":"all","latencyMs":1}`)
	require.Equal(t, 200, status)
	assert.Len(t, body["faults"], 4, "all sets every service")
	status, body = call(t, http.MethodPut, base+"/admin/v1/faults", `{"service":"licences","errorRate":1}`)
	require.Equal(t, 200, status)
	assert.Equal(t, 1.0, body["faults"].(map[string]any)["licences"].(map[string]any)["errorRate"])

	for range 3 {
		status, body = call(t, http.MethodGet, base+"/licences/v1/licences/25-CQ-000413", "")
		assert.Equal(t, 500, status)
		assert.Equal(t, gateway.EINTERNAL, errorCode(body))
	}
	status, _ = call(t, http.MethodGet, base+"/registry/v1/destinations/KZ", "")
	assert.Equal(t, 200, status)
	call(t, http.MethodGet, base+"/healthz", "")

	_, body = call(t, http.MethodGet, base+"/admin/v1/stats", "")
	var st sim.Stats
	data, _ := json.Marshal(body)
	require.NoError(t, json.Unmarshal(data, &st))
	assert.Equal(t, sim.ServiceStats{Requests: 3, Faults: 3}, st.Services[sim.Licences])
	assert.Equal(t, sim.ServiceStats{Requests: 1}, st.Services[sim.Registry])
	assert.Equal(t, sim.ServiceStats{}, st.Services[sim.Police], "admin and health requests are not counted")

	status, body = call(t, http.MethodDelete, base+"/admin/v1/faults", "")
	require.Equal(t, 200, status)
	assert.Empty(t, body["faults"])
	status, _ = call(t, http.MethodGet, base+"/licences/v1/licences/25-CQ-000413", "")
	assert.Equal(t, 200, status)

	call(t, http.MethodPost, base+"/admin/v1/reset", "")
	_, body = call(t, http.MethodGet, base+"/admin/v1/stats", "")
	assert.Equal(t, 0.0, body["services"].(map[string]any)["licences"].(map[string]any)["requests"], "reset zeroes the counters")
}

func TestMalformedAndDown(t *testing.T) {
	s, base := start(t)
	require.NoError(t, s.SetFault(sim.Police, sim.Fault{Malformed: true}))
	resp, err := http.Get(base + "/police/v1/vehicles/LGXCE4CB8N4107254")
	require.NoError(t, err)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.False(t, json.Valid(data), "%s", data)

	require.NoError(t, s.SetFault(sim.Police, sim.Fault{Down: true}))
	_, err = http.Get(base + "/police/v1/vehicles/LGXCE4CB8N4107254")
	assert.Error(t, err, "the connection is dropped without an answer")
	assert.GreaterOrEqual(t, s.Stats().Services[sim.Police].Faults, int64(2))
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	s, base := start(t)
	require.NoError(t, s.SetFault(sim.Maintenance, sim.Fault{Timeout: true}))
	done := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "/maintenance/v1/vehicles/LGXCE4CB8N4107254/records")
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	require.Eventually(t, func() bool { return s.Stats().Services[sim.Maintenance].Requests == 1 }, 5*time.Second, 5*time.Millisecond)
	select {
	case <-done:
		t.Fatal("a timeout fault answered")
	case <-time.After(100 * time.Millisecond):
	}
	s.Close()
	select {
	case status := <-done:
		assert.Equal(t, http.StatusServiceUnavailable, status)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not release the held request")
	}
}

func TestAdminClient(t *testing.T) {
	ctx := context.Background()
	s, base := start(t)
	a := sim.NewAdmin(base + "/")
	require.NoError(t, a.SetFault(ctx, sim.All, sim.Fault{ErrorRate: 0.25, LatencyMS: 3}))
	assert.Equal(t, sim.Fault{ErrorRate: 0.25, LatencyMS: 3}, s.Faults()[sim.Registry])
	require.NoError(t, a.ClearFaults(ctx))
	assert.Empty(t, s.Faults())
	assert.Error(t, a.SetFault(ctx, "customs", sim.Fault{}), "errors carry the status and body")
	require.NoError(t, a.PutExporter(ctx, gateway.Exporter{USCC: "X/1", Name: "n", FilingStatus: "PENDING"}))
	st, err := a.Stats(ctx)
	require.NoError(t, err)
	assert.Len(t, st.Services, 4)
	assert.Equal(t, int64(0), a.Requests(ctx, sim.Police))
	require.NoError(t, a.Reset(ctx))
}
