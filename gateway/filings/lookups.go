package filings

import (
	"context"
	"sync"

	"github.com/ucx-export/ucx/gateway"
)

var _ gateway.Lookups = Sources{}

// Lookup implements gateway.Lookups: every requested look-up at once, in parallel. A
// destination without a recorded access standard is not an error.
func (s Sources) Lookup(ctx context.Context, req gateway.LookupRequest) *gateway.LookupResult {
	r := &gateway.LookupResult{}
	var wg sync.WaitGroup
	if req.VIN != "" {
		wg.Go(func() { r.Police, r.PoliceErr = s.Police.VehicleStatus(ctx, req.VIN) })
		wg.Go(func() {
			r.Maintenance, r.MaintenanceErr = s.Maintenance.Records(ctx, req.VIN)
			if r.MaintenanceErr == nil && r.Maintenance == nil {
				r.Maintenance = []gateway.MaintenanceRecord{}
			}
		})
	}
	if req.ExporterUSCC != "" {
		wg.Go(func() { r.Exporter, r.ExporterErr = s.Exporters.Exporter(ctx, req.ExporterUSCC) })
	}
	if req.LicenceNo != "" {
		wg.Go(func() { r.Licence, r.LicenceErr = s.Licences.Licence(ctx, req.LicenceNo) })
	}
	if req.Country != "" {
		wg.Go(func() {
			r.Destination, r.DestinationErr = s.Destinations.Destination(ctx, req.Country)
			if gateway.ErrorCode(r.DestinationErr) == gateway.ENOTFOUND {
				r.Destination, r.DestinationErr = nil, nil
			}
		})
	}
	wg.Wait()
	return r
}
