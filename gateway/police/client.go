// Package police is the HTTP client of the police registration system (公安交管): the
// registration status of a vehicle by VIN.
package police

import (
	"context"
	"fmt"
	"strings"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/agencyhttp"
)

// SimPrefix is the path under agencysim's base URL where it serves this API: against
// agencysim, the base URL is UCX_AGENCY_URL + SimPrefix.
const SimPrefix = "/police"

// Source names the police registration system in errors.
var Source = agencyhttp.Source{Name: "police", Title: "police registration system", TitleZh: "公安交管车辆登记系统"}

// Client answers police status look-ups over HTTP: GET {base}/v1/vehicles/{vin}.
type Client struct {
	c *agencyhttp.Client
}

var _ gateway.PoliceSource = (*Client)(nil)

// New returns a client of the police system served at baseURL.
func New(baseURL string, opts ...agencyhttp.Option) *Client {
	return &Client{c: agencyhttp.New(Source, baseURL, opts...)}
}

// VehicleStatus implements gateway.PoliceSource: ENOTFOUND when the police have no record of
// vin, EUNAVAILABLE when the system cannot be reached or answers nonsense.
func (c *Client) VehicleStatus(ctx context.Context, vin string) (*gateway.PoliceRecord, error) {
	var rec gateway.PoliceRecord
	err := c.c.Get(ctx, agencyhttp.Request{
		Path:     agencyhttp.Path("v1", "vehicles", vin),
		NotFound: gateway.Errorf(gateway.ENOTFOUND, "no police record for %s", "公安交管无 %s 的记录", vin),
		Check: func() error {
			if !strings.EqualFold(rec.VIN, vin) {
				return fmt.Errorf("record of vin %q answered for %q", rec.VIN, vin)
			}
			return nil
		},
	}, &rec)
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// BreakerState returns the state of the client's circuit breaker: "closed", "open" or
// "half-open".
func (c *Client) BreakerState() string { return c.c.BreakerState() }
