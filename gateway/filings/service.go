// Package filings is the filing check and its record: it decodes a filing strictly, validates
// it against its JSON Schema, picks the ruleset by application date, runs the identity checks
// and the agency look-ups (in parallel), evaluates the rules, hashes the canonical document and
// stores the decision. Transports (httpapi, exportctl) call it; it knows no HTTP.
package filings

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/decode"
	"github.com/ucx-export/ucx/gateway/identity"
	"github.com/ucx-export/ucx/gateway/inspection"
	"github.com/ucx-export/ucx/schemas"
)

// Sources are the agency look-ups a filing is checked against. Its Lookup runs them in
// parallel, straight to the sources.
type Sources struct {
	Police       gateway.PoliceSource
	Maintenance  gateway.MaintenanceSource
	Licences     gateway.LicenceSource
	Exporters    gateway.ExporterRegistry
	Destinations gateway.DestinationSource
}

// Service checks and records filings and anchors each decision on the ledger. Safe for
// concurrent use.
type Service struct {
	store   gateway.Store
	ledger  gateway.Ledger
	lookups gateway.Lookups
	schemas *schemas.Validator
	engine  *compliance.Engine
	now     func() time.Time
	log     *slog.Logger

	// syncAnchor: a filing is answered only once anchored (embedded); otherwise once durably
	// queued, with a pending receipt, unless the caller asks to wait (fabric).
	syncAnchor    bool
	wake          chan struct{}
	lookupTimeout time.Duration
	reportKeys    *inspection.Registry
	credit        gateway.CreditSource
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets where the anchoring worker reports filings the ledger refuses for good.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithLookupTimeout bounds all the agency look-ups of one filing (default 3 s): an agency
// that has not answered by then counts as unavailable (the filing is HELD).
func WithLookupTimeout(d time.Duration) Option { return func(s *Service) { s.lookupTimeout = d } }

// WithAsyncAnchoring answers a filing once it is durably queued, with a pending receipt; the
// anchoring worker (RunAnchorer) commits it within seconds. Without it (the embedded
// default) a filing is answered once its anchor is committed.
func WithAsyncAnchoring() Option { return func(s *Service) { s.syncAnchor = false } }

// WithCredit makes the exporter's credit grade part of the check (issue 6 §3): grade D
// refuses new filings (EXPORTER_SUSPENDED), grade C holds them for review (CREDIT_REVIEW,
// 2026-01-01 ruleset), and an unanswered grade holds them (LOOKUP_UNAVAILABLE). The grade is
// asked at check time, so a change applies to filings after it, never to earlier decisions.
func WithCredit(src gateway.CreditSource) Option { return func(s *Service) { s.credit = src } }

// New returns a Service.
func New(store gateway.Store, ledger gateway.Ledger, lookups gateway.Lookups, v *schemas.Validator, engine *compliance.Engine, opts ...Option) *Service {
	s := &Service{store: store, ledger: ledger, lookups: lookups, schemas: v, engine: engine, now: time.Now, log: slog.Default(),
		syncAnchor: true, wake: make(chan struct{}, 1), lookupTimeout: 3 * time.Second}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Check is the outcome of checking one filing, before it is stored.
type Check struct {
	Filing         *gateway.Filing
	VIN            string // normalised
	ExporterUSCC   string // normalised
	Decision       string
	RulesetVersion string
	DocHash        string
	Document       []byte // canonical JSON (RFC 8785, jsontext.Value.Canonicalize)
	Results        []gateway.RuleResult
}

// Check decodes and checks one filing without storing it. Errors: INVALID_JSON,
// UNKNOWN_FIELD, TYPE_MISMATCH, TRAILING_DATA (the body), SCHEMA_INVALID (details per
// pointer), RULESET_UNAVAILABLE. A filing that fails rules is not an error: it is a REJECTED
// or HELD check.
func (s *Service) Check(ctx context.Context, body []byte) (*Check, error) {
	var f gateway.Filing
	if err := decode.Strict(body, &f); err != nil {
		return nil, err
	}
	doc, err := decode.Value(body)
	if err != nil {
		return nil, err
	}
	if err := oneReport(doc); err != nil {
		return nil, err
	}
	if v := s.schemas.ValidateFiling(doc); len(v) > 0 {
		return nil, schemaError(v)
	}
	rs, err := s.engine.Ruleset(f.ApplicationDate)
	if err != nil {
		return nil, err
	}
	if ref := f.InspectionReportRef; ref != nil {
		r, err := s.referencedReport(ctx, ref)
		if err != nil {
			return nil, err
		}
		f.InspectionReport = *r
	}
	canon := jsontext.Value(bytes.Clone(body))
	if err := canon.Canonicalize(); err != nil {
		return nil, gateway.Wrap(err, gateway.EINVALIDJSON, "the document cannot be canonicalised (RFC 8785)", "文件无法规范化（RFC 8785）")
	}
	sum := sha256.Sum256(canon)

	in := &compliance.Input{
		Filing: &f,
		VIN:    identity.ParseVIN(f.Vehicle.VIN),
		USCC:   identity.ParseUSCC(f.Exporter.USCC),
		Today:  s.today(),
	}
	in.VIN.CheckModelYear(f.Vehicle.RegistrationDate.Time())
	req := gateway.LookupRequest{LicenceNo: f.LicenceNo, Country: f.DestinationCountry}
	if in.VIN.Valid {
		req.VIN = in.VIN.Normalized
	}
	if in.USCC.Valid {
		req.ExporterUSCC = in.USCC.Normalized
	}
	lctx, cancel := context.WithTimeout(ctx, s.lookupTimeout)
	in.LookupResult = *s.lookups.Lookup(lctx, req)
	if s.credit != nil && in.Exporter != nil {
		// After the registry answered: the grade needs the exporter's 备案 date (NEW rule).
		in.CreditGrade, in.CreditErr = s.credit.Grade(lctx, in.Exporter.USCC, in.Exporter.FiledAt)
	}
	cancel()
	results := s.engine.Evaluate(rs, in)
	return &Check{
		Filing:         &f,
		VIN:            in.VIN.Normalized,
		ExporterUSCC:   in.USCC.Normalized,
		Decision:       gateway.Decide(results),
		RulesetVersion: rs.Version,
		DocHash:        "sha256:" + hex.EncodeToString(sum[:]),
		Document:       canon,
		Results:        results,
	}, nil
}

func (s *Service) today() time.Time {
	y, m, d := s.now().In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// chinaTime is China Standard Time (UTC+8, no DST): filing dates are Chinese calendar dates.
var chinaTime = time.FixedZone("CST", 8*3600)

// oneReport requires exactly one of inspectionReport and inspectionReportRef, with a message
// that says so (the schema's oneOf would only say that no alternative matched).
func oneReport(doc any) error {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil // the schema reports a non-object
	}
	_, embedded := m["inspectionReport"]
	_, ref := m["inspectionReportRef"]
	if embedded != ref {
		return nil
	}
	en, zh := "give exactly one of inspectionReport and inspectionReportRef, not both", "inspectionReport 与 inspectionReportRef 只能提供一个"
	if !embedded {
		en, zh = "an inspection report is required: inspectionReport, or inspectionReportRef to a stored signed report", "须提供检验报告：inspectionReport，或引用已存签名报告的 inspectionReportRef"
	}
	return gateway.Errorf(gateway.ESCHEMA, "the filing does not match its schema (1 problem)", "申报文件不符合数据规范（1 处问题）").
		WithDetails(gateway.Detail{Pointer: "/inspectionReport", Code: "SCHEMA_ONEOF", Message: en, MessageZh: zh})
}

// referencedReport loads the stored signed report a filing references. An unknown reference
// is bad input (422 REPORT_NOT_FOUND): nothing can be decided without the report.
func (s *Service) referencedReport(ctx context.Context, ref *gateway.ReportRef) (*gateway.InspectionReport, error) {
	stored, err := s.store.Report(ctx, ref.AgencyUSCC, ref.ReportNo)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, gateway.Errorf(gateway.EREPORTNOTFOUND, "no signed report %s of agency %s is stored", "未找到检验机构 %[2]s 已提交的签名报告 %[1]s", ref.ReportNo, ref.AgencyUSCC).
			WithDetails(gateway.Detail{Pointer: "/inspectionReportRef", Code: gateway.EREPORTNOTFOUND, Message: "unknown report", MessageZh: "报告不存在"})
	}
	if err != nil {
		return nil, err
	}
	var r gateway.InspectionReport
	if err := json.Unmarshal(stored.Report, &r); err != nil {
		return nil, gateway.Wrap(err, gateway.EINTERNAL, "unreadable stored report", "存档报告无法读取")
	}
	return &r, nil
}

func schemaError(vs []schemas.Violation) error {
	e := gateway.Errorf(gateway.ESCHEMA, "the filing does not match its schema (%d problems)", "申报文件不符合数据规范（%d 处问题）", len(vs))
	for _, v := range vs {
		e.Details = append(e.Details, gateway.Detail{Pointer: v.Pointer, Code: "SCHEMA_" + upper(v.Keyword), Message: v.MessageEn, MessageZh: v.MessageZh})
	}
	return e
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// File checks, stores and anchors one filing: Check then Record.
func (s *Service) File(ctx context.Context, body []byte, idem *gateway.Idempotency, wait bool) (*gateway.FilingRecord, error) {
	c, err := s.Check(ctx, body)
	if err != nil {
		return nil, err
	}
	return s.Record(ctx, c, idem, wait)
}

// Record stores a checked filing durably and anchors it on the ledger: before answering in
// synchronous mode or when wait is set, else by the anchoring worker (receipt "pending"). A
// filing whose anchoring fails is still stored and queued: it is answered with a pending
// receipt and anchored by the worker. A VIN filed again supersedes its earlier filing.
// Errors: IDEMPOTENCY_KEY_REUSED when the key was taken meanwhile.
func (s *Service) Record(ctx context.Context, c *Check, idem *gateway.Idempotency, wait bool) (*gateway.FilingRecord, error) {
	rec := &gateway.FilingRecord{
		FilingID:       newID(s.now()),
		VIN:            c.VIN,
		ExporterUSCC:   c.ExporterUSCC,
		Decision:       c.Decision,
		RulesetVersion: c.RulesetVersion,
		DocHash:        c.DocHash,
		Results:        c.Results,
		CreatedAt:      s.now().UTC().Truncate(time.Millisecond),
	}
	if rec.Decision == gateway.Accepted {
		rec.VerificationCode = newVerificationCode()
	}
	if err := s.store.SaveFiling(ctx, rec, c.Document, idem); err != nil {
		return nil, err
	}
	rec.Receipt = &gateway.Receipt{Ledger: s.ledger.Kind(), Status: gateway.ReceiptPending}
	if s.syncAnchor || wait || !contract.Anchorable(rec.VIN, rec.ExporterUSCC) {
		if r, err := s.anchor(ctx, rec); err == nil {
			rec.Receipt = r
		}
	} else {
		s.nudge()
	}
	return rec, nil
}

// Filing returns a stored filing with its receipt read from the ledger. The stored document
// is re-hashed and compared with the record and with the hash anchored on the ledger: a
// mismatch is DOC_TAMPERED, never served as valid.
func (s *Service) Filing(ctx context.Context, id string) (*gateway.FilingRecord, error) {
	rec, err := s.store.Filing(ctx, id)
	if err != nil {
		return nil, err
	}
	doc, err := s.store.Document(ctx, rec.DocHash)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(doc)
	actual := "sha256:" + hex.EncodeToString(sum[:])
	anchor, err := s.ledger.Filing(ctx, id)
	switch {
	case err == nil:
		if anchor.DocHash != actual || rec.DocHash != actual {
			return nil, tampered("filing "+id, actual, anchor.DocHash)
		}
		rec.Receipt = anchor.Receipt
	case gateway.ErrorCode(err) == gateway.ENOTFOUND:
		if rec.DocHash != actual {
			return nil, tampered("filing "+id, actual, rec.DocHash)
		}
		rec.Receipt = &gateway.Receipt{Ledger: s.ledger.Kind(), Status: gateway.ReceiptPending}
		if !contract.Anchorable(rec.VIN, rec.ExporterUSCC) {
			rec.Receipt = s.notAnchored()
		}
	default:
		return nil, err
	}
	return rec, nil
}

// Document returns a filing's canonical document after the same integrity check as Filing.
func (s *Service) Document(ctx context.Context, id string) ([]byte, error) {
	rec, err := s.Filing(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.store.Document(ctx, rec.DocHash)
}

// tampered reports a stored document that no longer matches its recorded hash; what names
// it ("filing F…", "report AGENCY/NO").
func tampered(what, actual, recorded string) error {
	return gateway.Errorf(gateway.EDOCTAMPERED,
		"the stored document of %s does not match its recorded hash: it has been altered and is not served",
		"%s 的存档文件与记录的哈希不一致，已被篡改，不予提供", what).WithDetails(gateway.Detail{
		Pointer: "", Code: gateway.EDOCTAMPERED,
		Message:   "stored " + actual + ", recorded " + recorded,
		MessageZh: "存档哈希 " + actual + "，记录哈希 " + recorded,
	})
}

// Idempotent returns what an Idempotency-Key is bound to (ENOTFOUND when nothing).
func (s *Service) Idempotent(ctx context.Context, key string) (*gateway.IdempotentResponse, error) {
	return s.store.Idempotent(ctx, key)
}

// Rulesets returns the rulesets the engine knows.
func (s *Service) Rulesets() []*compliance.Ruleset { return s.engine.Rulesets() }

// newID returns a time-ordered, unguessable filing ID: "F" + 12 hex digits of Unix
// milliseconds + 16 random hex digits.
func newID(t time.Time) string {
	var b [14]byte
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return "F" + hex.EncodeToString(b[:])
}

// LatestFiling returns the current (not superseded) filing of a VIN; ENOTFOUND when none.
func (s *Service) LatestFiling(ctx context.Context, vin string) (*gateway.FilingRecord, error) {
	return s.store.LatestFiling(ctx, vin)
}
