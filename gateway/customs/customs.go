// Package customs is the clearance check customs runs at the border (issue 5 §3, brief §8.1):
// per line of an export declaration, CLEAR, HOLD or REFUSE with coded reasons — an ACCEPTED
// filing exists, the licence is live on the declaration date and lists the VIN, destination,
// exporter and HS heading agree, the VIN is on no other live declaration, and the vehicle's
// trace is intact — plus the exporter's risk level and a physical-inspection decision sampled
// deterministically from the declaration. Each line's outcome is anchored on the vehicle's
// trace as a customs event.
package customs

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/decode"
	"github.com/ucx-export/ucx/schemas"
)

// Declaration is a customs export declaration (schemas/customs-declaration.schema.json).
type Declaration struct {
	DeclarationNo      string       `json:"declarationNo"`
	DeclaredAt         gateway.Date `json:"declaredAt"`
	ExporterUSCC       string       `json:"exporterUscc"`
	LicenceNo          string       `json:"licenceNo"`
	DestinationCountry string       `json:"destinationCountry"`
	Lines              []Line       `json:"lines"`
}

// Line is one vehicle of a declaration.
type Line struct {
	VIN    string `json:"vin"`
	HSCode string `json:"hsCode"`
}

// Filings is what the clearance needs of the filing service: a filing with its ledger
// receipt and its document, both checked against the ledger hash (DOC_TAMPERED otherwise).
type Filings interface {
	Filing(ctx context.Context, id string) (*gateway.FilingRecord, error)
	Document(ctx context.Context, id string) ([]byte, error)
}

// Service runs clearance checks. Safe for concurrent use.
type Service struct {
	store    gateway.Store
	ledger   gateway.Ledger
	licences gateway.LicenceSource
	filings  Filings
	schemas  *schemas.Validator
	rate     float64
	now      func() time.Time

	credit    gateway.CreditSource
	exporters gateway.ExporterRegistry
	rates     map[string]float64
}

// DefaultInspectionRate is the share of lines sent to physical inspection when the exporter's
// credit grade is not known (no credit source, or it did not answer) (ASSUMPTION: 10 %, the
// brief's grade-B sampling rate).
const DefaultInspectionRate = 0.10

// DefaultGradeRates is the physical-inspection sampling rate by exporter credit grade
// (ASSUMPTION after brief §7.4 and customs credit practice: A 5 %, B 10 %, C 30 %, D 100 %).
var DefaultGradeRates = map[string]float64{"A": 0.05, "B": 0.10, "C": 0.30, "D": 1}

// WithCredit sets the exporter's risk level to its credit grade and samples its lines at the
// grade's rate (rates by grade; a grade missing from rates uses the base rate). A grade
// that cannot be had leaves the risk level UNKNOWN and the base rate.
func (s *Service) WithCredit(src gateway.CreditSource, exporters gateway.ExporterRegistry, rates map[string]float64) *Service {
	s.credit, s.exporters, s.rates = src, exporters, rates
	return s
}

// risk is the exporter's risk level and sampling rate for one declaration.
func (s *Service) risk(ctx context.Context, uscc string) (level string, rate float64) {
	if s.credit == nil {
		return riskNormal, s.rate
	}
	ex, err := s.exporters.Exporter(ctx, uscc)
	if err != nil {
		return riskUnknown, s.rate
	}
	g, err := s.credit.Grade(ctx, uscc, ex.FiledAt)
	if err != nil {
		return riskUnknown, s.rate
	}
	if r, ok := s.rates[g]; ok {
		return "GRADE_" + g, r
	}
	return "GRADE_" + g, s.rate
}

// New returns a Service; rate is the physical-inspection sampling rate (0..1).
func New(store gateway.Store, ledger gateway.Ledger, licences gateway.LicenceSource, filings Filings, v *schemas.Validator, rate float64) *Service {
	return &Service{store: store, ledger: ledger, licences: licences, filings: filings, schemas: v, rate: rate, now: time.Now}
}

// Reason codes of a line.
const (
	CodeNoAcceptedFiling  = "CUSTOMS_NO_ACCEPTED_FILING"
	CodeLicenceNotLive    = "CUSTOMS_LICENCE_NOT_LIVE"
	CodeVINNotOnLicence   = "CUSTOMS_VIN_NOT_ON_LICENCE"
	CodeDestination       = "CUSTOMS_DESTINATION_MISMATCH"
	CodeHSMismatch        = "CUSTOMS_HS_MISMATCH"
	CodeExporter          = "CUSTOMS_EXPORTER_MISMATCH"
	CodeAlreadyDeclared   = "CUSTOMS_ALREADY_DECLARED"
	CodeTraceBroken       = "CUSTOMS_TRACE_BROKEN"
	CodeTracePending      = "CUSTOMS_TRACE_PENDING"
	CodeLookupUnavailable = "LOOKUP_UNAVAILABLE"
	severityRefuse        = gateway.Refuse
	severityHold          = gateway.Hold
	riskNormal            = "NORMAL"  // no credit source configured
	riskUnknown           = "UNKNOWN" // the grade could not be had
	documentCustoms       = "2024年第6号公告; 商贸发〔2024〕25号 (declaration matches vehicle and licence)"
)

