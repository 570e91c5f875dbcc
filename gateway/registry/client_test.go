package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
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
	_, err = c.Exporters(context.Background())
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
}

// TestExportersListsTheWholeRegistry: the list is every exporter of the registry, whatever
// its filing status, in USCC order, across as many pages as the registry answers.
func TestExportersListsTheWholeRegistry(t *testing.T) {
	ctx := context.Background()
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	c := registry.New(srv.URL + registry.SimPrefix)

	want, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	fromFixtures, err := want.Exporters(ctx)
	require.NoError(t, err)
	require.Len(t, fromFixtures, len(fixture[gateway.Exporter](t, "exporters.json")))
	got, err := c.Exporters(ctx)
	require.NoError(t, err)
	assert.Equal(t, fromFixtures, got)
	statuses := map[string]bool{}
	for _, e := range got {
		statuses[e.FilingStatus] = true
	}
	assert.Equal(t, map[string]bool{"APPROVED": true, "PENDING": true, "REVOKED": true}, statuses)

	// More than two pages of 500.
	for i := range 1100 {
		s.PutExporter(gateway.Exporter{USCC: fmt.Sprintf("92000000%010d", i), Name: "个体户", FilingStatus: "APPROVED"})
	}
	got, err = c.Exporters(ctx)
	require.NoError(t, err)
	require.Len(t, got, len(fromFixtures)+1100)
	assert.True(t, slices.IsSortedFunc(got, func(a, b gateway.Exporter) int { return strings.Compare(a.USCC, b.USCC) }))
	assert.Equal(t, fromFixtures, got[:len(fromFixtures)])
	assert.Equal(t, "920000000000001099", got[len(got)-1].USCC)
}

// TestDisorderedPagesAreOutages: a page out of order or a next that does not advance is a
// broken registry (EUNAVAILABLE), never a list with holes or a loop.
func TestDisorderedPagesAreOutages(t *testing.T) {
	for name, body := range map[string]string{
		"out of order":     `{"exporters":[{"uscc":"91B"},{"uscc":"91A"}],"next":""}`,
		"next not last":    `{"exporters":[{"uscc":"91A"},{"uscc":"91B"}],"next":"91A"}`,
		"next on no page":  `{"exporters":[],"next":"91A"}`,
		"exporters absent": `{"next":""}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }))
			t.Cleanup(srv.Close)
			_, err := registry.New(srv.URL).Exporters(context.Background())
			assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
		})
	}
}
