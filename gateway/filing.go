// Package gateway holds the domain of the used-car export compliance gateway: the filing and
// its documents, the agency records it is checked against, the decision, and the interfaces
// (Store, PoliceSource, MaintenanceSource, LicenceSource, ExporterRegistry) that subpackages
// implement. It imports the standard library only.
package gateway

import (
	"context"
	"time"
)

// Date is a calendar date in the JSON form YYYY-MM-DD. Dates in filings are China Standard
// Time calendar dates; they carry no time of day.
type Date string

// Time parses the date; the zero time when it is malformed (schemas assert the format first).
func (d Date) Time() time.Time {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Valid reports whether d is a well-formed calendar date.
func (d Date) Valid() bool {
	_, err := time.Parse(time.DateOnly, string(d))
	return err == nil
}

// Party is an enterprise named by its USCC.
type Party struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
}

// Filing is one export filing of one vehicle: the contract in docs/filing-format.md.
type Filing struct {
	ApplicationDate        Date                    `json:"applicationDate"`
	Exporter               Party                   `json:"exporter"`
	Vehicle                Vehicle                 `json:"vehicle"`
	DestinationCountry     string                  `json:"destinationCountry"`
	LicenceNo              string                  `json:"licenceNo"`
	InspectionReport       InspectionReport        `json:"inspectionReport"`
	InspectionReportRef    *ReportRef              `json:"inspectionReportRef,omitempty"`
	AfterSalesConfirmation *AfterSalesConfirmation `json:"afterSalesConfirmation,omitempty"`
	DestinationDeclaration *DestinationDeclaration `json:"destinationDeclaration,omitempty"`
	PreviousOwner          *Owner                  `json:"previousOwner,omitempty"`
}

// Owner is the vehicle's registered owner before the transfer pending export (原机动车所有人),
// as on the registration certificate (机动车登记证书). It is personal data: it lives in the
// stored document only, is redacted per role in every answer, is never logged and never goes
// on the ledger (README "Privacy and the audit log").
type Owner struct {
	Name     string `json:"name"`
	IDType   string `json:"idType"` // OwnerResidentID, OwnerUSCC or OwnerPassport
	IDNumber string `json:"idNumber"`
	Phone    string `json:"phone,omitempty"`
	Address  string `json:"address,omitempty"`
}

// Owner ID types (证件类型).
const (
	OwnerResidentID = "RESIDENT_ID" // 居民身份证, checked by GB 11643-1999 (RESIDENT_ID_* rules)
	OwnerUSCC       = "USCC"        // 统一社会信用代码 of a company owner (GB 32100)
	OwnerPassport   = "PASSPORT"    // 护照
)

// ReportRef names a signed inspection report already stored (POST /v1/inspection-reports),
// which a filing may reference instead of embedding a report.
type ReportRef struct {
	AgencyUSCC string `json:"agencyUscc"`
	ReportNo   string `json:"reportNo"`
}

// StoredReport is a signed inspection report as stored: its canonical JSON, the agency's
// signature over it, and its hash (also anchored on the vehicle's trace as INSPECTED).
type StoredReport struct {
	AgencyUSCC string    `json:"agencyUscc"`
	ReportNo   string    `json:"reportNo"`
	VIN        string    `json:"vin"`
	ReportHash string    `json:"reportHash"`
	Report     []byte    `json:"report"`
	KeyID      string    `json:"keyId"`
	Algorithm  string    `json:"algorithm"`
	Signature  string    `json:"signature"`
	StoredAt   time.Time `json:"storedAt"`
}

// StoredCreditReport is an exporter credit report (专项信用报告) as the gateway issued it:
// the signed report JSON byte for byte, filed under its verification code. The other fields
// repeat members of the report for the store's own use; the signature covers only Report.
type StoredCreditReport struct {
	VerificationCode string    `json:"verificationCode"`
	ReportNo         string    `json:"reportNo"`
	ExporterUSCC     string    `json:"exporterUscc"`
	IssuedAt         time.Time `json:"issuedAt"`
	Report           []byte    `json:"report"`
}

