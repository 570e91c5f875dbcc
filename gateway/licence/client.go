// Package licence is the HTTP client of the export licence registry (二手车出口许可证): a
// licence with its schedule of vehicles by licence number.
package licence

import (
	"context"
	"fmt"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/agencyhttp"
)

// SimPrefix is the path under agencysim's base URL where it serves this API: against
// agencysim, the base URL is UCX_AGENCY_URL + SimPrefix.
const SimPrefix = "/licences"

// Source names the export licence registry in errors.
var Source = agencyhttp.Source{Name: "licence", Title: "export licence registry", TitleZh: "出口许可证系统"}

// Client answers licence look-ups over HTTP: GET {base}/v1/licences/{no}.
type Client struct {
	c *agencyhttp.Client
}

var _ gateway.LicenceSource = (*Client)(nil)

// New returns a client of the licence registry served at baseURL.
func New(baseURL string, opts ...agencyhttp.Option) *Client {
	return &Client{c: agencyhttp.New(Source, baseURL, opts...)}
}

// Licence implements gateway.LicenceSource: ENOTFOUND when no licence has that number,
// EUNAVAILABLE when the registry cannot be reached or answers nonsense.
func (c *Client) Licence(ctx context.Context, licenceNo string) (*gateway.Licence, error) {
	var l gateway.Licence
	err := c.c.Get(ctx, agencyhttp.Request{
		Path:     agencyhttp.Path("v1", "licences", licenceNo),
		NotFound: gateway.Errorf(gateway.ENOTFOUND, "licence %s not found", "未找到出口许可证 %s", licenceNo),
		Check: func() error {
			if l.LicenceNo != licenceNo {
				return fmt.Errorf("licence %q answered for %q", l.LicenceNo, licenceNo)
			}
			return nil
		},
	}, &l)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// BreakerState returns the state of the client's circuit breaker: "closed", "open" or
// "half-open".
func (c *Client) BreakerState() string { return c.c.BreakerState() }
