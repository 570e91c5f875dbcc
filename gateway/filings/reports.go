package filings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/decode"
	"github.com/ucx-export/ucx/gateway/identity"
	"github.com/ucx-export/ucx/gateway/inspection"
)

// WithReportKeys sets the registry of inspection agencies' public keys that signed reports
// are verified against (POST /v1/inspection-reports). Without it reports cannot be submitted.
func WithReportKeys(r *inspection.Registry) Option { return func(s *Service) { s.reportKeys = r } }

// SignedReport is the body of POST /v1/inspection-reports: a WM/T 8/9 report and the
// inspection agency's signature over its canonical JSON.
type SignedReport struct {
	Report    jsontext.Value        `json:"report"`
	Signature *inspection.Signature `json:"signature"`
}

// ReportView is a stored signed report as the API shows it.
type ReportView struct {
	AgencyUSCC string               `json:"agencyUscc"`
	ReportNo   string               `json:"reportNo"`
	VIN        string               `json:"vin"`
	ReportHash string               `json:"reportHash"`
	Report     json.RawMessage      `json:"report"`
	Signature  inspection.Signature `json:"signature"`
	StoredAt   time.Time            `json:"storedAt"`
	Event      *gateway.TraceEvent  `json:"event,omitempty"` // the INSPECTED event on the vehicle's trace (on submission)
}

// SubmitReport checks and stores a signed inspection report and records INSPECTED on the
// vehicle's trace (as commerce: agencies act through the commerce gateway), with the report's
// hash as evidence. Errors: the strict-decode codes, SCHEMA_INVALID (pointers under /report),
// EINVALID for a malformed VIN, the signature codes of gateway/inspection (unsigned, invalid,
// unknown agency, agency mismatch, key not valid), ECONFLICT for another report under the same
// agency and number, ILLEGAL_TRANSITION when the vehicle's lifecycle does not allow an
// inspection now. Submitting the same report again answers the stored one.
func (s *Service) SubmitReport(ctx context.Context, body []byte) (*ReportView, error) {
	if s.reportKeys == nil {
		return nil, gateway.Errorf(gateway.EUNAVAILABLE, "no inspection agency keys are configured", "未配置检验机构公钥")
	}
	var in SignedReport
	if err := decode.Strict(body, &in); err != nil {
		return nil, err
	}
	if len(in.Report) == 0 {
		return nil, gateway.Errorf(gateway.ESCHEMA, "report is required", "缺少 report").
			WithDetails(gateway.Detail{Pointer: "/report", Code: "SCHEMA_REQUIRED", Message: "report is required", MessageZh: "缺少必填字段 report"})
	}
	doc, err := decode.Value(in.Report)
	if err != nil {
		return nil, err
	}
	if vs := s.schemas.ValidateReport(doc); len(vs) > 0 {
		e := schemaError(vs).(*gateway.Error)
		for i := range e.Details {
			e.Details[i].Pointer = "/report" + e.Details[i].Pointer
		}
		return nil, e
	}
	var r gateway.InspectionReport
	if err := decode.Strict(in.Report, &r); err != nil {
		return nil, err
	}
	vin := identity.ParseVIN(r.Vehicle.VIN)
	if !vin.Valid {
		e := gateway.Errorf(gateway.EINVALID, "the report's VIN %q is malformed", "检验报告中的车辆识别代号 %q 格式错误", r.Vehicle.VIN)
		for _, f := range vin.Findings {
			if f.Severity == identity.FAIL {
				e.Details = append(e.Details, gateway.Detail{Pointer: "/report/vehicle/vin", Code: f.Code, Message: f.MessageEn, MessageZh: f.MessageZh})
			}
		}
		return nil, e
	}
	// An inspection agency submits its own reports only (issue 7): the caller, when the
	// request is authenticated, must be the report's agency.
	if p := gateway.PrincipalFrom(ctx); p != nil && p.Role == gateway.RoleInspector && p.Org != r.Agency.USCC {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "agency %s may not submit a report of agency %s", "检验机构 %s 不得提交机构 %s 的报告", p.Org, r.Agency.USCC).
			WithDetails(gateway.Detail{Pointer: "/report/agency/uscc", Code: gateway.EFORBIDDEN, Message: "not the caller's agency", MessageZh: "非调用方所属机构"})
	}
	if err := s.reportKeys.Verify(in.Report, r.Agency.USCC, string(r.IssueDate), in.Signature); err != nil {
		return nil, err
	}
	canon, err := inspection.Canonical(in.Report)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(canon)
	stored := &gateway.StoredReport{
		AgencyUSCC: r.Agency.USCC, ReportNo: r.ReportNo, VIN: vin.Normalized, ReportHash: "sha256:" + hex.EncodeToString(sum[:]),
		Report: canon, KeyID: in.Signature.KeyID, Algorithm: in.Signature.Algorithm, Signature: in.Signature.Value,
		StoredAt: s.now().UTC().Truncate(time.Millisecond),
	}
	// The same report again is answered as stored; another report under the same number is
	// refused before anything is anchored.
	if old, err := s.store.Report(ctx, stored.AgencyUSCC, stored.ReportNo); err == nil {
		if old.ReportHash != stored.ReportHash {
			return nil, gateway.Errorf(gateway.ECONFLICT, "agency %s already stored another report %s", "检验机构 %s 已存有编号为 %s 的另一份报告", stored.AgencyUSCC, stored.ReportNo)
		}
		return viewOf(old), nil
	}
	// The trace first: a vehicle whose lifecycle does not allow an inspection now (not yet
	// transferred pending export, declared, held) gets ILLEGAL_TRANSITION and nothing is
	// stored. Should the store then fail, a retry anchors a re-inspection and stores.
	ev, err := s.ledger.RecordEvent(ctx, gateway.OrgCommerce, gateway.EventInput{
		VIN: stored.VIN, Type: "INSPECTED", EvidenceHash: stored.ReportHash, Actor: "agency:" + stored.AgencyUSCC,
	})
	if err != nil {
		return nil, err
	}
	if err := s.store.SaveReport(ctx, stored); err != nil {
		return nil, err
	}
	v := viewOf(stored)
	v.Event = ev
	return v, nil
}

// Report returns a stored signed report after checking it again: its hash and the agency's
// signature (DOC_TAMPERED when either no longer holds: never served as valid).
func (s *Service) Report(ctx context.Context, agencyUSCC, reportNo string) (*ReportView, error) {
	stored, err := s.store.Report(ctx, agencyUSCC, reportNo)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(stored.Report)
	actual := "sha256:" + hex.EncodeToString(sum[:])
	var head gateway.InspectionReport
	_ = json.Unmarshal(stored.Report, &head)
	sig := &inspection.Signature{KeyID: stored.KeyID, Algorithm: stored.Algorithm, Value: stored.Signature}
	if actual != stored.ReportHash || s.reportKeys == nil ||
		s.reportKeys.Verify(stored.Report, head.Agency.USCC, string(head.IssueDate), sig) != nil {
		return nil, tampered("report "+agencyUSCC+"/"+reportNo, actual, stored.ReportHash)
	}
	return viewOf(stored), nil
}

func viewOf(r *gateway.StoredReport) *ReportView {
	return &ReportView{AgencyUSCC: r.AgencyUSCC, ReportNo: r.ReportNo, VIN: r.VIN, ReportHash: r.ReportHash,
		Report: json.RawMessage(r.Report), Signature: inspection.Signature{KeyID: r.KeyID, Algorithm: r.Algorithm, Value: r.Signature},
		StoredAt: r.StoredAt}
}
