package sim

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/decode"
)

// maxAdminBody bounds an admin request body.
const maxAdminBody = 1 << 20

// Handler returns the simulator's routes behind an access log.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	// Agency APIs: counted per service, subject to its faults.
	mux.Handle("GET /police/v1/vehicles/{vin}", s.service(Police, s.getPolice))
	mux.Handle("GET /maintenance/v1/vehicles/{vin}/records", s.service(Maintenance, s.getMaintenance))
	mux.Handle("GET /licences/v1/licences/{no}", s.service(Licences, s.getLicence))
	mux.Handle("GET /registry/v1/exporters", s.service(Registry, s.listExporters))
	mux.Handle("GET /registry/v1/exporters/{uscc}", s.service(Registry, s.getExporter))
	mux.Handle("GET /registry/v1/destinations/{country}", s.service(Registry, s.getDestination))
	// Admin API: never faulted, never counted.
	mux.Handle("PUT /admin/v1/police/vehicles/{vin}", handle(s.putPolice))
	mux.Handle("POST /admin/v1/maintenance/vehicles/{vin}/records", handle(s.postMaintenance))
	mux.Handle("PUT /admin/v1/licences/{no}", handle(s.putLicence))
	mux.Handle("PUT /admin/v1/exporters/{uscc}", handle(s.putExporter))
	mux.Handle("PUT /admin/v1/destinations/{country}", handle(s.putDestination))
	mux.Handle("GET /admin/v1/faults", handle(s.getFaults))
	mux.Handle("PUT /admin/v1/faults", handle(s.putFaults))
	mux.Handle("DELETE /admin/v1/faults", handle(s.deleteFaults))
	mux.Handle("GET /admin/v1/stats", handle(s.getStats))
	mux.Handle("POST /admin/v1/reset", handle(s.postReset))
	mux.Handle("GET /healthz", handle(func(w http.ResponseWriter, _ *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	// Anything else is not a route: a 404 that a client must not take for "no record".
	mux.Handle("/", handle(func(http.ResponseWriter, *http.Request) error {
		return gateway.Errorf(codeNoRoute, "no such route", "无此路由")
	}))
	return s.accessLog(mux)
}

// codeNoRoute answers a path the simulator does not serve. Clients treat a 404 without the
// code ENOTFOUND as an outage (a misconfigured base URL), never as "no record".
const codeNoRoute = "ENOROUTE"

// statusOf maps error codes to HTTP statuses; anything else is a 400.
var statusOf = map[string]int{
	gateway.ENOTFOUND:     http.StatusNotFound,
	codeNoRoute:           http.StatusNotFound,
	gateway.EINTERNAL:     http.StatusInternalServerError,
	gateway.EUNAVAILABLE:  http.StatusServiceUnavailable,
	gateway.EBODYTOOLARGE: http.StatusRequestEntityTooLarge,
}

// handle adapts a handler that returns an error: the one place that writes error bodies.
func handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, err)
		}
	})
}

// writeError writes the error envelope {"error": {"code", "message", "messageZh"}}.
func writeError(w http.ResponseWriter, err error) {
	code := gateway.ErrorCode(err)
	en, zh := gateway.ErrorMessages(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusBadRequest
	}
	type body struct {
		Code      string           `json:"code"`
		Message   string           `json:"message"`
		MessageZh string           `json:"messageZh"`
		Details   []gateway.Detail `json:"details,omitempty"`
	}
	_ = writeJSON(w, status, map[string]body{"error": {code, en, zh, gateway.ErrorDetails(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeRaw(w, status, data)
}

func writeRaw(w http.ResponseWriter, status int, data []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(append(data, '\n'))
	return err
}

// service wraps an agency route: it counts the request, then applies the service's fault.
func (s *Sim) service(name string, h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	c := s.stats[name]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		f := s.fault(name)
		if f.Down {
			c.faults.Add(1)
			// Drop the connection without an answer; where it cannot be taken over (HTTP/2),
			// answer 503 instead.
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
				return
			}
			writeError(w, gateway.Errorf(gateway.EUNAVAILABLE, "service down (injected fault)", "服务停止（注入故障）"))
			return
		}
		if f.Timeout {
			c.faults.Add(1)
		}
		if f.LatencyMS > 0 && !s.wait(r, time.Duration(f.LatencyMS)*time.Millisecond) || f.Timeout && !s.wait(r, -1) {
			if r.Context().Err() == nil { // the simulator is shutting down; the client still listens
				writeError(w, gateway.Errorf(gateway.EUNAVAILABLE, "shutting down", "正在停止"))
			}
			return
		}
		if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
			c.faults.Add(1)
			writeError(w, gateway.Errorf(gateway.EINTERNAL, "internal error (injected fault)", "内部错误（注入故障）"))
			return
		}
		if f.Malformed {
			c.faults.Add(1)
			_ = writeRaw(w, http.StatusOK, []byte(`{"vin": "LGX`))
			return
		}
		if err := h(w, r); err != nil {
			writeError(w, err)
		}
	})
}

