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
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/decode"
	"github.com/ucx-export/ucx/gateway/identity"
	"github.com/ucx-export/ucx/schemas"
)

// Sources are the agency look-ups a filing is checked against.
type Sources struct {
	Police       gateway.PoliceSource
	Maintenance  gateway.MaintenanceSource
	Licences     gateway.LicenceSource
	Exporters    gateway.ExporterRegistry
	Destinations gateway.DestinationSource
}

// Service checks and records filings. Safe for concurrent use.
type Service struct {
	store   gateway.Store
	sources Sources
	schemas *schemas.Validator
	engine  *compliance.Engine
	now     func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service.
func New(store gateway.Store, sources Sources, v *schemas.Validator, engine *compliance.Engine, opts ...Option) *Service {
	s := &Service{store: store, sources: sources, schemas: v, engine: engine, now: time.Now}
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
	if v := s.schemas.ValidateFiling(doc); len(v) > 0 {
		return nil, schemaError(v)
	}
	rs, err := s.engine.Ruleset(f.ApplicationDate)
	if err != nil {
		return nil, err
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
	s.lookup(ctx, in)
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

// lookup runs the agency look-ups in parallel. A malformed VIN or USCC skips the look-ups
// keyed by it: the identity rule already rejects the filing.
func (s *Service) lookup(ctx context.Context, in *compliance.Input) {
	var wg sync.WaitGroup
	vin, f := in.VIN.Normalized, in.Filing
	if in.VIN.Valid {
		wg.Go(func() { in.Police, in.PoliceErr = s.sources.Police.VehicleStatus(ctx, vin) })
		wg.Go(func() {
			in.Maintenance, in.MaintenanceErr = s.sources.Maintenance.Records(ctx, vin)
			if in.MaintenanceErr == nil && in.Maintenance == nil {
				in.Maintenance = []gateway.MaintenanceRecord{}
			}
		})
	}
	if in.USCC.Valid {
		wg.Go(func() { in.Exporter, in.ExporterErr = s.sources.Exporters.Exporter(ctx, in.USCC.Normalized) })
	}
	wg.Go(func() { in.Licence, in.LicenceErr = s.sources.Licences.Licence(ctx, f.LicenceNo) })
	wg.Go(func() {
		in.Destination, in.DestinationErr = s.sources.Destinations.Destination(ctx, f.DestinationCountry)
		if gateway.ErrorCode(in.DestinationErr) == gateway.ENOTFOUND {
			in.Destination, in.DestinationErr = nil, nil // no recorded access standard
		}
	})
	wg.Wait()
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

// File checks and stores one filing: Check then Record.
func (s *Service) File(ctx context.Context, body []byte, idem *gateway.Idempotency) (*gateway.FilingRecord, error) {
	c, err := s.Check(ctx, body)
	if err != nil {
		return nil, err
	}
	return s.Record(ctx, c, idem)
}

// Record stores a checked filing. The record is durable before Record returns. With an
// idempotency key, the response body (the record's JSON) is stored with it in the same write.
// A VIN filed again supersedes its earlier filing. Errors: IDEMPOTENCY_KEY_REUSED when the key
// was taken meanwhile.
func (s *Service) Record(ctx context.Context, c *Check, idem *gateway.Idempotency) (*gateway.FilingRecord, error) {
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
	if err := s.store.SaveFiling(ctx, rec, c.Document, idem); err != nil {
		return nil, err
	}
	return rec, nil
}

// Filing returns a stored filing.
func (s *Service) Filing(ctx context.Context, id string) (*gateway.FilingRecord, error) {
	return s.store.Filing(ctx, id)
}

// Idempotent returns the response stored under an Idempotency-Key (ENOTFOUND when none).
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
