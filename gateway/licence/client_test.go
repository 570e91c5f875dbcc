package licence_test

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
	"github.com/ucx-export/ucx/gateway/licence"
)

// The fault modes, the retries and the breaker are tested for every client in agencyhttp.

func startSim(t testing.TB) (*licence.Client, *sim.Admin) {
	t.Helper()
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	return licence.New(srv.URL + licence.SimPrefix), sim.NewAdmin(srv.URL)
}

func TestEveryFixtureLicence(t *testing.T) {
	ctx := context.Background()
	c, _ := startSim(t)
	want, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	require.NotEmpty(t, want.Licences())
	for _, l := range want.Licences() {
		t.Run(l.LicenceNo, func(t *testing.T) {
			got, err := c.Licence(ctx, l.LicenceNo)
			require.NoError(t, err)
			assert.Equal(t, l, got, "the HTTP client answers like the embedded source")
		})
	}
}

func TestUnknownLicenceIsNotFound(t *testing.T) {
	c, _ := startSim(t)
	_, err := c.Licence(context.Background(), "26-XX-999999")
	assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
}

func TestAdminRevokesALicence(t *testing.T) {
	ctx := context.Background()
	c, admin := startSim(t)
	l, err := c.Licence(ctx, "25-CQ-000413")
	require.NoError(t, err)
	require.Equal(t, gateway.LicenceIssued, l.Status)
	l.Status, l.RevokedReason = "REVOKED", "FORGED_REPORT"
	require.NoError(t, admin.PutLicence(ctx, *l))
	got, err := c.Licence(ctx, "25-CQ-000413")
	require.NoError(t, err)
	assert.Equal(t, l, got)

	fresh := gateway.Licence{LicenceNo: "26/SZ 000001", Status: gateway.LicenceIssued, ExporterUSCC: "91440300192317458F",
		DestinationCountry: "KZ", IssueDate: "2026-03-01", ExpiryDate: "2026-12-31", Lines: []gateway.LicenceLine{}}
	require.NoError(t, admin.PutLicence(ctx, fresh))
	got, err = c.Licence(ctx, fresh.LicenceNo)
	require.NoError(t, err, "a licence number is path-escaped")
	assert.Equal(t, &fresh, got)
}

func TestAnotherLicenceIsAnOutage(t *testing.T) {
	want, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	body, err := json.Marshal(want.Licences()[0])
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(srv.Close)
	_, err = licence.New(srv.URL).Licence(context.Background(), "26-XX-999999")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err), "an answer about another licence is no answer")
}