// ClearanceRecord is a customs declaration as checked for clearance: the declaration's
// canonical JSON and hash, and the outcome of each line.
type ClearanceRecord struct {
	DeclarationNo   string          `json:"declarationNo"`
	DeclarationHash string          `json:"declarationHash"`
	Declaration     []byte          `json:"-"`
	CheckedAt       time.Time       `json:"checkedAt"`
	Lines           []ClearanceLine `json:"lines"`
}

// Line outcomes of a clearance check.
const (
	Clear  = "CLEAR"
	Hold   = "HOLD"
	Refuse = "REFUSE"
)

// ClearanceLine is the outcome for one vehicle of a declaration.
type ClearanceLine struct {
	VIN                string       `json:"vin"`
	HSCode             string       `json:"hsCode"`
	Status             string       `json:"status"` // CLEAR, HOLD or REFUSE
	Reasons            []RuleResult `json:"reasons"`
	FilingID           string       `json:"filingId,omitempty"`
	RiskLevel          string       `json:"riskLevel"`
	PhysicalInspection bool         `json:"physicalInspection"`
	Receipt            *Receipt     `json:"receipt,omitempty"`
}

// Deadline kinds (issue 5 §4; brief §3.2, §2.5, §3.3).
const (
	DeadlineTempPlate       = "TEMP_PLATE"       // temporary plate: 60 days from the transfer pending export
	DeadlineLicenceValidity = "LICENCE_VALIDITY" // the licence's expiry, until the vehicle is declared
	DeadlineDeregistration  = "DEREGISTRATION"   // deregistration due 2 months after exit
)

// Deadline statuses.
const (
	DeadlineOpen      = "OPEN"
	DeadlineMet       = "MET"
	DeadlinePassed    = "PASSED" // overdue; DEADLINE_PASSED is on the vehicle's trace
	DeadlineCancelled = "CANCELLED"
)

// Deadline is a date a vehicle's journey must meet.
type Deadline struct {
	Kind      string `json:"kind"`
	VIN       string `json:"vin"`
	Agency    string `json:"agency"` // the organisation that watches it: police or commerce
	Due       Date   `json:"due"`
	Status    string `json:"status"`
	Since     string `json:"since"`               // the event that opened it (timestamp)
	LicenceNo string `json:"licenceNo,omitempty"` // LICENCE_VALIDITY
	Closed    string `json:"closed,omitempty"`    // the event that met or cancelled it, or DEADLINE_PASSED
}

// Vehicle categories (GB/T 15089). M1 is inspected under WM/T 8-2022, every other under WM/T 9-2022.
const (
	CategoryM1 = "M1"
)

// Inspection standards.
const (
	StandardWMT8 = "WM/T 8-2022"
	StandardWMT9 = "WM/T 9-2022"
)

// StandardFor returns the quality standard a vehicle category is inspected under.
func StandardFor(category string) string {
	if category == CategoryM1 {
		return StandardWMT8
	}
	return StandardWMT9
}

// Vehicle describes the exported vehicle as the exporter files it.
type Vehicle struct {
	VIN                       string        `json:"vin"`
	Category                  string        `json:"category"`
	Brand                     string        `json:"brand"`
	Model                     string        `json:"model"`
	VehicleType               string        `json:"vehicleType"`
	UseNature                 string        `json:"useNature"`
	ServiceLifeClass          string        `json:"serviceLifeClass"`
	FuelType                  string        `json:"fuelType"`
	Colour                    string        `json:"colour"`
	Seats                     int           `json:"seats"`
	EngineOrMotorNo           string        `json:"engineOrMotorNo,omitempty"`
	CurbMassKg                int           `json:"curbMassKg,omitempty"`
	RegistrationDate          Date          `json:"registrationDate"`
	ManufactureDate           Date          `json:"manufactureDate,omitempty"`
	TransferPendingExportDate Date          `json:"transferPendingExportDate,omitempty"`
	OdometerKm                int           `json:"odometerKm"`
	Modified                  bool          `json:"modified,omitempty"`
	Modification              *Modification `json:"modification,omitempty"`
}