// wait blocks for d (forever when negative) and reports whether it ran its course; it
// returns early when the client gives up or the simulator closes.
func (s *Sim) wait(r *http.Request, d time.Duration) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-r.Context().Done():
	case <-s.closed:
	}
	return false
}

// --- agency APIs ---

func (s *Sim) getPolice(w http.ResponseWriter, r *http.Request) error {
	vin := r.PathValue("vin")
	s.mu.RLock()
	rec, ok := s.police[vin]
	data, err := json.Marshal(rec)
	s.mu.RUnlock()
	if !ok {
		return gateway.Errorf(gateway.ENOTFOUND, "no police record for %s", "公安交管无 %s 的记录", vin)
	}
	if err != nil {
		return err
	}
	return writeRaw(w, http.StatusOK, data)
}

func (s *Sim) getMaintenance(w http.ResponseWriter, r *http.Request) error {
	s.mu.RLock()
	body := RecordsBody{Records: s.maintenance[r.PathValue("vin")]}
	if body.Records == nil {
		body.Records = []gateway.MaintenanceRecord{}
	}
	data, err := json.Marshal(body)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	return writeRaw(w, http.StatusOK, data)
}

func (s *Sim) getLicence(w http.ResponseWriter, r *http.Request) error {
	no := r.PathValue("no")
	s.mu.RLock()
	l, ok := s.licences[no]
	data, err := json.Marshal(l)
	s.mu.RUnlock()
	if !ok {
		return gateway.Errorf(gateway.ENOTFOUND, "licence %s not found", "未找到出口许可证 %s", no)
	}
	if err != nil {
		return err
	}
	return writeRaw(w, http.StatusOK, data)
}

func (s *Sim) getExporter(w http.ResponseWriter, r *http.Request) error {
	uscc := r.PathValue("uscc")
	s.mu.RLock()
	e, ok := s.exporters[uscc]
	s.mu.RUnlock()
	if !ok {
		return gateway.Errorf(gateway.ENOTFOUND, "exporter %s is not filed", "出口企业 %s 未备案", uscc)
	}
	return writeJSON(w, http.StatusOK, e)
}

// Exporter list pages: ?limit= (default DefaultExportersPage, at most MaxExportersPage).
const (
	DefaultExportersPage = 500
	MaxExportersPage     = 1000
)

// listExporters answers a page of the registry in USCC order: the exporters after ?after=
// (a USCC; absent for the first page), at most ?limit= of them, and next, the USCC to pass
// as after for the following page ("" on the last page).
func (s *Sim) listExporters(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := DefaultExportersPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxExportersPage {
			return gateway.Errorf(gateway.EINVALID, "limit must be 1–%d", "limit 应为 1 至 %d", MaxExportersPage).
				WithDetails(gateway.Detail{Pointer: "limit", Code: gateway.EINVALID, Message: "out of range", MessageZh: "超出范围"})
		}
		limit = n
	}
	after := q.Get("after")
	s.mu.RLock()
	page := make([]gateway.Exporter, 0, min(limit, len(s.exporters)))
	for _, e := range s.exporters {
		if e.USCC > after {
			page = append(page, e)
		}
	}
	s.mu.RUnlock()
	sort.Slice(page, func(i, j int) bool { return page[i].USCC < page[j].USCC })
	body := ExportersBody{Exporters: page}
	if len(page) > limit {
		body.Exporters = page[:limit]
		body.Next = page[limit-1].USCC
	}
	return writeJSON(w, http.StatusOK, body)
}

func (s *Sim) getDestination(w http.ResponseWriter, r *http.Request) error {
	country := r.PathValue("country")
	s.mu.RLock()
	d, ok := s.destinations[country]
	s.mu.RUnlock()
	if !ok {
		return gateway.Errorf(gateway.ENOTFOUND, "destination %s has no recorded access standard", "目的国 %s 无准入标准记录", country)
	}
	return writeJSON(w, http.StatusOK, d)
}

// --- admin API ---

