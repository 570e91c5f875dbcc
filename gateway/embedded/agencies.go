package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"

	"github.com/ucx-export/ucx/gateway"
)

// Agencies serves the agency look-ups (police status, maintenance records, export licences,
// the exporter registry and destination access standards) in-process from fixture files:
// agencies/police.json, maintenance.json (an object keyed by the VIN looked up), licences.json, exporters.json, destinations.json.
// It is read-only after loading and safe for concurrent use.
type Agencies struct {
	police       map[string]*gateway.PoliceRecord
	maintenance  map[string][]gateway.MaintenanceRecord
	licences     map[string]*gateway.Licence
	exporters    map[string]*gateway.Exporter
	destinations map[string]*gateway.Destination
}

var (
	_ gateway.PoliceSource      = (*Agencies)(nil)
	_ gateway.MaintenanceSource = (*Agencies)(nil)
	_ gateway.LicenceSource     = (*Agencies)(nil)
	_ gateway.ExporterRegistry  = (*Agencies)(nil)
	_ gateway.DestinationSource = (*Agencies)(nil)
)

// LoadAgencies reads the agency fixtures from fsys (the fixtures package's FS).
func LoadAgencies(fsys fs.FS) (*Agencies, error) {
	a := &Agencies{
		police: map[string]*gateway.PoliceRecord{}, maintenance: map[string][]gateway.MaintenanceRecord{},
		licences: map[string]*gateway.Licence{}, exporters: map[string]*gateway.Exporter{}, destinations: map[string]*gateway.Destination{},
	}
	var police []*gateway.PoliceRecord
	var licences []*gateway.Licence
	var exporters []*gateway.Exporter
	var destinations []*gateway.Destination
	// Keyed by the VIN looked up: a record may name another VIN (the data error rule M-07 detects).
	var maint map[string][]gateway.MaintenanceRecord
	for _, f := range []struct {
		name string
		v    any
	}{
		{"agencies/police.json", &police}, {"agencies/maintenance.json", &maint}, {"agencies/licences.json", &licences},
		{"agencies/exporters.json", &exporters}, {"agencies/destinations.json", &destinations},
	} {
		data, err := fs.ReadFile(fsys, f.name)
		if err != nil {
			return nil, fmt.Errorf("read fixture %s: %w", f.name, err)
		}
		if err := json.Unmarshal(data, f.v); err != nil {
			return nil, fmt.Errorf("decode fixture %s: %w", f.name, err)
		}
	}
	for _, p := range police {
		a.police[p.VIN] = p
	}
	for _, l := range licences {
		a.licences[l.LicenceNo] = l
	}
	for _, e := range exporters {
		a.exporters[e.USCC] = e
	}
	for _, d := range destinations {
		a.destinations[d.Country] = d
	}
	a.maintenance = maint
	return a, nil
}

// VehicleStatus implements gateway.PoliceSource.
func (a *Agencies) VehicleStatus(_ context.Context, vin string) (*gateway.PoliceRecord, error) {
	if p, ok := a.police[vin]; ok {
		cp := *p
		return &cp, nil
	}
	return nil, gateway.Errorf(gateway.ENOTFOUND, "no police record for %s", "公安交管无 %s 的记录", vin)
}

// Records implements gateway.MaintenanceSource: a VIN without records answers an empty list.
func (a *Agencies) Records(_ context.Context, vin string) ([]gateway.MaintenanceRecord, error) {
	return append([]gateway.MaintenanceRecord{}, a.maintenance[vin]...), nil
}

// Licence implements gateway.LicenceSource.
func (a *Agencies) Licence(_ context.Context, no string) (*gateway.Licence, error) {
	if l, ok := a.licences[no]; ok {
		cp := *l
		return &cp, nil
	}
	return nil, gateway.Errorf(gateway.ENOTFOUND, "licence %s not found", "未找到出口许可证 %s", no)
}

// Exporter implements gateway.ExporterRegistry.
func (a *Agencies) Exporter(_ context.Context, uscc string) (*gateway.Exporter, error) {
	if e, ok := a.exporters[uscc]; ok {
		cp := *e
		return &cp, nil
	}
	return nil, gateway.Errorf(gateway.ENOTFOUND, "exporter %s is not filed", "出口企业 %s 未备案", uscc)
}

// Exporters implements gateway.ExporterRegistry: every fixture exporter, in USCC order.
func (a *Agencies) Exporters(context.Context) ([]gateway.Exporter, error) {
	out := make([]gateway.Exporter, 0, len(a.exporters))
	for _, e := range a.exporters {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].USCC < out[j].USCC })
	return out, nil
}

// Destination implements gateway.DestinationSource.
func (a *Agencies) Destination(_ context.Context, country string) (*gateway.Destination, error) {
	if d, ok := a.destinations[country]; ok {
		cp := *d
		return &cp, nil
	}
	return nil, gateway.Errorf(gateway.ENOTFOUND, "destination %s has no recorded access standard", "目的国 %s 无准入标准记录", country)
}

// Licences returns the fixture licences in licence-number order.
func (a *Agencies) Licences() []*gateway.Licence {
	out := make([]*gateway.Licence, 0, len(a.licences))
	for _, l := range a.licences {
		cp := *l
		out = append(out, &cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LicenceNo < out[j].LicenceNo })
	return out
}

// SeedLedger issues on the ledger every fixture licence it does not hold yet (revoking those
// the fixtures mark REVOKED), so a ledger-backed licence source answers like the fixtures.
// It returns how many licences it issued.
func (a *Agencies) SeedLedger(ctx context.Context, l gateway.Ledger) (int, error) {
	n := 0
	for _, lic := range a.Licences() {
		if _, err := l.Licence(ctx, lic.LicenceNo); err == nil {
			continue
		} else if gateway.ErrorCode(err) != gateway.ENOTFOUND {
			return n, err
		}
		if _, _, err := l.IssueLicence(ctx, *lic); err != nil {
			return n, fmt.Errorf("licence %s: %w", lic.LicenceNo, err)
		}
		n++
		if lic.Status == "REVOKED" {
			if _, _, err := l.RevokeLicence(ctx, lic.LicenceNo, "FIXTURE", "commerce:seed"); err != nil {
				return n, fmt.Errorf("licence %s: %w", lic.LicenceNo, err)
			}
		}
	}
	return n, nil
}
