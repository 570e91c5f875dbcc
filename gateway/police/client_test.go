package police_test

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
	"github.com/ucx-export/ucx/gateway/police"
)

// The fault modes, the retries and the breaker are tested for every client in agencyhttp.

func startSim(t testing.TB) (*police.Client, *sim.Admin) {
	t.Helper()
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	return police.New(srv.URL + police.SimPrefix), sim.NewAdmin(srv.URL)
}

func TestEveryFixtureRecord(t *testing.T) {
	ctx := context.Background()
	c, _ := startSim(t)
	want, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	data, err := fixtures.FS.ReadFile("agencies/police.json")
	require.NoError(t, err)
	var recs []gateway.PoliceRecord
	require.NoError(t, json.Unmarshal(data, &recs))
	require.NotEmpty(t, recs)
	for _, r := range recs {
		t.Run(r.VIN, func(t *testing.T) {
			got, err := c.VehicleStatus(ctx, r.VIN)
			require.NoError(t, err)
			exp, err := want.VehicleStatus(ctx, r.VIN)
			require.NoError(t, err)
			assert.Equal(t, exp, got, "the HTTP client answers like the embedded source")
		})
	}
}

func TestUnknownVINIsNotFound(t *testing.T) {
	c, _ := startSim(t)
	_, err := c.VehicleStatus(context.Background(), "LNOTINTHEFIXTURE")
	require.Error(t, err)
	assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	en, _ := gateway.ErrorMessages(err)
	assert.Contains(t, en, "LNOTINTHEFIXTURE")
}

func TestAdminSetsAVehicleStolen(t *testing.T) {
	ctx := context.Background()
	c, admin := startSim(t)
	const vin = "LGXCE4CB8N4107254"
	before, err := c.VehicleStatus(ctx, vin)
	require.NoError(t, err)
	require.Equal(t, []string{"A"}, before.StatusCodes)

	stolen := *before
	stolen.StatusCodes = []string{"C"} // 被盗抢
	require.NoError(t, admin.PutPolice(ctx, stolen))
	after, err := c.VehicleStatus(ctx, vin)
	require.NoError(t, err)
	assert.Equal(t, []string{"C"}, after.StatusCodes)

	require.NoError(t, admin.Reset(ctx))
	again, err := c.VehicleStatus(ctx, vin)
	require.NoError(t, err)
	assert.Equal(t, []string{"A"}, again.StatusCodes, "reset goes back to the fixtures")
}

func TestVINIsPathEscaped(t *testing.T) {
	ctx := context.Background()
	c, admin := startSim(t)
	for _, vin := range []string{"LGX/../ABC", "LGX?x=1", "LGX%2F", "LGX ABC#1"} {
		require.NoError(t, admin.PutPolice(ctx, gateway.PoliceRecord{VIN: vin, StatusCodes: []string{"G"}}))
		got, err := c.VehicleStatus(ctx, vin)
		require.NoError(t, err, vin)
		assert.Equal(t, vin, got.VIN)
		assert.Equal(t, []string{"G"}, got.StatusCodes)
	}
}

func TestMeaninglessAnswersAreOutages(t *testing.T) {
	for name, body := range map[string]string{
		"null":            `null`,
		"empty object":    `{}`,
		"another vehicle": `{"vin":"LSVAU2180N2183388","statusCodes":["A"]}`,
		"array":           `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body))
			}))
			t.Cleanup(srv.Close)
			_, err := police.New(srv.URL).VehicleStatus(context.Background(), "LGXCE4CB8N4107254")
			assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err), "never a clean record made of nothing")
		})
	}
}