// Modification declares a modified vehicle (改装车, 648号 §二(四)).
type Modification struct {
	ChassisBrand   string `json:"chassisBrand"`
	ModifiedBrand  string `json:"modifiedBrand"`
	ModifiedModel  string `json:"modifiedModel"`
	ProofRef       string `json:"proofRef"`
	MIITCatalogued bool   `json:"miitCatalogued"`
	CCCCertNo      string `json:"cccCertNo,omitempty"`
}

// InspectionReport is a WM/T 8-2022 or WM/T 9-2022 quality report by a third-party agency.
type InspectionReport struct {
	ReportNo           string        `json:"reportNo"`
	Standard           string        `json:"standard"`
	Agency             Agency        `json:"agency"`
	Exporter           Party         `json:"exporter"`
	Vehicle            ReportVehicle `json:"vehicle"`
	DestinationCountry string        `json:"destinationCountry"`
	InspectionDate     Date          `json:"inspectionDate"`
	IssueDate          Date          `json:"issueDate"`
	Items              []ReportItem  `json:"items"`
	AccidentFlags      AccidentFlags `json:"accidentFlags"`
	PTIValid           bool          `json:"ptiValid"`
	Conclusion         string        `json:"conclusion"`
	Signatures         Signatures    `json:"signatures"`
	SealImageHash      string        `json:"sealImageHash,omitempty"`
}

// Report conclusions.
const (
	ConclusionConforms       = "CONFORMS"
	ConclusionDoesNotConform = "DOES_NOT_CONFORM"
)

// Agency is the inspection body; a CMA certificate or CNAS registration is required by rule.
type Agency struct {
	Name      string `json:"name"`
	USCC      string `json:"uscc"`
	CMACertNo string `json:"cmaCertNo,omitempty"`
	CNASRegNo string `json:"cnasRegNo,omitempty"`
}

// ReportVehicle is the vehicle as the inspection agency recorded it.
type ReportVehicle struct {
	VIN              string `json:"vin"`
	EngineOrMotorNo  string `json:"engineOrMotorNo,omitempty"`
	Brand            string `json:"brand"`
	Model            string `json:"model"`
	VehicleType      string `json:"vehicleType"`
	Colour           string `json:"colour"`
	FuelType         string `json:"fuelType"`
	Seats            int    `json:"seats"`
	CurbMassKg       int    `json:"curbMassKg,omitempty"`
	RegistrationDate Date   `json:"registrationDate"`
	OdometerKm       int    `json:"odometerKm"`
	PTIValidUntil    Date   `json:"ptiValidUntil,omitempty"`
}

// ReportItem is one inspected item.
type ReportItem struct {
	Code          string   `json:"code"`
	Result        string   `json:"result"`
	ClauseRef     string   `json:"clauseRef,omitempty"`
	Requirement   string   `json:"requirement,omitempty"`
	MeasuredValue string   `json:"measuredValue,omitempty"`
	Unit          string   `json:"unit,omitempty"`
	Note          string   `json:"note,omitempty"`
	PhotoRefs     []string `json:"photoRefs,omitempty"`
}

// Item results.
const (
	ItemPass = "PASS"
	ItemFail = "FAIL"
	ItemNA   = "NA"
)

// AccidentFlags are the report's accident, flood and fire findings.
type AccidentFlags struct {
	StructuralDamage bool `json:"structuralDamage"`
	AirbagDeployed   bool `json:"airbagDeployed"`
	Flood            bool `json:"flood"`
	Fire             bool `json:"fire"`
}