// readBody strictly decodes the request body into v.
func readBody(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return gateway.Errorf(gateway.EBODYTOOLARGE, "body exceeds %d bytes", "请求体超过 %d 字节", maxAdminBody)
		}
		return gateway.Wrap(err, gateway.EINVALID, "cannot read the body", "无法读取请求体")
	}
	return decode.Strict(data, v)
}

// keyMatches fills an empty key from the path and refuses a body about another key.
func keyMatches(field *string, path, name string) error {
	if *field == "" {
		*field = path
	}
	if *field != path {
		return gateway.Errorf(gateway.EINVALID, "%s %q in the body differs from %q in the path", "请求体中的 %s %q 与路径中的 %q 不一致", name, *field, path)
	}
	return nil
}

func (s *Sim) putPolice(w http.ResponseWriter, r *http.Request) error {
	var rec gateway.PoliceRecord
	if err := readBody(w, r, &rec); err != nil {
		return err
	}
	if err := keyMatches(&rec.VIN, r.PathValue("vin"), "vin"); err != nil {
		return err
	}
	if rec.StatusCodes == nil {
		rec.StatusCodes = []string{}
	}
	s.PutPolice(rec)
	s.log.Info("police record set", "vin", rec.VIN, "statusCodes", rec.StatusCodes)
	return writeJSON(w, http.StatusOK, rec)
}

func (s *Sim) postMaintenance(w http.ResponseWriter, r *http.Request) error {
	var rec gateway.MaintenanceRecord
	if err := readBody(w, r, &rec); err != nil {
		return err
	}
	vin := r.PathValue("vin")
	if rec.VIN == "" { // a record may name another VIN (a data error the rules detect)
		rec.VIN = vin
	}
	all := s.AddMaintenance(vin, rec)
	s.log.Info("maintenance record added", "vin", vin, "settlementNo", rec.SettlementNo, "records", len(all))
	return writeJSON(w, http.StatusCreated, RecordsBody{Records: all})
}

func (s *Sim) putLicence(w http.ResponseWriter, r *http.Request) error {
	var l gateway.Licence
	if err := readBody(w, r, &l); err != nil {
		return err
	}
	if err := keyMatches(&l.LicenceNo, r.PathValue("no"), "licenceNo"); err != nil {
		return err
	}
	s.PutLicence(l)
	s.log.Info("licence set", "licenceNo", l.LicenceNo, "status", l.Status)
	return writeJSON(w, http.StatusOK, l)
}

func (s *Sim) putExporter(w http.ResponseWriter, r *http.Request) error {
	var e gateway.Exporter
	if err := readBody(w, r, &e); err != nil {
		return err
	}
	if err := keyMatches(&e.USCC, r.PathValue("uscc"), "uscc"); err != nil {
		return err
	}
	s.PutExporter(e)
	s.log.Info("exporter set", "uscc", e.USCC, "filingStatus", e.FilingStatus, "suspended", e.Suspended)
	return writeJSON(w, http.StatusOK, e)
}

func (s *Sim) putDestination(w http.ResponseWriter, r *http.Request) error {
	var d gateway.Destination
	if err := readBody(w, r, &d); err != nil {
		return err
	}
	if err := keyMatches(&d.Country, r.PathValue("country"), "country"); err != nil {
		return err
	}
	s.PutDestination(d)
	s.log.Info("destination set", "country", d.Country, "hasAccessStandard", d.HasAccessStandard)
	return writeJSON(w, http.StatusOK, d)
}

func (s *Sim) getFaults(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]map[string]Fault{"faults": s.Faults()})
}

func (s *Sim) putFaults(w http.ResponseWriter, r *http.Request) error {
	var req FaultRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	f := Fault{LatencyMS: req.LatencyMS, ErrorRate: req.ErrorRate, Timeout: req.Timeout, Malformed: req.Malformed, Down: req.Down}
	if err := s.SetFault(req.Service, f); err != nil {
		return err
	}
	s.log.Info("fault set", "service", req.Service, "fault", f)
	return s.getFaults(w, r)
}

func (s *Sim) deleteFaults(w http.ResponseWriter, r *http.Request) error {
	s.ClearFaults()
	s.log.Info("faults cleared")
	return s.getFaults(w, r)
}

func (s *Sim) getStats(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Sim) postReset(w http.ResponseWriter, _ *http.Request) error {
	if err := s.Reset(); err != nil {
		return gateway.Wrap(err, gateway.EINTERNAL, "cannot reload the fixtures", "无法重新加载样例数据")
	}
	s.log.Info("reset to fixtures")
	return writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

// --- access log ---

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the Down fault hijacks it).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Sim) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}
