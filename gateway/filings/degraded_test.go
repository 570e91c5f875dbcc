package filings_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/cmd/agencysim/sim"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/agencyhttp"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/filings"
	"github.com/ucx-export/ucx/gateway/licence"
	"github.com/ucx-export/ucx/gateway/maintenance"
	"github.com/ucx-export/ucx/gateway/police"
	"github.com/ucx-export/ucx/gateway/registry"
)

// TestAgencyOutagesHoldFilings checks filings through the agency systems' HTTP clients
// against agencysim: the decisions equal the fixture ones, and when a system is down, slow or
// answers garbage the filing is HELD with LOOKUP_UNAVAILABLE naming it — never ACCEPTED on
// missing data, never REJECTED for our outage.
func TestAgencyOutagesHoldFilings(t *testing.T) {
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	admin := sim.NewAdmin(srv.URL)
	opts := []agencyhttp.Option{agencyhttp.WithTimeout(300 * time.Millisecond), agencyhttp.WithRetries(1), agencyhttp.WithBackoff(5*time.Millisecond, 10*time.Millisecond), agencyhttp.WithBreaker(1000, time.Second)}
	reg := registry.New(srv.URL+registry.SimPrefix, opts...)
	svc := newService(t, func(*embedded.Agencies) filings.Sources {
		return filings.Sources{
			Police: police.New(srv.URL+police.SimPrefix, opts...), Maintenance: maintenance.New(srv.URL+maintenance.SimPrefix, opts...),
			Licences: licence.New(srv.URL+licence.SimPrefix, opts...), Exporters: reg, Destinations: reg,
		}
	})
	ctx := context.Background()
	for _, name := range []string{"clean-m1-kz", "stolen-vehicle", "police-record-not-found", "licence-not-found", "exporter-suspended"} {
		data, err := fixtures.FS.ReadFile("filings/" + name + ".json")
		require.NoError(t, err)
		c, err := svc.Check(ctx, data)
		require.NoError(t, err)
		want := expectationOf(t, name)
		assert.Equal(t, want, c.Decision, "%s over HTTP decides as with fixtures", name)
	}

	clean := typicalFiling(t)
	cases := []struct {
		service string
		fault   sim.Fault
	}{
		{"police", sim.Fault{Down: true}},
		{"maintenance", sim.Fault{Timeout: true}},
		{"licences", sim.Fault{ErrorRate: 1}},
		{"registry", sim.Fault{Malformed: true}},
		{"police", sim.Fault{LatencyMS: 1000}},
	}
	for _, tc := range cases {
		t.Run(tc.service, func(t *testing.T) {
			require.NoError(t, admin.SetFault(ctx, tc.service, tc.fault))
			defer func() { require.NoError(t, admin.ClearFaults(ctx)) }()
			c, err := svc.Check(ctx, clean)
			require.NoError(t, err)
			assert.Equal(t, gateway.Held, c.Decision)
			var unavailable []string
			for _, r := range c.Results {
				assert.NotEqual(t, gateway.SeverityFail, r.Severity, "an outage never rejects: %s", r.Code)
				if r.Code == "LOOKUP_UNAVAILABLE" {
					unavailable = append(unavailable, r.MessageEn)
				}
			}
			assert.NotEmpty(t, unavailable)
		})
	}
	c, err := svc.Check(ctx, clean)
	require.NoError(t, err)
	assert.Equal(t, gateway.Accepted, c.Decision, "back to normal once the systems answer")
}

func expectationOf(t *testing.T, name string) string {
	t.Helper()
	data, err := fixtures.FS.ReadFile("filings/" + name + ".expect.json")
	require.NoError(t, err)
	var e struct {
		Decision string `json:"decision"`
	}
	require.NoError(t, json.Unmarshal(data, &e))
	return e.Decision
}
