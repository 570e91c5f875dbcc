// Package creditreport issues and verifies signed exporter credit reports (专项信用报告,
// issue 6 §7).
//
// A report is the exporter's credit as exporters.Service.Credit answers it (score, grade,
// every event with its weight, the model version), with a report number, a verification code,
// the issue time, the issuer and the keyId of the gateway's Ed25519 key. The gateway signs the
// RFC 8785 canonical JSON of the report without its signature member (the approach of
// gateway/inspection) and stores the signed JSON, byte for byte, under the verification code.
//
// Anyone holding the code can have the gateway confirm the report and say whether it is still
// current (the exporter's credit recomputed now and compared); anyone holding the report and
// the published public key can check the signature offline (Verify; exportctl
// verify-credit-report).
package creditreport

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"strings"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/exporters"
)

// Report is a credit report. Every member but Signature is signed.
type Report struct {
	ReportNo         string    `json:"reportNo"`
	VerificationCode string    `json:"verificationCode"`
	IssuedAt         time.Time `json:"issuedAt"`
	Issuer           string    `json:"issuer"`
	KeyID            string    `json:"keyId"`
	Algorithm        string    `json:"algorithm"`
	// Credit is the exporter's credit at issue, whole: whatever exporters.Credit carries.
	Credit    exporters.Credit `json:"credit"`
	Signature string           `json:"signature,omitempty"`
}

// DefaultIssuer names the issuer on reports unless WithIssuer says otherwise.
const DefaultIssuer = "UCX 二手车出口合规网关 · UCX used-car export compliance gateway"

// Credits answers an exporter's credit now (exporters.Service).
type Credits interface {
	Credit(ctx context.Context, uscc string) (*exporters.Credit, error)
}

// Store keeps issued reports (gateway.Store).
type Store interface {
	SaveCreditReport(ctx context.Context, r *gateway.StoredCreditReport) error
	CreditReportByCode(ctx context.Context, code string) (*gateway.StoredCreditReport, error)
}

