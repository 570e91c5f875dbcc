package maintenance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/cmd/agencysim/sim"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/maintenance"
)

// The fault modes, the retries and the breaker are tested for every client in agencyhttp.

func startSim(t testing.TB) (*maintenance.Client, *sim.Admin) {
	t.Helper()
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	return maintenance.New(srv.URL + maintenance.SimPrefix), sim.NewAdmin(srv.URL)
}

func TestEveryFixtureVehicle(t *testing.T) {
	ctx := context.Background()
	c, _ := startSim(t)
	want, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	data, err := fixtures.FS.ReadFile("agencies/maintenance.json")
	require.NoError(t, err)
	var byVIN map[string][]gateway.MaintenanceRecord
	require.NoError(t, json.Unmarshal(data, &byVIN))
	require.NotEmpty(t, byVIN)
	for vin := range byVIN {
		t.Run(vin, func(t *testing.T) {
			got, err := c.Records(ctx, vin)
			require.NoError(t, err)
			exp, err := want.Records(ctx, vin)
			require.NoError(t, err)
			// Compared on the wire format: omitempty drops an empty parts list.
			assert.JSONEq(t, string(mustJSON(t, exp)), string(mustJSON(t, got)), "the HTTP client answers like the embedded source")
		})
	}
}

func TestVehicleWithoutRecordsIsAnEmptyList(t *testing.T) {
	c, _ := startSim(t)
	got, err := c.Records(context.Background(), "LNOTINTHEFIXTURE")
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func TestAdminAddsARecord(t *testing.T) {
	ctx := context.Background()
	c, admin := startSim(t)
	const vin = "LGXCE4CB8N4107254"
	before, err := c.Records(ctx, vin)
	require.NoError(t, err)
	rec := gateway.MaintenanceRecord{
		EnterpriseName: "深圳市宏达比亚迪汽车销售服务有限公司", VIN: vin, RepairInDate: "2026-01-20", RepairInMileage: 41200,
		SettlementDate: "2026-01-21", SettlementNo: "JS202601219001", FaultDescription: "安全气囊更换", RepairItems: []string{"更换主驾安全气囊"},
	}
	require.NoError(t, admin.AddMaintenance(ctx, vin, rec))
	after, err := c.Records(ctx, vin)
	require.NoError(t, err)
	require.Len(t, after, len(before)+1)
	assert.Equal(t, rec, after[len(after)-1])

	// A vehicle without records gets its first.
	require.NoError(t, admin.AddMaintenance(ctx, "LNEW/VIN", gateway.MaintenanceRecord{SettlementNo: "JS1"}))
	got, err := c.Records(ctx, "LNEW/VIN")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "LNEW/VIN", got[0].VIN, "the record takes the VIN of the path when it names none")
}

func TestAnswers(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		wantCode string
		wantLen  int
	}{
		{"records", 200, `{"records":[{"vin":"LGXCE4CB8N4107254","settlementNo":"JS1"}]}`, "", 1},
		{"null records", 200, `{"records":null}`, "", 0},
		{"unknown members are tolerated", 200, `{"records":[],"next":null}`, "", 0},
		{"the agency does not know the vehicle", 404, `{"error":{"code":"ENOTFOUND","message":"no such vehicle"}}`, "", 0},
		{"no records member", 200, `{}`, gateway.EUNAVAILABLE, 0},
		{"records not a list", 200, `{"records":{}}`, gateway.EUNAVAILABLE, 0},
		{"null body", 200, `null`, gateway.EUNAVAILABLE, 0},
		{"trailing data", 200, `{"records":[]} {}`, gateway.EUNAVAILABLE, 0},
		{"foreign 404", 404, `not found`, gateway.EUNAVAILABLE, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			got, err := maintenance.New(srv.URL).Records(context.Background(), "LGXCE4CB8N4107254")
			if tc.wantCode != "" {
				assert.Equal(t, tc.wantCode, gateway.ErrorCode(err))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, got)
			assert.Len(t, got, tc.wantLen)
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}