// Signatures are the report's three signatories.
type Signatures struct {
	Inspector string `json:"inspector"`
	Reviewer  string `json:"reviewer"`
	Approver  string `json:"approver"`
}

// AfterSalesConfirmation is the maker's 售后维修服务确认书 (648号 §一(一)).
type AfterSalesConfirmation struct {
	DocNo              string          `json:"docNo,omitempty"`
	Manufacturer       Party           `json:"manufacturer"`
	VIN                string          `json:"vin"`
	Brand              string          `json:"brand"`
	Model              string          `json:"model"`
	DestinationCountry string          `json:"destinationCountry"`
	ServiceNetwork     []ServiceOutlet `json:"serviceNetwork"`
	IssueDate          Date            `json:"issueDate"`
	SealImageHash      string          `json:"sealImageHash"`
	Signatory          string          `json:"signatory,omitempty"`
}

// ServiceOutlet is one after-sales outlet in the destination.
type ServiceOutlet struct {
	Name    string `json:"name"`
	Country string `json:"country"`
	City    string `json:"city"`
	Address string `json:"address"`
	Contact string `json:"contact"`
}

// DestinationDeclaration is the exporter's declaration that the vehicle meets the
// destination's access standard (符合目的国准入标准声明).
type DestinationDeclaration struct {
	Declarant          Party  `json:"declarant"`
	VIN                string `json:"vin"`
	DestinationCountry string `json:"destinationCountry"`
	StandardRef        string `json:"standardRef"`
	DeclarationDate    Date   `json:"declarationDate"`
	Statement          string `json:"statement"`
	SealImageHash      string `json:"sealImageHash"`
}

// Decisions.
const (
	Accepted = "ACCEPTED"
	Rejected = "REJECTED"
	Held     = "HELD"
)

// Severities of a rule result.
const (
	SeverityFail = "FAIL" // the filing is REJECTED
	SeverityHold = "HOLD" // the filing goes to manual review (HELD)
	SeverityWarn = "WARN" // accepted with a warning
)

// RuleResult is one rule that did not pass cleanly, in the shape of an error detail.
type RuleResult struct {
	Code      string   `json:"code"`
	Severity  string   `json:"severity"`
	Pointers  []string `json:"pointers"`
	MessageEn string   `json:"messageEn"`
	MessageZh string   `json:"messageZh"`
	Clause    string   `json:"clause"`
}

// Decide derives the decision from rule results: any FAIL rejects, else any HOLD holds.
func Decide(results []RuleResult) string {
	decision := Accepted
	for _, r := range results {
		switch r.Severity {
		case SeverityFail:
			return Rejected
		case SeverityHold:
			decision = Held
		}
	}
	return decision
}

// FilingRecord is a stored filing: the decision, the results and the document's hash. The
// document itself is stored content-addressed under DocHash.
type FilingRecord struct {
	FilingID       string       `json:"filingId"`
	VIN            string       `json:"vin"`
	ExporterUSCC   string       `json:"exporterUscc"`
	Decision       string       `json:"decision"`
	RulesetVersion string       `json:"rulesetVersion"`
	DocHash        string       `json:"docHash"`
	Results        []RuleResult `json:"results"`
	CreatedAt      time.Time    `json:"createdAt"`
	Supersedes     string       `json:"supersedes,omitempty"`
	SupersededBy   string       `json:"supersededBy,omitempty"`
	// VerificationCode lets anyone (an overseas buyer, a foreign customs office) check the
	// export dossier of an ACCEPTED filing without an account: unguessable, not derived from
	// the VIN.
	VerificationCode string `json:"verificationCode,omitempty"`
	// Receipt is where the decision is anchored on the ledger. It is not stored with the
	// record: it is read from the ledger (pending until the anchor commits).
	Receipt *Receipt `json:"receipt,omitempty"`
}

