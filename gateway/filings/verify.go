package filings

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"

	"github.com/ucx-export/ucx/gateway"
)

// verifyAlphabet is Crockford's base32 (no I, L, O, U): codes read aloud or typed from paper
// survive case and the usual confusions.
const verifyAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// VerificationCodeLength is 12 characters: 60 random bits.
const VerificationCodeLength = 12

// newVerificationCode returns an unguessable code, not derived from the VIN or the filing.
func newVerificationCode() string {
	var b [VerificationCodeLength]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = verifyAlphabet[b[i]&31]
	}
	return string(b[:])
}

// NormalizeVerificationCode upper-cases a typed code and drops spaces and dashes; "" when it
// cannot be a code.
func NormalizeVerificationCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(s) != VerificationCodeLength {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(verifyAlphabet, rune(s[i])) {
			return ""
		}
	}
	return s
}

// Dossier is the public summary of an accepted export filing: what an overseas buyer or a
// foreign customs office may check without an account. It carries no personal data.
type Dossier struct {
	VerificationCode string           `json:"verificationCode"`
	Status           string           `json:"status"` // VALID, or SUPERSEDED by a later filing of the vehicle
	VIN              string           `json:"vin"`
	Vehicle          DossierVehicle   `json:"vehicle"`
	Standard         string           `json:"standard"`
	Conclusion       string           `json:"conclusion"`
	ReportNo         string           `json:"reportNo"`
	ReportIssueDate  gateway.Date     `json:"reportIssueDate"`
	InspectionAgency gateway.Agency   `json:"inspectionAgency"`
	Exporter         gateway.Party    `json:"exporter"`
	LicenceNo        string           `json:"licenceNo"`
	Destination      string           `json:"destinationCountry"`
	Decision         string           `json:"decision"`
	RulesetVersion   string           `json:"rulesetVersion"`
	FiledAt          string           `json:"filedAt"`
	DocHash          string           `json:"docHash"`
	ExportStatus     string           `json:"exportStatus"` // the vehicle's latest trace event
	Receipt          *gateway.Receipt `json:"receipt"`
	Trace            []DossierEvent   `json:"trace"`
}

// DossierVehicle is the vehicle as the dossier shows it.
type DossierVehicle struct {
	Category         string       `json:"category"`
	Brand            string       `json:"brand"`
	Model            string       `json:"model"`
	FuelType         string       `json:"fuelType"`
	RegistrationDate gateway.Date `json:"registrationDate"`
	OdometerKm       int          `json:"odometerKm"`
}

// DossierEvent is one step of the vehicle's trace with its ledger receipt.
type DossierEvent struct {
	Type    string           `json:"type"`
	At      string           `json:"at"`
	MSPID   string           `json:"mspId"`
	Receipt *gateway.Receipt `json:"receipt"`
}

// Dossier returns the public dossier of a verification code. The document is checked against
// its ledger hash first (DOC_TAMPERED otherwise); ENOTFOUND for an unknown code.
func (s *Service) Dossier(ctx context.Context, code string) (*Dossier, error) {
	norm := NormalizeVerificationCode(code)
	if norm == "" {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no dossier with this verification code", "无此核验码对应的档案")
	}
	rec, err := s.store.FilingByVerificationCode(ctx, norm)
	if err != nil {
		return nil, err
	}
	rec, err = s.Filing(ctx, rec.FilingID) // re-hashes the document, reads the receipt
	if err != nil {
		return nil, err
	}
	doc, err := s.store.Document(ctx, rec.DocHash)
	if err != nil {
		return nil, err
	}
	var f gateway.Filing
	if err := json.Unmarshal(doc, &f); err != nil {
		return nil, gateway.Wrap(err, gateway.EINTERNAL, "unreadable stored document", "存档文件无法读取")
	}
	d := &Dossier{
		VerificationCode: norm, Status: "VALID", VIN: rec.VIN,
		Vehicle: DossierVehicle{Category: f.Vehicle.Category, Brand: f.Vehicle.Brand, Model: f.Vehicle.Model,
			FuelType: f.Vehicle.FuelType, RegistrationDate: f.Vehicle.RegistrationDate, OdometerKm: f.Vehicle.OdometerKm},
		Standard: f.InspectionReport.Standard, Conclusion: f.InspectionReport.Conclusion,
		ReportNo: f.InspectionReport.ReportNo, ReportIssueDate: f.InspectionReport.IssueDate,
		InspectionAgency: gateway.Agency{Name: f.InspectionReport.Agency.Name, USCC: f.InspectionReport.Agency.USCC,
			CMACertNo: f.InspectionReport.Agency.CMACertNo, CNASRegNo: f.InspectionReport.Agency.CNASRegNo},
		Exporter: f.Exporter, LicenceNo: f.LicenceNo, Destination: f.DestinationCountry,
		Decision: rec.Decision, RulesetVersion: rec.RulesetVersion, FiledAt: rec.CreatedAt.Format("2006-01-02T15:04:05Z"),
		DocHash: rec.DocHash, Receipt: rec.Receipt, Trace: []DossierEvent{},
	}
	if rec.SupersededBy != "" {
		d.Status = "SUPERSEDED"
	}
	page, err := s.ledger.Trace(ctx, rec.VIN, 200, "")
	if err != nil {
		return nil, err
	}
	for _, e := range page.Events {
		d.Trace = append(d.Trace, DossierEvent{Type: e.Type, At: e.Timestamp, MSPID: e.MSPID, Receipt: e.Receipt})
		d.ExportStatus = e.Type
		if e.Status != "" {
			d.ExportStatus = e.Status
		}
	}
	return d, nil
}
