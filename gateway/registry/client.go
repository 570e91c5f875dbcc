// Package registry is the HTTP client of the commerce registries: the exporter filing
// registry (出口企业备案) and the destination market-access standards.
package registry

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
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

// listPage is the size of the pages Exporters asks for.
const listPage = 500

// maxListPages bounds how many pages Exporters follows: a registry that keeps answering a
// next page is broken, not large (500 000 exporters).
const maxListPages = 1000

// exportersPage is one answer of GET {base}/v1/exporters?after=&limit=.
type exportersPage struct {
	Exporters []gateway.Exporter `json:"exporters"`
	Next      string             `json:"next"`
}

// Exporters implements gateway.ExporterRegistry: it follows the registry's pages (GET
// {base}/v1/exporters?after=<uscc>&limit=500) to the end, each page one request with the
// client's retries and breaker. EUNAVAILABLE when the registry cannot be reached or a page
// is out of order (not after the previous one, or next not its last USCC).
func (c *Client) Exporters(ctx context.Context) ([]gateway.Exporter, error) {
	var out []gateway.Exporter
	after := ""
	for range maxListPages {
		q := url.Values{"limit": {strconv.Itoa(listPage)}}
		if after != "" {
			q.Set("after", after)
		}
		var p exportersPage
		err := c.c.Get(ctx, agencyhttp.Request{
			Path: agencyhttp.Path("v1", "exporters") + "?" + q.Encode(),
			Check: func() error {
				if p.Exporters == nil {
					return fmt.Errorf("no exporters member")
				}
				prev := after
				for _, e := range p.Exporters {
					if e.USCC <= prev {
						return fmt.Errorf("exporter %q is not after %q", e.USCC, prev)
					}
					prev = e.USCC
				}
				if p.Next != "" && (len(p.Exporters) == 0 || p.Next != prev) {
					return fmt.Errorf("next %q is not the page's last exporter %q", p.Next, prev)
				}
				return nil
			},
		}, &p)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Exporters...)
		if p.Next == "" {
			if out == nil {
				out = []gateway.Exporter{}
			}
			return out, nil
		}
		after = p.Next
	}
	return nil, gateway.Wrap(fmt.Errorf("%s: more than %d pages of exporters", Source.Name, maxListPages),
		gateway.EUNAVAILABLE, Source.Title+" unavailable", Source.TitleZh+"暂不可用")
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