// Service issues and verifies credit reports.
type Service struct {
	store   Store
	credits Credits
	key     *Key
	issuer  string
	now     func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIssuer names the issuer printed on reports.
func WithIssuer(name string) Option { return func(s *Service) { s.issuer = name } }

// New returns the service: reports signed with key, stored in store, credit from credits.
func New(store Store, credits Credits, key *Key, opts ...Option) *Service {
	s := &Service{store: store, credits: credits, key: key, issuer: DefaultIssuer, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// PublicKey returns the public key reports are signed with.
func (s *Service) PublicKey() PublicKey { return s.key.Public() }

// Issued is a report as issued: the report and its signed JSON, as stored.
type Issued struct {
	Report Report
	JSON   []byte
}

// Issue issues, signs and stores a report of the exporter's credit now; every call issues a
// new report with its own number and code. EINVALID for a malformed USCC, ENOTFOUND when the
// exporter is not filed (备案), EUNAVAILABLE when the ledger or the store cannot be reached.
func (s *Service) Issue(ctx context.Context, uscc string) (*Issued, error) {
	cr, err := s.credits.Credit(ctx, uscc)
	if err != nil {
		return nil, err
	}
	at := s.now().UTC().Truncate(time.Second)
	r := Report{ReportNo: "UCX-CR-" + at.Format("20060102") + "-" + randomBase32(5), VerificationCode: newCode(),
		IssuedAt: at, Issuer: s.issuer, KeyID: s.key.ID(), Algorithm: Algorithm, Credit: *cr}
	doc, err := sign(&r, s.key.priv)
	if err != nil {
		return nil, gateway.Wrap(err, gateway.EINTERNAL, "internal error", "内部错误")
	}
	err = s.store.SaveCreditReport(ctx, &gateway.StoredCreditReport{VerificationCode: r.VerificationCode,
		ReportNo: r.ReportNo, ExporterUSCC: cr.USCC, IssuedAt: at, Report: doc})
	if err != nil {
		return nil, err
	}
	return &Issued{Report: r, JSON: doc}, nil
}

// Problem is why a stored report does not verify.
type Problem struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZh string `json:"messageZh"`
}

// Verification is the gateway's answer for a verification code.
type Verification struct {
	VerificationCode string `json:"verificationCode"`
	// SignatureValid: the stored report verifies with the gateway's key and was issued under
	// this code; otherwise SignatureProblem says why, and nothing else about it is vouched for.
	SignatureValid   bool     `json:"signatureValid"`
	SignatureProblem *Problem `json:"signatureProblem,omitempty"`
	// Current: the signature is valid and the exporter's credit recomputed now has the score,
	// grade, model version and events (status and weight) of the report; Changes lists every
	// difference (empty when current or when the signature is not valid).
	Current   bool      `json:"current"`
	CheckedAt time.Time `json:"checkedAt"`
	Changes   []Change  `json:"changes"`
	// Report is the signed report as stored, byte for byte (check it offline).
	Report json.RawMessage `json:"report"`

	issued *Report
}

// Issued returns the stored report decoded; nil when it cannot be.
func (v *Verification) Issued() *Report { return v.issued }

// Verify answers a verification code: the stored report, whether its signature is valid and
// whether it is still current. A code is matched whatever its case, dashes and spaces, and
// with O read as 0 and I, L as 1. ENOTFOUND for an unknown code; EUNAVAILABLE when the store
// or the ledger cannot be reached.
func (s *Service) Verify(ctx context.Context, code string) (*Verification, error) {
	norm := NormalizeCode(code)
	if norm == "" {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no credit report with this verification code", "无此核验码对应的信用报告")
	}
	stored, err := s.store.CreditReportByCode(ctx, norm)
	if err != nil {
		return nil, err
	}
	v := &Verification{VerificationCode: norm, CheckedAt: s.now().UTC().Truncate(time.Second), Changes: []Change{}, Report: stored.Report}
	r, err := Verify(stored.Report, s.key.pub)
	if err == nil && r.VerificationCode != norm {
		err = gateway.Errorf(ECODEMISMATCH, "the stored report was issued under another verification code", "所存报告签发时使用的是另一核验码")
	}
	if err != nil {
		en, zh := gateway.ErrorMessages(err)
		v.SignatureProblem = &Problem{Code: gateway.ErrorCode(err), Message: en, MessageZh: zh}
		var shown Report
		if json.Unmarshal(stored.Report, &shown) == nil {
			v.issued = &shown
		}
		return v, nil
	}
	v.SignatureValid, v.issued = true, r
	now, err := s.credits.Credit(ctx, r.Credit.USCC)
	switch {
	case gateway.ErrorCode(err) == gateway.ENOTFOUND:
		v.Changes = append(v.Changes, Change{Kind: ChangeExporterNotFiled,
			Message: "the exporter is no longer filed (备案)", MessageZh: "该出口企业已不在备案名录中"})
	case err != nil:
		return nil, err
	default:
		v.Changes = append(v.Changes, Compare(&r.Credit, now)...) // [] when none, not null
	}
	v.Current = len(v.Changes) == 0
	return v, nil
}

// crockford is Crockford's base32 alphabet (no I, L, O, U): codes survive being read aloud,
// typed from paper, and case.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var encoding = base32.NewEncoding(crockford).WithPadding(base32.NoPadding)

// CodeLength is the length of a verification code without its dashes: 16 characters, 80
// random bits, shown as four groups of four (7KQ4-M2XD-9PAB-3HTV).
const CodeLength = 16

func randomBase32(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return encoding.EncodeToString(b)
}

// newCode returns an unguessable verification code, not derived from the exporter or the
// report.
func newCode() string { return group(randomBase32(CodeLength * 5 / 8)) }

func group(s string) string { return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16] }

// NormalizeCode returns a typed verification code in its canonical form (upper case, four
// dashed groups), reading O as 0 and I, L as 1 and ignoring dashes and spaces; "" when it
// cannot be a code.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	s = strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(s)
	if len(s) != CodeLength {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(crockford, rune(s[i])) {
			return ""
		}
	}
	return group(s)
}
