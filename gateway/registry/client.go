// Package registry is the HTTP client of the commerce registries: the exporter filing
// registry (出口企业备案) and the destination market-access standards.
package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/agencyhttp"
)

// SimPrefix is the path under agencysim's base URL where it serves this API: against
// agencysim, the base URL is UCX_AGENCY_URL + SimPrefix.
const SimPrefix = "/registry"

// Source names the exporter and destination registry in errors.
var Source = agencyhttp.Source{Name: "registry", Title: "exporter registry", TitleZh: "出口企业备案系统"}

// Client answers exporter and destination look-ups over HTTP: GET {base}/v1/exporters/{uscc}
// and GET {base}/v1/destinations/{country}. Both share one circuit breaker: one system.
type Client struct {
	c *agencyhttp.Client
}

var (
	_ gateway.ExporterRegistry  = (*Client)(nil)
	_ gateway.DestinationSource = (*Client)(nil)
)

// New returns a client of the registry served at baseURL.
func New(baseURL string, opts ...agencyhttp.Option) *Client {
	return &Client{c: agencyhttp.New(Source, baseURL, opts...)}
}

// Exporter implements gateway.ExporterRegistry: ENOTFOUND when uscc is not filed,
// EUNAVAILABLE when the registry cannot be reached or answers nonsense.
func (c *Client) Exporter(ctx context.Context, uscc string) (*gateway.Exporter, error) {
	var e gateway.Exporter
	err := c.c.Get(ctx, agencyhttp.Request{
		Path:     agencyhttp.Path("v1", "exporters", uscc),
		NotFound: gateway.Errorf(gateway.ENOTFOUND, "exporter %s is not filed", "出口企业 %s 未备案", uscc),
		Check: func() error {
			if !strings.EqualFold(e.USCC, uscc) {
				return fmt.Errorf("exporter %q answered for %q", e.USCC, uscc)
			}
			return nil
		},
	}, &e)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Destination implements gateway.DestinationSource: ENOTFOUND when the country has no
// recorded regime, EUNAVAILABLE when the registry cannot be reached or answers nonsense.
func (c *Client) Destination(ctx context.Context, country string) (*gateway.Destination, error) {
	var d gateway.Destination
	err := c.c.Get(ctx, agencyhttp.Request{
		Path:     agencyhttp.Path("v1", "destinations", country),
		NotFound: gateway.Errorf(gateway.ENOTFOUND, "destination %s has no recorded access standard", "目的国 %s 无准入标准记录", country),
		Check: func() error {
			if !strings.EqualFold(d.Country, country) {
				return fmt.Errorf("destination %q answered for %q", d.Country, country)
			}
			return nil
		},
	}, &d)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// BreakerState returns the state of the client's circuit breaker: "closed", "open" or
// "half-open".
func (c *Client) BreakerState() string { return c.c.BreakerState() }