// Clear checks a declaration (the body of POST /v1/customs/clearances), anchors each line's
// outcome on the vehicle's trace (CLEARANCE_CHECKED by customs) and stores the result.
// Checking the same declaration number again re-evaluates it. Errors: the strict-decode codes
// and SCHEMA_INVALID; ECONFLICT never reaches the caller (a line raced onto another
// declaration is re-checked and refused).
func (s *Service) Clear(ctx context.Context, body []byte) (*gateway.ClearanceRecord, error) {
	var d Declaration
	if err := decode.Strict(body, &d); err != nil {
		return nil, err
	}
	doc, err := decode.Value(body)
	if err != nil {
		return nil, err
	}
	if vs := s.schemas.ValidateCustomsDeclaration(doc); len(vs) > 0 {
		e := gateway.Errorf(gateway.ESCHEMA, "the declaration does not match its schema (%d problems)", "报关单不符合数据规范（%d 处问题）", len(vs))
		for _, v := range vs {
			e.Details = append(e.Details, gateway.Detail{Pointer: v.Pointer, Code: "SCHEMA_" + strings.ToUpper(v.Keyword), Message: v.MessageEn, MessageZh: v.MessageZh})
		}
		return nil, e
	}
	canon := jsontext.Value(append([]byte(nil), body...))
	if err := canon.Canonicalize(); err != nil {
		return nil, gateway.Wrap(err, gateway.EINVALIDJSON, "the declaration cannot be canonicalised", "报关单无法规范化")
	}
	sum := sha256.Sum256(canon)
	for attempt := 0; ; attempt++ {
		rec := &gateway.ClearanceRecord{DeclarationNo: d.DeclarationNo, DeclarationHash: "sha256:" + hex.EncodeToString(sum[:]),
			Declaration: canon, CheckedAt: s.now().UTC().Truncate(time.Millisecond)}
		lic, licErr := s.licences.Licence(ctx, d.LicenceNo)
		level, rate := s.risk(ctx, d.ExporterUSCC)
		for i, l := range d.Lines {
			line := s.checkLine(ctx, &d, i, l, lic, licErr)
			line.RiskLevel, line.PhysicalInspection = level, sampled(d.DeclarationNo, l.VIN, rate)
			rec.Lines = append(rec.Lines, line)
		}
		err := s.store.SaveClearance(ctx, rec)
		if gateway.ErrorCode(err) == gateway.ECONFLICT && attempt == 0 {
			continue // a VIN went live on another declaration meanwhile: check again
		}
		if err != nil {
			return nil, err
		}
		// The outcome is stored before it is anchored (the live-declaration claim comes
		// first); the receipts are stored with it once the anchors commit.
		if s.anchor(ctx, rec) {
			if err := s.store.SaveClearance(ctx, rec); err != nil {
				return nil, err
			}
		}
		return rec, nil
	}
}

// Clearance returns a stored clearance check.
func (s *Service) Clearance(ctx context.Context, no string) (*gateway.ClearanceRecord, error) {
	return s.store.Clearance(ctx, no)
}

