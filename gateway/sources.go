package gateway

import "context"

// PoliceRecord is the police registration snapshot of a vehicle (brief §3.4). No personal
// data: the owner is not part of the snapshot the gateway keeps.
type PoliceRecord struct {
	VIN                       string     `json:"vin"`
	StatusCodes               []string   `json:"statusCodes"` // 机动车状态 letters A..Q (brief §3.1)
	Mortgaged                 bool       `json:"mortgaged"`
	Pledged                   bool       `json:"pledged"`
	RegistrationDate          Date       `json:"registrationDate"`
	ManufactureDate           Date       `json:"manufactureDate,omitempty"`
	UseNature                 string     `json:"useNature,omitempty"`
	Brand                     string     `json:"brand,omitempty"`
	Model                     string     `json:"model,omitempty"`
	TransferPendingExport     bool       `json:"transferPendingExport"`
	TransferPendingExportDate Date       `json:"transferPendingExportDate,omitempty"`
	TempPlate                 *TempPlate `json:"tempPlate,omitempty"`
}

// TempPlate is the temporary plate issued at transfer pending export (≤ 60 days).
type TempPlate struct {
	No         string `json:"no"`
	IssuedAt   Date   `json:"issuedAt"`
	ValidUntil Date   `json:"validUntil"`
}

// MaintenanceRecord is one settled repair in the national maintenance e-health record system
// (汽车维修电子健康档案, brief §4.2: the 13 data elements).
type MaintenanceRecord struct {
	EnterpriseName   string            `json:"enterpriseName"`
	VIN              string            `json:"vin"`
	PlateNo          string            `json:"plateNo,omitempty"`
	RepairInDate     Date              `json:"repairInDate"`
	RepairInMileage  int               `json:"repairInMileageKm"`
	SettlementDate   Date              `json:"settlementDate"`
	SettlementNo     string            `json:"settlementNo"`
	FaultDescription string            `json:"faultDescription,omitempty"`
	RepairItems      []string          `json:"repairItems,omitempty"`
	LabourHours      float64           `json:"labourHours,omitempty"`
	Parts            []MaintenancePart `json:"parts,omitempty"`
}

// MaintenancePart is a part used in a repair.
type MaintenancePart struct {
	Name     string `json:"name"`
	Code     string `json:"code,omitempty"`
	Quantity int    `json:"quantity"`
}

// Licence is an export licence (二手车出口许可证) with its schedule of vehicles.
type Licence struct {
	LicenceNo          string        `json:"licenceNo"`
	Status             string        `json:"status"` // ISSUED, USED, EXPIRED, CANCELLED, REVOKED, SUBMITTED, REJECTED
	ExporterUSCC       string        `json:"exporterUscc"`
	DestinationCountry string        `json:"destinationCountry"`
	IssueDate          Date          `json:"issueDate"`
	ExpiryDate         Date          `json:"expiryDate"`
	Lines              []LicenceLine `json:"lines"`
	RevokedReason      string        `json:"revokedReason,omitempty"`
	IssuedTxID         string        `json:"issuedTxId,omitempty"`
	UpdatedTxID        string        `json:"updatedTxId,omitempty"`
}

// LicenceIssued is the status of a live licence.
const LicenceIssued = "ISSUED"

// LicenceLine is one vehicle on a licence's schedule (附表).
type LicenceLine struct {
	VIN                       string `json:"vin"`
	Brand                     string `json:"brand"`
	Model                     string `json:"model"`
	RegistrationDate          Date   `json:"registrationDate"`
	TransferPendingExportDate Date   `json:"transferPendingExportDate,omitempty"`
	HSCode                    string `json:"hsCode,omitempty"`
}

// Line returns the schedule line of vin, or nil.
func (l *Licence) Line(vin string) *LicenceLine {
	for i := range l.Lines {
		if l.Lines[i].VIN == vin {
			return &l.Lines[i]
		}
	}
	return nil
}

// Exporter is a filed (备案) exporter in the commerce registry.
type Exporter struct {
	USCC         string `json:"uscc"`
	Name         string `json:"name"`
	Type         string `json:"type"`         // PRODUCTION or CIRCULATION
	FilingStatus string `json:"filingStatus"` // APPROVED, PENDING, REVOKED
	Suspended    bool   `json:"suspended"`
	FiledAt      Date   `json:"filedAt,omitempty"`
}

// ExporterApproved is the filing status that allows licence applications.
const ExporterApproved = "APPROVED"

// Destination describes an export destination's market-access regime.
type Destination struct {
	Country           string `json:"country"`
	HasAccessStandard bool   `json:"hasAccessStandard"`
	StandardRef       string `json:"standardRef,omitempty"`
}

// PoliceSource answers police registration status look-ups.
type PoliceSource interface {
	// VehicleStatus returns the snapshot of a VIN; ENOTFOUND when the police have no record,
	// EUNAVAILABLE when the system cannot be reached.
	VehicleStatus(ctx context.Context, vin string) (*PoliceRecord, error)
}

// MaintenanceSource answers maintenance-record look-ups.
type MaintenanceSource interface {
	// Records returns the settled repairs of a VIN (empty when none), EUNAVAILABLE on outage.
	Records(ctx context.Context, vin string) ([]MaintenanceRecord, error)
}

// LicenceSource answers export-licence look-ups.
type LicenceSource interface {
	// Licence returns a licence by number; ENOTFOUND when absent, EUNAVAILABLE on outage.
	Licence(ctx context.Context, licenceNo string) (*Licence, error)
}

// ExporterRegistry answers look-ups in the exporter filing registry (备案).
type ExporterRegistry interface {
	// Exporter returns a filed exporter; ENOTFOUND when not filed, EUNAVAILABLE on outage.
	Exporter(ctx context.Context, uscc string) (*Exporter, error)
	// Exporters returns every exporter of the registry, whatever its filing status, in USCC
	// order (for the commerce review list); EUNAVAILABLE on outage.
	Exporters(ctx context.Context) ([]Exporter, error)
}

// DestinationSource tells which destinations have a market-access standard.
type DestinationSource interface {
	// Destination returns a destination's regime; ENOTFOUND when unknown.
	Destination(ctx context.Context, country string) (*Destination, error)
}

// LookupRequest names what one filing needs looked up; an empty key skips its look-ups (a
// malformed VIN or USCC is rejected by the identity rules without asking any agency).
type LookupRequest struct {
	VIN          string
	LicenceNo    string
	ExporterUSCC string
	Country      string
}

// LookupResult holds every look-up answer of a filing, or the error of each. A nil answer
// with a nil error means the look-up was not made.
type LookupResult struct {
	Police         *PoliceRecord
	PoliceErr      error
	Maintenance    []MaintenanceRecord
	MaintenanceErr error
	Licence        *Licence
	LicenceErr     error
	Exporter       *Exporter
	ExporterErr    error
	Destination    *Destination
	DestinationErr error
	// CreditGrade: the exporter's credit grade (A–D) when the filing service has a
	// CreditSource; "" when not asked.
	CreditGrade string
	CreditErr   error
}

// CreditSource answers an exporter's credit grade today (gateway/exporters over the ledger).
type CreditSource interface {
	// Grade returns the grade of a filed exporter, given its filing (备案) date.
	Grade(ctx context.Context, uscc string, filedAt Date) (string, error)
}

// Lookups answers all the look-ups of a filing at once: the filing check's one door to the
// agency systems (in parallel directly, or through a cache in one round trip).
type Lookups interface {
	Lookup(ctx context.Context, req LookupRequest) *LookupResult
}
