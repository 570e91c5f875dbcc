package registry_test

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
	"github.com/ucx-export/ucx/gateway/registry"
)

// The fault modes, the retries and the breaker are tested for every client in agencyhttp.

func startSim(t testing.TB) (*registry.Client, *sim.Admin) {
	t.Helper()
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	return registry.New(srv.URL + registry.SimPrefix), sim.NewAdmin(srv.URL)
}

func fixture[T any](t *testing.T, name string) []T {
	t.Helper()
	data, err := fixtures.FS.ReadFile("agencies/" + name)
	require.NoError(t, err)
	var v []T
	require.NoError(t, json.Unmarshal(data, &v))
	require.NotEmpty(t, v)
	return v
}

func TestEveryFixtureExporterAndDestination(t *testing.T) {
	ctx := context.Background()
	c, _ := startSim(t)
	want, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	for _, e := range fixture[gateway.Exporter](t, "exporters.json") {
		t.Run("exporter "+e.USCC, func(t *testing.T) {
			got, err := c.Exporter(ctx, e.USCC)
			require.NoError(t, err)
			exp, err := want.Exporter(ctx, e.USCC)
			require.NoError(t, err)
			assert.Equal(t, exp, got)
		})
	}
	for _, d := range fixture[gateway.Destination](t, "destinations.json") {
		t.Run("destination "+d.Country, func(t *testing.T) {
			got, err := c.Destination(ctx, d.Country)
			require.NoError(t, err)
			exp, err := want.Destination(ctx, d.Country)
			require.NoError(t, err)
			assert.Equal(t, exp, got)
		})
	}
}

func TestUnknownIsNotFound(t *testing.T) {
	ctx := context.Background()
	c, _ := startSim(t)
	_, err := c.Exporter(ctx, "91110000000000000X")
	assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	_, err = c.Destination(ctx, "ZZ")
	assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
}

func TestAdminSuspendsAnExporter(t *testing.T) {
	ctx := context.Background()
	c, admin := startSim(t)
	e, err := c.Exporter(ctx, "91440300192317458F")
	require.NoError(t, err)
	require.False(t, e.Suspended)
	e.Suspended = true
	require.NoError(t, admin.PutExporter(ctx, *e))
	got, err := c.Exporter(ctx, "91440300192317458F")
	require.NoError(t, err)
	assert.True(t, got.Suspended)

	require.NoError(t, admin.PutDestination(ctx, gateway.Destination{Country: "ZZ", HasAccessStandard: true, StandardRef: "ZZ 1/2026"}))
	d, err := c.Destination(ctx, "ZZ")
	require.NoError(t, err)
	assert.Equal(t, "ZZ 1/2026", d.StandardRef)
}

func TestMeaninglessAnswersAreOutages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`null`)) }))
	t.Cleanup(srv.Close)
	c := registry.New(srv.URL)
	_, err := c.Exporter(context.Background(), "91440300192317458F")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
	_, err = c.Destination(context.Background(), "KZ")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
}