func (s *Service) checkLine(ctx context.Context, d *Declaration, i int, l Line, lic *gateway.Licence, licErr error) gateway.ClearanceLine {
	out := gateway.ClearanceLine{VIN: l.VIN, HSCode: l.HSCode, Reasons: []gateway.RuleResult{}}
	p := func(f string) string { return "/lines/" + itoa(i) + f }
	add := func(sev, code string, pointers []string, en, zh string) {
		out.Reasons = append(out.Reasons, gateway.RuleResult{Code: code, Severity: sev, Pointers: pointers, MessageEn: en, MessageZh: zh, Clause: documentCustoms})
	}

	// The licence.
	switch {
	case licErr != nil && gateway.ErrorCode(licErr) != gateway.ENOTFOUND:
		add(severityHold, CodeLookupUnavailable, []string{"/licenceNo"}, "the export licence registry could not be reached", "出口许可证系统暂不可用")
	case licErr != nil || lic == nil || lic.Status != gateway.LicenceIssued || d.DeclaredAt < lic.IssueDate || d.DeclaredAt > lic.ExpiryDate:
		add(severityRefuse, CodeLicenceNotLive, []string{"/licenceNo", "/declaredAt"},
			"licence "+d.LicenceNo+" is not live on "+string(d.DeclaredAt), "出口许可证 "+d.LicenceNo+" 在 "+string(d.DeclaredAt)+" 不在有效状态")
	default:
		if lic.Line(l.VIN) == nil {
			add(severityRefuse, CodeVINNotOnLicence, []string{p("/vin"), "/licenceNo"}, "VIN "+l.VIN+" is not on licence "+d.LicenceNo, "车辆 "+l.VIN+" 不在出口许可证 "+d.LicenceNo+" 附表中")
		}
		if lic.DestinationCountry != d.DestinationCountry {
			add(severityRefuse, CodeDestination, []string{"/destinationCountry"}, "the licence is for "+lic.DestinationCountry+", the declaration names "+d.DestinationCountry, "许可证目的国为 "+lic.DestinationCountry+"，报关单为 "+d.DestinationCountry)
		}
		if lic.ExporterUSCC != d.ExporterUSCC {
			add(severityRefuse, CodeExporter, []string{"/exporterUscc"}, "the licence is held by "+lic.ExporterUSCC, "许可证持证企业为 "+lic.ExporterUSCC)
		}
	}

	// The filing, its document and its anchor.
	rec, err := s.store.LatestFiling(ctx, l.VIN)
	switch {
	case gateway.ErrorCode(err) == gateway.ENOTFOUND || (err == nil && rec.Decision != gateway.Accepted):
		add(severityRefuse, CodeNoAcceptedFiling, []string{p("/vin")}, "VIN "+l.VIN+" has no ACCEPTED export filing", "车辆 "+l.VIN+" 无通过的出口申报")
	case err != nil:
		add(severityHold, CodeLookupUnavailable, []string{p("/vin")}, "the filing store could not be reached", "申报存储暂不可用")
	default:
		out.FilingID = rec.FilingID
		if rec.ExporterUSCC != d.ExporterUSCC {
			add(severityRefuse, CodeExporter, []string{"/exporterUscc"}, "the vehicle was filed by "+rec.ExporterUSCC, "该车由 "+rec.ExporterUSCC+" 申报")
		}
		s.checkTrace(ctx, rec.FilingID, l, p, add)
	}

	// Another live declaration.
	if no, err := s.store.LiveDeclaration(ctx, l.VIN); err == nil && no != d.DeclarationNo {
		add(severityRefuse, CodeAlreadyDeclared, []string{p("/vin")}, "VIN "+l.VIN+" is already on live declaration "+no, "车辆 "+l.VIN+" 已在有效报关单 "+no+" 中")
	}

	out.Status = gateway.Clear
	for _, r := range out.Reasons {
		if r.Severity == severityRefuse {
			out.Status = gateway.Refuse
			break
		}
		out.Status = gateway.Hold
	}
	return out
}

// checkTrace verifies the filing against the ledger and the HS heading against its category.
func (s *Service) checkTrace(ctx context.Context, filingID string, l Line, p func(string) string, add func(sev, code string, pointers []string, en, zh string)) {
	f, err := s.filings.Filing(ctx, filingID)
	switch {
	case gateway.ErrorCode(err) == gateway.EDOCTAMPERED:
		add(severityHold, CodeTraceBroken, []string{p("/vin")}, "the filing's stored document does not match its ledger hash", "申报存档与账本哈希不一致")
		return
	case err != nil:
		add(severityHold, CodeLookupUnavailable, []string{p("/vin")}, "the ledger could not be reached", "账本暂不可用")
		return
	case f.Receipt == nil || f.Receipt.Status != gateway.ReceiptCommitted:
		add(severityHold, CodeTracePending, []string{p("/vin")}, "the filing is not anchored on the ledger yet", "申报尚未上链")
	}
	doc, err := s.filings.Document(ctx, filingID)
	if err != nil {
		add(severityHold, CodeLookupUnavailable, []string{p("/vin")}, "the filing document could not be read", "申报文件无法读取")
		return
	}
	var filing gateway.Filing
	if err := json.Unmarshal(doc, &filing); err != nil {
		add(severityHold, CodeTraceBroken, []string{p("/vin")}, "the filing document is unreadable", "申报文件无法解析")
		return
	}
	if want := Heading(filing.Vehicle.Category, filing.Vehicle.VehicleType); want != "" && !strings.HasPrefix(l.HSCode, want) {
		add(severityRefuse, CodeHSMismatch, []string{p("/hsCode")},
			"HS "+l.HSCode+" does not fit category "+filing.Vehicle.Category+" (heading "+want+")",
			"商品编码 "+l.HSCode+" 与车辆类别 "+filing.Vehicle.Category+" 不符（应为 "+want+" 品目）")
	}
}