// Idempotency is an Idempotency-Key with the hash of the request it came with.
type Idempotency struct {
	Key         string
	RequestHash string
}

// IdempotentResponse is what an Idempotency-Key is bound to: the request's hash and the
// filing it created (a replay answers with that filing).
type IdempotentResponse struct {
	RequestHash string `json:"requestHash"`
	FilingID    string `json:"filingId"`
}

// Store keeps filings, their documents and idempotency keys durably. Every write is on disk
// before it returns (embedded: fsync'd bbolt transaction).
type Store interface {
	// SaveFiling stores the record and its canonical document in one atomic, durable write,
	// and queues the filing for anchoring on the ledger (see PendingAnchors). It sets
	// rec.Supersedes to the VIN's current filing (if any) and that filing's SupersededBy to
	// rec.FilingID in the same write. With idem, the key is bound to the request hash and the
	// filing in the same write too; IDEMPOTENCY_KEY_REUSED when the key is already taken.
	SaveFiling(ctx context.Context, rec *FilingRecord, doc []byte, idem *Idempotency) error
	// PendingAnchors returns up to limit filings queued for anchoring, oldest first.
	PendingAnchors(ctx context.Context, limit int) ([]*FilingRecord, error)
	// AnchorDone removes filings from the anchoring queue (their anchor is on the ledger).
	AnchorDone(ctx context.Context, filingIDs ...string) error
	// SaveReport stores a signed inspection report, durably. Storing the same report again
	// (same hash) succeeds; another report under the same agency and number is ECONFLICT.
	SaveReport(ctx context.Context, r *StoredReport) error
	// Report returns a stored report; ENOTFOUND when absent.
	Report(ctx context.Context, agencyUSCC, reportNo string) (*StoredReport, error)
	// SaveClearance stores a clearance check and makes the declaration the live one of each
	// line that is not REFUSEd, in one atomic, durable write; ECONFLICT (nothing written)
	// when such a VIN is live on another declaration.
	SaveClearance(ctx context.Context, rec *ClearanceRecord) error
	// Clearance returns a stored clearance check; ENOTFOUND when absent.
	Clearance(ctx context.Context, declarationNo string) (*ClearanceRecord, error)
	// LiveDeclaration returns the declaration a VIN is live on; ENOTFOUND when none.
	LiveDeclaration(ctx context.Context, vin string) (string, error)
	// PutDeadline stores a deadline, replacing the one of the same kind and VIN.
	PutDeadline(ctx context.Context, d *Deadline) error
	// Deadlines returns every stored deadline, in (kind, VIN) order.
	Deadlines(ctx context.Context) ([]*Deadline, error)
	// SaveCreditReport stores an issued credit report under its verification code, durably.
	// Storing the same report again succeeds; another report under the same code is ECONFLICT
	// (nothing written).
	SaveCreditReport(ctx context.Context, r *StoredCreditReport) error
	// CreditReportByCode returns the credit report issued under a verification code;
	// ENOTFOUND when none.
	CreditReportByCode(ctx context.Context, code string) (*StoredCreditReport, error)
	// FilingByVerificationCode returns the filing a verification code was issued for;
	// ENOTFOUND when none.
	FilingByVerificationCode(ctx context.Context, code string) (*FilingRecord, error)
	// Filing returns a stored filing record, ENOTFOUND when absent.
	Filing(ctx context.Context, id string) (*FilingRecord, error)
	// Document returns the canonical document stored under a hash, ENOTFOUND when absent.
	Document(ctx context.Context, hash string) ([]byte, error)
	// LatestFiling returns the current (not superseded) filing of a VIN, ENOTFOUND when none.
	LatestFiling(ctx context.Context, vin string) (*FilingRecord, error)
	// Idempotent returns the response stored under key, ENOTFOUND when absent.
	Idempotent(ctx context.Context, key string) (*IdempotentResponse, error)
	// Ready reports whether the store can serve requests.
	Ready(ctx context.Context) error
}
