// Package maintenance is the HTTP client of the national maintenance e-health record system
// (汽车维修电子健康档案): the settled repairs of a vehicle by VIN.
package maintenance

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/agencyhttp"
)

// SimPrefix is the path under agencysim's base URL where it serves this API: against
// agencysim, the base URL is UCX_AGENCY_URL + SimPrefix.
const SimPrefix = "/maintenance"

// Source names the maintenance record system in errors.
var Source = agencyhttp.Source{Name: "maintenance", Title: "maintenance record system", TitleZh: "汽车维修电子健康档案系统"}

// Client answers maintenance-record look-ups over HTTP: GET {base}/v1/vehicles/{vin}/records,
// answering {"records": [...]}.
type Client struct {
	c *agencyhttp.Client
}

var _ gateway.MaintenanceSource = (*Client)(nil)

// New returns a client of the maintenance record system served at baseURL.
func New(baseURL string, opts ...agencyhttp.Option) *Client {
	return &Client{c: agencyhttp.New(Source, baseURL, opts...)}
}

// Records implements gateway.MaintenanceSource: the settled repairs of vin, an empty list when
// there are none (or the system does not know the vehicle), EUNAVAILABLE when it cannot be
// reached or answers nonsense. A record may name another VIN: the rules judge that.
func (c *Client) Records(ctx context.Context, vin string) ([]gateway.MaintenanceRecord, error) {
	var body struct {
		Records json.RawMessage `json:"records"`
	}
	var recs []gateway.MaintenanceRecord
	err := c.c.Get(ctx, agencyhttp.Request{
		Path:     agencyhttp.Path("v1", "vehicles", vin, "records"),
		NotFound: gateway.Errorf(gateway.ENOTFOUND, "no maintenance records for %s", "无 %s 的维修记录", vin),
		Check: func() error {
			if body.Records == nil { // "no records" must be said, not implied by a missing member
				return errors.New(`no "records" member`)
			}
			return json.Unmarshal(body.Records, &recs) // null, as Go encodes an empty slice, is none
		},
	}, &body)
	switch {
	case gateway.ErrorCode(err) == gateway.ENOTFOUND:
		return []gateway.MaintenanceRecord{}, nil
	case err != nil:
		return nil, err
	case recs == nil:
		return []gateway.MaintenanceRecord{}, nil
	}
	return recs, nil
}

// BreakerState returns the state of the client's circuit breaker: "closed", "open" or
// "half-open".
func (c *Client) BreakerState() string { return c.c.BreakerState() }