// Heading is the HS heading a vehicle category is declared under: M1 cars 8703, M2/M3 buses
// 8702, N goods vehicles 8704 (road tractors for semi-trailers 8701, by their registered
// vehicle type 牵引车), O trailers 8716.
func Heading(category, vehicleType string) string {
	switch {
	case category == "M1":
		return "8703"
	case category == "M2" || category == "M3":
		return "8702"
	case strings.HasPrefix(category, "N"):
		if strings.Contains(vehicleType, "牵引") {
			return "8701"
		}
		return "8704"
	case strings.HasPrefix(category, "O"):
		return "8716"
	}
	return ""
}

// sampled decides physical inspection from the declaration number and VIN alone: the same
// declaration always gets the same decision, and no one can choose a VIN to avoid it without
// changing the declaration.
func sampled(declarationNo, vin string, rate float64) bool {
	sum := sha256.Sum256([]byte(declarationNo + "\x00" + vin))
	return float64(binary.BigEndian.Uint64(sum[:8]))/float64(^uint64(0)) < rate
}

// anchor records each line's outcome on its vehicle's trace (CLEARANCE_CHECKED by customs,
// evidence = the hash of the line's outcome and the declaration hash). A line whose anchor
// fails keeps no receipt: the outcome stands, the trace misses it (reported in the response).
func (s *Service) anchor(ctx context.Context, rec *gateway.ClearanceRecord) (anchored bool) {
	for i := range rec.Lines {
		l := &rec.Lines[i]
		ev, _ := json.Marshal(struct {
			DeclarationHash string                `json:"declarationHash"`
			Line            gateway.ClearanceLine `json:"line"`
		}{rec.DeclarationHash, *l})
		sum := sha256.Sum256(ev)
		te, err := s.ledger.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{
			VIN: l.VIN, Type: "CLEARANCE_CHECKED", EvidenceHash: "sha256:" + hex.EncodeToString(sum[:]), Actor: "customs:" + rec.DeclarationNo[:4],
		})
		if err == nil {
			l.Receipt = te.Receipt
			anchored = true
		}
	}
	return anchored
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// declarationNoRE is the declaration number's pattern in schemas/customs-declaration.schema.json.
var declarationNoRE = regexp.MustCompile(`^[0-9]{4}[0-9]{4}[0E][0-9]{9}$`)

// Declared records DECLARED on a vehicle's trace for a declaration customs has lodged: the
// declaration must have been checked (POST /v1/customs/clearances) with the vehicle's line
// CLEAR. The event's evidence hash binds the declaration number, the line's HS code and the
// declaration's hash. Errors: EINVALID naming the problem, ENOTFOUND for an unchecked
// declaration, and the ledger's (ILLEGAL_TRANSITION when the lifecycle refuses).
func (s *Service) Declared(ctx context.Context, vin, declarationNo, actor, evidence string) (*gateway.TraceEvent, error) {
	if !declarationNoRE.MatchString(declarationNo) {
		return nil, gateway.Errorf(gateway.EINVALID, "declarationNo %q is not a declaration number", "报关单号 %q 格式错误", declarationNo).
			WithDetails(gateway.Detail{Pointer: "/declarationNo", Code: "SCHEMA_PATTERN", Message: "18 characters: customs code, year, 0 or E, sequence", MessageZh: "18 位：关区代码、年份、0 或 E、顺序号"})
	}
	rec, err := s.store.Clearance(ctx, declarationNo)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "declaration %s has not been checked for clearance", "报关单 %s 未经通关核验", declarationNo).
			WithDetails(gateway.Detail{Pointer: "/declarationNo", Code: gateway.ENOTFOUND, Message: "check it first: POST /v1/customs/clearances", MessageZh: "请先核验：POST /v1/customs/clearances"})
	}
	if err != nil {
		return nil, err
	}
	for _, l := range rec.Lines {
		if l.VIN != vin {
			continue
		}
		if l.Status != gateway.Clear {
			return nil, gateway.Errorf(gateway.EINVALID, "the vehicle's line of declaration %s is %s, not CLEAR", "报关单 %s 中该车核验结果为 %s，未通过", declarationNo, l.Status).
				WithDetails(gateway.Detail{Pointer: "/declarationNo", Code: gateway.EINVALID, Message: "not cleared", MessageZh: "未通过核验"})
		}
		sum := sha256.Sum256([]byte(declarationNo + "\x00" + l.HSCode + "\x00" + rec.DeclarationHash + "\x00" + evidence))
		return s.ledger.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "DECLARED",
			EvidenceHash: "sha256:" + hex.EncodeToString(sum[:]), Actor: actor})
	}
	return nil, gateway.Errorf(gateway.EINVALID, "vehicle %s is not on declaration %s", "车辆 %s 不在报关单 %s 中", vin, declarationNo).
		WithDetails(gateway.Detail{Pointer: "/declarationNo", Code: gateway.EINVALID, Message: "not on the declaration", MessageZh: "不在报关单中"})
}
