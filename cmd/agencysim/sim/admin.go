package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ucx-export/ucx/gateway"
)

// Admin is a Go client of the simulator's admin API, for tests and demo scripts.
type Admin struct {
	base string
	http *http.Client
}

// NewAdmin returns an admin client of the simulator at baseURL (e.g. "http://127.0.0.1:8090").
func NewAdmin(baseURL string) *Admin {
	return &Admin{base: strings.TrimRight(baseURL, "/"), http: &http.Client{}}
}

// SetFault sets the fault of service (police, maintenance, licences, registry or all).
func (a *Admin) SetFault(ctx context.Context, service string, f Fault) error {
	req := FaultRequest{Service: service, LatencyMS: f.LatencyMS, ErrorRate: f.ErrorRate, Timeout: f.Timeout, Malformed: f.Malformed, Down: f.Down}
	return a.do(ctx, http.MethodPut, "/admin/v1/faults", req, nil)
}

// ClearFaults removes every fault.
func (a *Admin) ClearFaults(ctx context.Context) error {
	return a.do(ctx, http.MethodDelete, "/admin/v1/faults", nil, nil)
}

// Reset goes back to the fixtures: records, no faults, zero counters.
func (a *Admin) Reset(ctx context.Context) error {
	return a.do(ctx, http.MethodPost, "/admin/v1/reset", nil, nil)
}

// Stats returns the request counters.
func (a *Admin) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := a.do(ctx, http.MethodGet, "/admin/v1/stats", nil, &s)
	return s, err
}

// Requests returns how many requests reached service, or -1 when the stats cannot be read.
func (a *Admin) Requests(ctx context.Context, service string) int64 {
	s, err := a.Stats(ctx)
	if err != nil {
		return -1
	}
	return s.Services[service].Requests
}

// PutPolice sets the police record of rec.VIN.
func (a *Admin) PutPolice(ctx context.Context, rec gateway.PoliceRecord) error {
	return a.do(ctx, http.MethodPut, "/admin/v1/police/vehicles/"+url.PathEscape(rec.VIN), rec, nil)
}

// AddMaintenance appends rec to the records of vin.
func (a *Admin) AddMaintenance(ctx context.Context, vin string, rec gateway.MaintenanceRecord) error {
	return a.do(ctx, http.MethodPost, "/admin/v1/maintenance/vehicles/"+url.PathEscape(vin)+"/records", rec, nil)
}

// PutLicence sets the licence l.LicenceNo.
func (a *Admin) PutLicence(ctx context.Context, l gateway.Licence) error {
	return a.do(ctx, http.MethodPut, "/admin/v1/licences/"+url.PathEscape(l.LicenceNo), l, nil)
}

// PutExporter sets the exporter e.USCC.
func (a *Admin) PutExporter(ctx context.Context, e gateway.Exporter) error {
	return a.do(ctx, http.MethodPut, "/admin/v1/exporters/"+url.PathEscape(e.USCC), e, nil)
}

// PutDestination sets the destination d.Country.
func (a *Admin) PutDestination(ctx context.Context, d gateway.Destination) error {
	return a.do(ctx, http.MethodPut, "/admin/v1/destinations/"+url.PathEscape(d.Country), d, nil)
}

func (a *Admin) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
