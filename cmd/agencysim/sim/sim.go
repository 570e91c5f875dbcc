// Package sim is the agency simulator behind cmd/agencysim: one http.Handler that serves the
// police registration, maintenance record, export licence and exporter/destination registry
// APIs from the fixtures, with an admin API to change the records, inject faults (latency,
// 5xx, hangs, malformed bodies, dropped connections) and count the requests that reached it.
// Tests run it in-process with httptest.NewServer(s.Handler()) and drive it with Admin.
// deploy/agencysim/README.md documents the routes.
package sim

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/ucx-export/ucx/gateway"
)

// The simulated services: the unit of fault injection and request counting.
const (
	Police      = "police"
	Maintenance = "maintenance"
	Licences    = "licences"
	Registry    = "registry"
	// All names every service in a fault request.
	All = "all"
)

// Services lists the simulated services.
var Services = []string{Police, Maintenance, Licences, Registry}

// Fault is what a service does wrong, applied in this order: Down drops the connection
// without an answer; LatencyMS delays the answer; Timeout never answers (until the client
// gives up); ErrorRate answers that share of requests with a 500; Malformed answers 200 with
// a body that is not JSON.
type Fault struct {
	LatencyMS int     `json:"latencyMs"`
	ErrorRate float64 `json:"errorRate"`
	Timeout   bool    `json:"timeout"`
	Malformed bool    `json:"malformed"`
	Down      bool    `json:"down"`
}

// FaultRequest is the body of PUT /admin/v1/faults.
type FaultRequest struct {
	Service   string  `json:"service"` // police, maintenance, licences, registry or all
	LatencyMS int     `json:"latencyMs"`
	ErrorRate float64 `json:"errorRate"`
	Timeout   bool    `json:"timeout"`
	Malformed bool    `json:"malformed"`
	Down      bool    `json:"down"`
}

// ServiceStats counts the requests that reached one service since start or the last reset.
type ServiceStats struct {
	Requests int64 `json:"requests"` // every request routed to the service, faulted or not
	Faults   int64 `json:"faults"`   // requests answered by an injected fault
}

// Stats is the body of GET /admin/v1/stats.
type Stats struct {
	Services map[string]ServiceStats `json:"services"`
}

// RecordsBody is the body of the maintenance records route.
type RecordsBody struct {
	Records []gateway.MaintenanceRecord `json:"records"`
}

// ExportersBody is the body of the exporter list route: one page of the registry in USCC
// order, and the USCC to pass as ?after= for the next page ("" on the last page).
type ExportersBody struct {
	Exporters []gateway.Exporter `json:"exporters"`
	Next      string             `json:"next"`
}

type counters struct{ requests, faults atomic.Int64 }

// Sim is the simulator's state: the agency records, the faults in force and the counters.
// It is safe for concurrent use.
type Sim struct {
	fsys fs.FS
	log  *slog.Logger

	mu           sync.RWMutex
	police       map[string]gateway.PoliceRecord
	maintenance  map[string][]gateway.MaintenanceRecord
	licences     map[string]gateway.Licence
	exporters    map[string]gateway.Exporter
	destinations map[string]gateway.Destination
	faults       map[string]Fault

	stats     map[string]*counters
	closed    chan struct{}
	closeOnce sync.Once
}

// New returns a simulator serving the agency fixtures of fsys (agencies/police.json,
// maintenance.json, licences.json, exporters.json, destinations.json: the layout of
// fixtures.FS). log receives the access log and admin changes; nil discards them.
func New(fsys fs.FS, log *slog.Logger) (*Sim, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sim{fsys: fsys, log: log, stats: map[string]*counters{}, closed: make(chan struct{})}
	for _, svc := range Services {
		s.stats[svc] = &counters{}
	}
	if err := s.Reset(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reset goes back to the fixtures: records reloaded, faults cleared, counters zeroed.
func (s *Sim) Reset() error {
	var police []gateway.PoliceRecord
	var licences []gateway.Licence
	var exporters []gateway.Exporter
	var destinations []gateway.Destination
	var maint map[string][]gateway.MaintenanceRecord // keyed by the VIN looked up
	for _, f := range []struct {
		name string
		v    any
	}{
		{"agencies/police.json", &police}, {"agencies/maintenance.json", &maint}, {"agencies/licences.json", &licences},
		{"agencies/exporters.json", &exporters}, {"agencies/destinations.json", &destinations},
	} {
		data, err := fs.ReadFile(s.fsys, f.name)
		if err != nil {
			return fmt.Errorf("read fixture %s: %w", f.name, err)
		}
		if err := json.Unmarshal(data, f.v); err != nil {
			return fmt.Errorf("decode fixture %s: %w", f.name, err)
		}
	}
	p := make(map[string]gateway.PoliceRecord, len(police))
	for _, r := range police {
		p[r.VIN] = r
	}
	l := make(map[string]gateway.Licence, len(licences))
	for _, r := range licences {
		l[r.LicenceNo] = r
	}
	e := make(map[string]gateway.Exporter, len(exporters))
	for _, r := range exporters {
		e[r.USCC] = r
	}
	d := make(map[string]gateway.Destination, len(destinations))
	for _, r := range destinations {
		d[r.Country] = r
	}
	if maint == nil {
		maint = map[string][]gateway.MaintenanceRecord{}
	}
	s.mu.Lock()
	s.police, s.maintenance, s.licences, s.exporters, s.destinations = p, maint, l, e, d
	s.faults = map[string]Fault{}
	s.mu.Unlock()
	for _, c := range s.stats {
		c.requests.Store(0)
		c.faults.Store(0)
	}
	return nil
}

// Close releases the requests a Timeout fault holds, so that a graceful shutdown does not
// wait for clients to give up. Call it when the server shuts down.
func (s *Sim) Close() { s.closeOnce.Do(func() { close(s.closed) }) }

// SetFault sets the fault of service (or of every service with All).
func (s *Sim) SetFault(service string, f Fault) error {
	if service != All && s.stats[service] == nil {
		return gateway.Errorf(gateway.EINVALID, "unknown service %q: police, maintenance, licences, registry or all",
			"未知服务 %q：应为 police、maintenance、licences、registry 或 all", service)
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.LatencyMS < 0 {
		return gateway.Errorf(gateway.EINVALID, "errorRate must be within [0, 1] and latencyMs not negative",
			"errorRate 应在 [0, 1] 之间，latencyMs 不得为负")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if service == All {
		for _, svc := range Services {
			s.faults[svc] = f
		}
	} else {
		s.faults[service] = f
	}
	return nil
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	s.faults = map[string]Fault{}
	s.mu.Unlock()
}

// Faults returns the faults in force, by service.
func (s *Sim) Faults() map[string]Fault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]Fault, len(s.faults))
	for k, v := range s.faults {
		out[k] = v
	}
	return out
}

// Stats returns the request counters.
func (s *Sim) Stats() Stats {
	out := Stats{Services: make(map[string]ServiceStats, len(s.stats))}
	for svc, c := range s.stats {
		out.Services[svc] = ServiceStats{Requests: c.requests.Load(), Faults: c.faults.Load()}
	}
	return out
}

func (s *Sim) fault(service string) Fault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.faults[service]
}

// PutPolice sets the police record of rec.VIN.
func (s *Sim) PutPolice(rec gateway.PoliceRecord) {
	s.mu.Lock()
	s.police[rec.VIN] = rec
	s.mu.Unlock()
}

// AddMaintenance appends rec to the records answered for vin and returns them all.
func (s *Sim) AddMaintenance(vin string, rec gateway.MaintenanceRecord) []gateway.MaintenanceRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maintenance[vin] = append(s.maintenance[vin], rec)
	return append([]gateway.MaintenanceRecord{}, s.maintenance[vin]...)
}

// PutLicence sets the licence l.LicenceNo.
func (s *Sim) PutLicence(l gateway.Licence) {
	s.mu.Lock()
	s.licences[l.LicenceNo] = l
	s.mu.Unlock()
}

// PutExporter sets the exporter e.USCC.
func (s *Sim) PutExporter(e gateway.Exporter) {
	s.mu.Lock()
	s.exporters[e.USCC] = e
	s.mu.Unlock()
}

// PutDestination sets the destination d.Country.
func (s *Sim) PutDestination(d gateway.Destination) {
	s.mu.Lock()
	s.destinations[d.Country] = d
	s.mu.Unlock()
}
